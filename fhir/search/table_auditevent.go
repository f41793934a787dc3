package search

// AuditEvent: the 18 parameters of R4 (https://hl7.org/fhir/R4/auditevent.html#search).
// Every access to personal data writes one.
var auditEventRows = []paramRow{
	{typ: "AuditEvent", name: "action", kind: TypeToken, expr: "AuditEvent.action", def: "AuditEvent-action"},
	{typ: "AuditEvent", name: "address", kind: TypeString, expr: "AuditEvent.agent.network.address", def: "AuditEvent-address"},
	{typ: "AuditEvent", name: "agent", kind: TypeReference, expr: "AuditEvent.agent.who", def: "AuditEvent-agent", targets: "Practitioner Organization Device Patient PractitionerRole RelatedPerson"},
	{typ: "AuditEvent", name: "agent-name", kind: TypeString, expr: "AuditEvent.agent.name", def: "AuditEvent-agent-name"},
	{typ: "AuditEvent", name: "agent-role", kind: TypeToken, expr: "AuditEvent.agent.role", def: "AuditEvent-agent-role"},
	{typ: "AuditEvent", name: "altid", kind: TypeToken, expr: "AuditEvent.agent.altId", def: "AuditEvent-altid"},
	{typ: "AuditEvent", name: "date", kind: TypeDate, expr: "AuditEvent.recorded", def: "AuditEvent-date"},
	{typ: "AuditEvent", name: "entity", kind: TypeReference, expr: "AuditEvent.entity.what", def: "AuditEvent-entity", targets: "*"},
	{typ: "AuditEvent", name: "entity-name", kind: TypeString, expr: "AuditEvent.entity.name", def: "AuditEvent-entity-name"},
	{typ: "AuditEvent", name: "entity-role", kind: TypeToken, expr: "AuditEvent.entity.role", def: "AuditEvent-entity-role"},
	{typ: "AuditEvent", name: "entity-type", kind: TypeToken, expr: "AuditEvent.entity.type", def: "AuditEvent-entity-type"},
	{typ: "AuditEvent", name: "outcome", kind: TypeToken, expr: "AuditEvent.outcome", def: "AuditEvent-outcome"},
	{typ: "AuditEvent", name: "patient", kind: TypeReference, expr: "AuditEvent.agent.who.where(resolve() is Patient) | AuditEvent.entity.what.where(resolve() is Patient)", def: "AuditEvent-patient", targets: "Patient"},
	{typ: "AuditEvent", name: "policy", kind: TypeURI, expr: "AuditEvent.agent.policy", def: "AuditEvent-policy"},
	{typ: "AuditEvent", name: "site", kind: TypeToken, expr: "AuditEvent.source.site", def: "AuditEvent-site"},
	{typ: "AuditEvent", name: "source", kind: TypeReference, expr: "AuditEvent.source.observer", def: "AuditEvent-source", targets: "Practitioner Organization Device Patient PractitionerRole RelatedPerson"},
	{typ: "AuditEvent", name: "subtype", kind: TypeToken, expr: "AuditEvent.subtype", def: "AuditEvent-subtype"},
	{typ: "AuditEvent", name: "type", kind: TypeToken, expr: "AuditEvent.type", def: "AuditEvent-type"},
}
