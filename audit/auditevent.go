package audit

import (
	"cmp"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/nimsproject/nims/fhir"
)

// NIMS's own definitions used in AuditEvents. They are fixed names, not addresses of
// the serving deployment, so that events from every replica and every export compare.
const (
	// SystemInteraction codes what http://hl7.org/fhir/restful-interaction cannot say
	// exactly: token, export, validate, search-compartment, conditional-update,
	// conditional-delete, the import and the programme's feeds (and, as given, any
	// interaction missing from the table below).
	SystemInteraction = "http://nims.nhs.example/fhir/CodeSystem/audit-interaction"
	// SystemClientID identifies the API client (agent.who.identifier).
	SystemClientID = "http://nims.nhs.example/fhir/Id/client-id"
	// ExtensionChain carries the event's place in the hash chain, valueString
	// "<prev>:<hash>" (chain.go).
	ExtensionChain = "http://nims.nhs.example/fhir/StructureDefinition/audit-chain"
)

const (
	systemDICOM      = "http://dicom.nema.org/resources/ontology/DCM"
	systemRestful    = "http://hl7.org/fhir/restful-interaction"
	systemActReason  = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
	systemSourceType = "http://terminology.hl7.org/CodeSystem/security-source-type"
	systemObjectRole = "http://terminology.hl7.org/CodeSystem/object-role"
	systemEntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
)

// AuditEvent.type (https://hl7.org/fhir/R4/valueset-audit-event-type.html, DICOM).
var (
	typePatientRecord = coding{systemDICOM, "110110", "Patient Record"}
	typeAuthenticate  = coding{systemDICOM, "110114", "User Authentication"}
	typeExport        = coding{systemDICOM, "110106", "Export"}
	typeImport        = coding{systemDICOM, "110107", "Import"}
)

// interaction says how an Event.Interaction is coded. action follows the definitions of
// https://hl7.org/fhir/R4/valueset-audit-event-action.html: R (read/view) for read and
// vread, which show one resource; E (execute, "performing a query/search operation") for
// searches, histories and operations; C create, U update, D delete. An update or
// conditional update answered 201 created the resource and is coded C.
type interaction struct {
	event   coding
	action  string
	restful string // code in systemRestful, "" for none
	nims    string // display of the code in SystemInteraction, "" when restful says it all
}

var interactions = map[string]interaction{
	"read":               {typePatientRecord, "R", "read", ""},
	"vread":              {typePatientRecord, "R", "vread", ""},
	"search-type":        {typePatientRecord, "E", "search-type", ""},
	"search-compartment": {typePatientRecord, "E", "search-type", "Search within a patient compartment"},
	"history-instance":   {typePatientRecord, "E", "history-instance", ""},
	"history-type":       {typePatientRecord, "E", "history-type", ""},
	"history-system":     {typePatientRecord, "E", "history-system", ""},
	"create":             {typePatientRecord, "C", "create", ""},
	"update":             {typePatientRecord, "U", "update", ""},
	"delete":             {typePatientRecord, "D", "delete", ""},
	"conditional-update": {typePatientRecord, "U", "update", "Conditional update"},
	"conditional-delete": {typePatientRecord, "D", "delete", "Conditional delete"},
	"validate":           {typePatientRecord, "E", "operation", "$validate operation"},
	"export":             {typeExport, "E", "operation", "Bulk export"},
	"import":             {typeImport, "E", "operation", "Bulk import ($import kick-off)"},
	"import-poll-status": {typeImport, "E", "operation", "Bulk import status"},
	"import-cancel":      {typeImport, "E", "operation", "Bulk import cancelled"},
	"batch-file":         {typeImport, "E", "operation", "NHS batch file received"},
	"batch-file-status":  {typeImport, "E", "operation", "NHS batch file status"},
	"demographics-feed":  {typeImport, "E", "operation", "Demographic feed ($demographics-feed)"},
	"ethnicity-feed":     {typeImport, "E", "operation", "Ethnicity feed ($ethnicity-feed)"},
	"priority-list":      {typeImport, "E", "operation", "Priority group list ($priority-list)"},
	"operator-import":    {typeImport, "E", "operation", "nims import by an operator on the server's machine"},
	"operator-feed":      {typeImport, "E", "operation", "nims feed by an operator on the server's machine"},
	"operator-seed":      {typeImport, "E", "operation", "nims seed by an operator on the server's machine"},
	"token":              {typeAuthenticate, "E", "", "Access token issued"},
}

