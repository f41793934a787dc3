package search

// Communication: the 15 parameters of R4
// (https://hl7.org/fhir/R4/communication.html#search). Invitations and reminders are
// Communications: category invitation or reminder, medium letter or SMS, sent, status,
// based-on the cohort.
var communicationRows = []paramRow{
	{typ: "Communication", name: "based-on", kind: TypeReference, expr: "Communication.basedOn", def: "Communication-based-on", targets: "*"},
	{typ: "Communication", name: "category", kind: TypeToken, expr: "Communication.category", def: "Communication-category"},
	{typ: "Communication", name: "encounter", kind: TypeReference, expr: "Communication.encounter", def: "Communication-encounter", targets: "Encounter"},
	{typ: "Communication", name: "identifier", kind: TypeToken, expr: "Communication.identifier", def: "Communication-identifier"},
	{typ: "Communication", name: "instantiates-canonical", kind: TypeReference, expr: "Communication.instantiatesCanonical", def: "Communication-instantiates-canonical", targets: "Questionnaire Measure PlanDefinition OperationDefinition ActivityDefinition"},
	{typ: "Communication", name: "instantiates-uri", kind: TypeURI, expr: "Communication.instantiatesUri", def: "Communication-instantiates-uri"},
	{typ: "Communication", name: "medium", kind: TypeToken, expr: "Communication.medium", def: "Communication-medium"},
	{typ: "Communication", name: "part-of", kind: TypeReference, expr: "Communication.partOf", def: "Communication-part-of", targets: "*"},
	{typ: "Communication", name: "patient", kind: TypeReference, expr: "Communication.subject.where(resolve() is Patient)", def: "Communication-patient", targets: "Patient"},
	{typ: "Communication", name: "received", kind: TypeDate, expr: "Communication.received", def: "Communication-received"},
	{typ: "Communication", name: "recipient", kind: TypeReference, expr: "Communication.recipient", def: "Communication-recipient", targets: "Practitioner Group Organization CareTeam Device Patient HealthcareService PractitionerRole RelatedPerson"},
	{typ: "Communication", name: "sender", kind: TypeReference, expr: "Communication.sender", def: "Communication-sender", targets: "Practitioner Organization Device Patient HealthcareService PractitionerRole RelatedPerson"},
	{typ: "Communication", name: "sent", kind: TypeDate, expr: "Communication.sent", def: "Communication-sent"},
	{typ: "Communication", name: "status", kind: TypeToken, expr: "Communication.status", def: "Communication-status"},
	{typ: "Communication", name: "subject", kind: TypeReference, expr: "Communication.subject", def: "Communication-subject", targets: "Group Patient"},
}
