package search

import "github.com/nimsproject/nims/fhir"

// Patient: the 23 parameters of R4 (https://hl7.org/fhir/R4/patient.html#search) and the
// programme's ethnicity.
//
// Age: there is no age parameter in the table. An age changes every day while the
// resource does not, so an index entry of it would be wrong by tomorrow; a cohort's age
// is a birthdate range on a reference date, and Parse turns age=ge65 (or a Group
// characteristic) into birthdate=le<reference date − 65 years>, which the birthdate entries
// answer exactly.
var patientRows = []paramRow{
	{typ: "Patient", name: "active", kind: TypeToken, expr: "Patient.active", def: "Patient-active"},
	{typ: "Patient", name: "address", kind: TypeString, expr: "Patient.address", def: "individual-address"},
	{typ: "Patient", name: "address-city", kind: TypeString, expr: "Patient.address.city", def: "individual-address-city"},
	{typ: "Patient", name: "address-country", kind: TypeString, expr: "Patient.address.country", def: "individual-address-country"},
	{typ: "Patient", name: "address-postalcode", kind: TypeString, expr: "Patient.address.postalCode", def: "individual-address-postalcode"},
	{typ: "Patient", name: "address-state", kind: TypeString, expr: "Patient.address.state", def: "individual-address-state"},
	{typ: "Patient", name: "address-use", kind: TypeToken, expr: "Patient.address.use", def: "individual-address-use"},
	{typ: "Patient", name: "birthdate", kind: TypeDate, expr: "Patient.birthDate", def: "individual-birthdate"},
	{typ: "Patient", name: "death-date", kind: TypeDate, expr: "(Patient.deceased as dateTime)", def: "Patient-death-date"},
	{typ: "Patient", name: "deceased", kind: TypeToken, expr: "Patient.deceased.exists() and Patient.deceased != false", def: "Patient-deceased", extract: deceasedEntries},
	{typ: "Patient", name: "email", kind: TypeToken, expr: "Patient.telecom.where(system='email')", def: "individual-email"},
	{typ: "Patient", name: "family", kind: TypeString, expr: "Patient.name.family", def: "individual-family"},
	{typ: "Patient", name: "gender", kind: TypeToken, expr: "Patient.gender", def: "individual-gender"},
	// general-practitioner: the registered GP practice, an Organization found by its ODS
	// code with general-practitioner:identifier=https://fhir.nhs.uk/Id/ods-organization-code|A81001
	// (a Reference.identifier is a token entry of the same parameter).
	{typ: "Patient", name: "general-practitioner", kind: TypeReference, expr: "Patient.generalPractitioner", def: "Patient-general-practitioner", targets: "Practitioner Organization PractitionerRole"},
	{typ: "Patient", name: "given", kind: TypeString, expr: "Patient.name.given", def: "individual-given"},
	{typ: "Patient", name: "identifier", kind: TypeToken, expr: "Patient.identifier", def: "Patient-identifier"},
	{typ: "Patient", name: "language", kind: TypeToken, expr: "Patient.communication.language", def: "Patient-language"},
	{typ: "Patient", name: "link", kind: TypeReference, expr: "Patient.link.other", def: "Patient-link", targets: "Patient RelatedPerson"},
	{typ: "Patient", name: "name", kind: TypeString, expr: "Patient.name", def: "Patient-name"},
	{typ: "Patient", name: "organization", kind: TypeReference, expr: "Patient.managingOrganization", def: "Patient-organization", targets: "Organization"},
	{typ: "Patient", name: "phone", kind: TypeToken, expr: "Patient.telecom.where(system='phone')", def: "individual-phone"},
	// phonetic: R4 leaves the algorithm to the server. Here it is the name parameter's
	// normalised starts-with (accent- and case-insensitive), not a sound-alike code.
	{typ: "Patient", name: "phonetic", kind: TypeString, expr: "Patient.name", def: "individual-phonetic"},
	{typ: "Patient", name: "telecom", kind: TypeToken, expr: "Patient.telecom", def: "individual-telecom"},

	// Programme parameter: the UK Core ethnic category
	// (https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory), a
	// CodeableConcept, e.g. ethnicity=https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland|A.
	{typ: "Patient", name: "ethnicity", kind: TypeToken, expr: "Patient.extension.where(url='" + fhir.ExtEthnicCategory + "').value"},
}

// deceasedEntries: true when deceased[x] is present and not false (a deceasedDateTime
// says true), else false, as the R4 expression evaluates; so deceased=false finds the
// living, including those with no deceased element.
func deceasedEntries(name string, obj map[string]any) []Entry {
	dead := false
	if b, ok := obj["deceasedBoolean"].(bool); ok {
		dead = b
	} else if _, ok := obj["deceasedDateTime"]; ok {
		dead = true
	}
	if dead {
		return []Entry{{Param: name, Code: "true"}}
	}
	return []Entry{{Param: name, Code: "false"}}
}

// Practitioner: the 17 parameters of R4 (https://hl7.org/fhir/R4/practitioner.html#search).
var practitionerRows = []paramRow{
	{typ: "Practitioner", name: "active", kind: TypeToken, expr: "Practitioner.active", def: "Practitioner-active"},
	{typ: "Practitioner", name: "address", kind: TypeString, expr: "Practitioner.address", def: "individual-address"},
	{typ: "Practitioner", name: "address-city", kind: TypeString, expr: "Practitioner.address.city", def: "individual-address-city"},
	{typ: "Practitioner", name: "address-country", kind: TypeString, expr: "Practitioner.address.country", def: "individual-address-country"},
	{typ: "Practitioner", name: "address-postalcode", kind: TypeString, expr: "Practitioner.address.postalCode", def: "individual-address-postalcode"},
	{typ: "Practitioner", name: "address-state", kind: TypeString, expr: "Practitioner.address.state", def: "individual-address-state"},
	{typ: "Practitioner", name: "address-use", kind: TypeToken, expr: "Practitioner.address.use", def: "individual-address-use"},
	{typ: "Practitioner", name: "communication", kind: TypeToken, expr: "Practitioner.communication", def: "Practitioner-communication"},
	{typ: "Practitioner", name: "email", kind: TypeToken, expr: "Practitioner.telecom.where(system='email')", def: "individual-email"},
	{typ: "Practitioner", name: "family", kind: TypeString, expr: "Practitioner.name.family", def: "individual-family"},
	{typ: "Practitioner", name: "gender", kind: TypeToken, expr: "Practitioner.gender", def: "individual-gender"},
	{typ: "Practitioner", name: "given", kind: TypeString, expr: "Practitioner.name.given", def: "individual-given"},
	{typ: "Practitioner", name: "identifier", kind: TypeToken, expr: "Practitioner.identifier", def: "Practitioner-identifier"},
	{typ: "Practitioner", name: "name", kind: TypeString, expr: "Practitioner.name", def: "Practitioner-name"},
	{typ: "Practitioner", name: "phone", kind: TypeToken, expr: "Practitioner.telecom.where(system='phone')", def: "individual-phone"},
	{typ: "Practitioner", name: "phonetic", kind: TypeString, expr: "Practitioner.name", def: "individual-phonetic"}, // as Patient's
	{typ: "Practitioner", name: "telecom", kind: TypeToken, expr: "Practitioner.telecom", def: "individual-telecom"},
}