// The JSON shapes of the parts of an R4 AuditEvent that NIMS fills.
type (
	auditEvent struct {
		ResourceType   string      `json:"resourceType"`
		ID             string      `json:"id"`
		Extension      []extension `json:"extension"`
		Type           coding      `json:"type"`
		Subtype        []coding    `json:"subtype,omitempty"`
		Action         string      `json:"action"`
		Recorded       string      `json:"recorded"`
		Outcome        string      `json:"outcome"`
		OutcomeDesc    string      `json:"outcomeDesc,omitempty"`
		PurposeOfEvent []concept   `json:"purposeOfEvent,omitempty"`
		Agent          []agent     `json:"agent"`
		Source         source      `json:"source"`
		Entity         []entity    `json:"entity,omitempty"`
	}
	extension struct {
		URL         string `json:"url"`
		ValueString string `json:"valueString"`
	}
	coding struct {
		System  string `json:"system"`
		Code    string `json:"code"`
		Display string `json:"display,omitempty"`
	}
	concept struct {
		Coding []coding `json:"coding,omitempty"`
		Text   string   `json:"text,omitempty"`
	}
	identifier struct {
		System string `json:"system"`
		Value  string `json:"value"`
	}
	reference struct {
		Reference  string      `json:"reference,omitempty"`
		Identifier *identifier `json:"identifier,omitempty"`
		Display    string      `json:"display,omitempty"`
	}
	agent struct {
		Role      []concept  `json:"role,omitempty"`
		Who       *reference `json:"who,omitempty"`
		Requestor bool       `json:"requestor"`
		Network   *network   `json:"network,omitempty"`
	}
	network struct {
		Address string `json:"address"`
		Type    string `json:"type"`
	}
	source struct {
		Observer reference `json:"observer"`
		Type     []coding  `json:"type"`
	}
	entity struct {
		What  *reference `json:"what,omitempty"`
		Type  coding     `json:"type"`
		Role  coding     `json:"role"`
		Query []byte     `json:"query,omitempty"` // encoding/json writes base64, as base64Binary wants
	}
)

var (
	sourceAppServer = []coding{{systemSourceType, "4", "Application Server"}}
	entityPerson    = coding{systemEntityType, "1", "Person"}
	entityObject    = coding{systemEntityType, "2", "System Object"}
	rolePatient     = coding{systemObjectRole, "1", "Patient"}
	roleResource    = coding{systemObjectRole, "4", "Domain Resource"}
	roleQuery       = coding{systemObjectRole, "24", "Query"}
)

// AuditEvent renders r as an R4 AuditEvent (https://hl7.org/fhir/R4/auditevent.html):
// id is the seq; the requesting client is the one agent; source.observer names
// Options.Source of the log that stored it; each patient is an entity of role Patient,
// each other reference one of role Domain Resource, and a query or condition an entity
// of role Query. base, the server's FHIR base URL, makes the entity references absolute
// when not "" (for events read away from the server); "" keeps them relative.
func (r Record) AuditEvent(base string) []byte {
	e := &r.Event
	in, ok := interactions[e.Interaction]
	if !ok {
		in = interaction{typePatientRecord, "E", "", e.Interaction}
	}
	ae := auditEvent{
		ResourceType: "AuditEvent",
		ID:           strconv.FormatInt(r.Seq, 10),
		Extension:    []extension{{ExtensionChain, r.Prev + ":" + r.Hash}},
		Type:         in.event,
		Action:       in.action,
		Recorded:     fhir.FormatInstant(e.Time),
		Outcome:      outcome(e.Status),
		OutcomeDesc:  e.Outcome,
		Agent:        []agent{requestor(e)},
		Source:       source{Observer: reference{Display: cmp.Or(r.source, "nims")}, Type: sourceAppServer},
	}
	if in.restful != "" {
		ae.Subtype = append(ae.Subtype, coding{systemRestful, in.restful, ""})
	}
	if in.nims != "" {
		ae.Subtype = append(ae.Subtype, coding{SystemInteraction, e.Interaction, in.nims})
	}
	if e.Status == 201 && in.action == "U" {
		ae.Action = "C"
	}
	if e.Purpose != "" {
		ae.PurposeOfEvent = []concept{{Coding: []coding{{systemActReason, e.Purpose, ""}}}}
	}
	ae.Entity = entities(e, strings.TrimSuffix(base, "/"))
	js, _ := json.Marshal(ae) // plain structs of strings: cannot fail
	return js
}

// outcome codes an HTTP status (https://hl7.org/fhir/R4/valueset-audit-event-outcome.html):
// success for 1xx–3xx, minor failure (4) for the client's errors, serious failure (8)
// for the server's.
func outcome(status int) string {
	switch {
	case status >= 500:
		return "8"
	case status >= 400:
		return "4"
	}
	return "0"
}

// requestor is the client as the one agent. network.type 2 is "IP Address".
func requestor(e *Event) agent {
	a := agent{Requestor: true}
	if e.Role != "" {
		a.Role = []concept{{Text: e.Role}}
	}
	if e.ClientID != "" || e.ClientName != "" {
		a.Who = &reference{Display: e.ClientName}
		if e.ClientID != "" {
			a.Who.Identifier = &identifier{SystemClientID, e.ClientID}
		}
	}
	if e.Address != "" {
		a.Network = &network{Address: e.Address, Type: "2"}
	}
	return a
}

// entities lists the patients, then the other references, then the query.
func entities(e *Event, base string) []entity {
	ref := func(s string) *reference {
		if base != "" {
			s = base + "/" + s
		}
		return &reference{Reference: s}
	}
	out := make([]entity, 0, len(e.Patients)+len(e.Entities)+1)
	patients := make(map[string]bool, len(e.Patients))
	for _, p := range e.Patients {
		patients[p] = true
		out = append(out, entity{What: ref(p), Type: entityPerson, Role: rolePatient})
	}
	for _, s := range e.Entities {
		if !patients[s] {
			out = append(out, entity{What: ref(s), Type: entityObject, Role: roleResource})
		}
	}
	if e.Query != "" {
		out = append(out, entity{Type: entityObject, Role: roleQuery, Query: []byte(e.Query)})
	}
	return out
}
