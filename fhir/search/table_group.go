package search

// Group: the 10 parameters of R4 (https://hl7.org/fhir/R4/group.html#search). Cohorts are
// Groups.
var groupRows = []paramRow{
	{typ: "Group", name: "actual", kind: TypeToken, expr: "Group.actual", def: "Group-actual"},
	{typ: "Group", name: "characteristic", kind: TypeToken, expr: "Group.characteristic.code", def: "Group-characteristic"},
	// characteristic-value is composite (characteristic$value). Parse accepts no composite
	// parameter yet, so it indexes nothing; the row keeps the table complete, and /metadata
	// leaves it out while its type is unsupported.
	{typ: "Group", name: "characteristic-value", kind: TypeComposite, expr: "Group.characteristic", def: "Group-characteristic-value", extract: noEntries},
	{typ: "Group", name: "code", kind: TypeToken, expr: "Group.code", def: "Group-code"},
	{typ: "Group", name: "exclude", kind: TypeToken, expr: "Group.characteristic.exclude", def: "Group-exclude"},
	{typ: "Group", name: "identifier", kind: TypeToken, expr: "Group.identifier", def: "Group-identifier"},
	{typ: "Group", name: "managing-entity", kind: TypeReference, expr: "Group.managingEntity", def: "Group-managing-entity", targets: "Practitioner Organization PractitionerRole RelatedPerson"},
	{typ: "Group", name: "member", kind: TypeReference, expr: "Group.member.entity", def: "Group-member", targets: "Practitioner Group Device Medication Patient Substance PractitionerRole"},
	{typ: "Group", name: "type", kind: TypeToken, expr: "Group.type", def: "Group-type"},
	{typ: "Group", name: "value", kind: TypeToken, expr: "(Group.characteristic.value as CodeableConcept) | (Group.characteristic.value as boolean)", def: "Group-value"},
}

func noEntries(string, map[string]any) []Entry { return nil }
