package search

// Organization: the 13 parameters of R4
// (https://hl7.org/fhir/R4/organization.html#search). GP practices, ICBs and regions are
// Organizations found by ODS code (identifier) and linked up the hierarchy by partof.
var organizationRows = []paramRow{
	{typ: "Organization", name: "active", kind: TypeToken, expr: "Organization.active", def: "Organization-active"},
	{typ: "Organization", name: "address", kind: TypeString, expr: "Organization.address", def: "Organization-address"},
	{typ: "Organization", name: "address-city", kind: TypeString, expr: "Organization.address.city", def: "Organization-address-city"},
	{typ: "Organization", name: "address-country", kind: TypeString, expr: "Organization.address.country", def: "Organization-address-country"},
	{typ: "Organization", name: "address-postalcode", kind: TypeString, expr: "Organization.address.postalCode", def: "Organization-address-postalcode"},
	{typ: "Organization", name: "address-state", kind: TypeString, expr: "Organization.address.state", def: "Organization-address-state"},
	{typ: "Organization", name: "address-use", kind: TypeToken, expr: "Organization.address.use", def: "Organization-address-use"},
	{typ: "Organization", name: "endpoint", kind: TypeReference, expr: "Organization.endpoint", def: "Organization-endpoint", targets: "Endpoint"},
	{typ: "Organization", name: "identifier", kind: TypeToken, expr: "Organization.identifier", def: "Organization-identifier"},
	{typ: "Organization", name: "name", kind: TypeString, expr: "Organization.name | Organization.alias", def: "Organization-name"},
	{typ: "Organization", name: "partof", kind: TypeReference, expr: "Organization.partOf", def: "Organization-partof", targets: "Organization"},
	// phonetic: normalised starts-with on the name, as Patient's phonetic.
	{typ: "Organization", name: "phonetic", kind: TypeString, expr: "Organization.name", def: "Organization-phonetic"},
	{typ: "Organization", name: "type", kind: TypeToken, expr: "Organization.type", def: "Organization-type"},
}
