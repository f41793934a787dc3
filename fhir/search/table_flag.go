package search

// Flag: the 6 parameters of R4 (https://hl7.org/fhir/R4/flag.html#search) and code,
// status and category, which R4 does not define for Flag but the programme needs: its
// priority groups and risk factors are Flags (SNOMED code, category such as clinical risk
// or health-care worker, status active or inactive, period).
var flagRows = []paramRow{
	{typ: "Flag", name: "author", kind: TypeReference, expr: "Flag.author", def: "Flag-author", targets: "Practitioner Organization Device Patient PractitionerRole"},
	{typ: "Flag", name: "date", kind: TypeDate, expr: "Flag.period", def: "clinical-date"},
	{typ: "Flag", name: "encounter", kind: TypeReference, expr: "Flag.encounter", def: "clinical-encounter", targets: "Encounter"},
	{typ: "Flag", name: "identifier", kind: TypeToken, expr: "Flag.identifier", def: "Flag-identifier"},
	{typ: "Flag", name: "patient", kind: TypeReference, expr: "Flag.subject.where(resolve() is Patient)", def: "clinical-patient", targets: "Patient"},
	{typ: "Flag", name: "subject", kind: TypeReference, expr: "Flag.subject", def: "Flag-subject", targets: "Practitioner Group Organization Medication Patient PlanDefinition Procedure Location"},

	// Programme parameters (no R4 definition).
	{typ: "Flag", name: "category", kind: TypeToken, expr: "Flag.category"},
	{typ: "Flag", name: "code", kind: TypeToken, expr: "Flag.code"},
	{typ: "Flag", name: "status", kind: TypeToken, expr: "Flag.status"},
}
