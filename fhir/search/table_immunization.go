package search

import "github.com/nimsproject/nims/fhir"

// Immunization: the 16 parameters of R4 (https://hl7.org/fhir/R4/immunization.html#search)
// and the NHS Immunisation API's -immunization.target.
//
// Not rows here, because they are not index entries: -date.from and -date.to are the
// parser's aliases of date (ge and le on the day); patient.identifier is a chain through
// patient; target-disease's combination vaccines (measles finds MMR and MMRV records) are
// the parser's expansion of the code, since each record's entries are its own diseases.
var immunizationRows = []paramRow{
	{typ: "Immunization", name: "date", kind: TypeDate, expr: "Immunization.occurrence", def: "clinical-date"},
	{typ: "Immunization", name: "identifier", kind: TypeToken, expr: "Immunization.identifier", def: "clinical-identifier"},
	{typ: "Immunization", name: "location", kind: TypeReference, expr: "Immunization.location", def: "Immunization-location", targets: "Location"},
	{typ: "Immunization", name: "lot-number", kind: TypeString, expr: "Immunization.lotNumber", def: "Immunization-lot-number"},
	{typ: "Immunization", name: "manufacturer", kind: TypeReference, expr: "Immunization.manufacturer", def: "Immunization-manufacturer", targets: "Organization"},
	// patient: clinical-patient lists Patient and Group for all its types; Immunization.patient
	// refers to a Patient only.
	{typ: "Immunization", name: "patient", kind: TypeReference, expr: "Immunization.patient", def: "clinical-patient", targets: "Patient"},
	{typ: "Immunization", name: "performer", kind: TypeReference, expr: "Immunization.performer.actor", def: "Immunization-performer", targets: "Practitioner Organization PractitionerRole"},
	{typ: "Immunization", name: "reaction", kind: TypeReference, expr: "Immunization.reaction.detail", def: "Immunization-reaction", targets: "Observation"},
	{typ: "Immunization", name: "reaction-date", kind: TypeDate, expr: "Immunization.reaction.date", def: "Immunization-reaction-date"},
	{typ: "Immunization", name: "reason-code", kind: TypeToken, expr: "Immunization.reasonCode", def: "Immunization-reason-code"},
	{typ: "Immunization", name: "reason-reference", kind: TypeReference, expr: "Immunization.reasonReference", def: "Immunization-reason-reference", targets: "Condition Observation DiagnosticReport"},
	{typ: "Immunization", name: "series", kind: TypeString, expr: "Immunization.protocolApplied.series", def: "Immunization-series"},
	{typ: "Immunization", name: "status", kind: TypeToken, expr: "Immunization.status", def: "Immunization-status"},
	{typ: "Immunization", name: "status-reason", kind: TypeToken, expr: "Immunization.statusReason", def: "Immunization-status-reason"},
	{typ: "Immunization", name: "target-disease", kind: TypeToken, expr: "Immunization.protocolApplied.targetDisease", def: "Immunization-target-disease"},
	{typ: "Immunization", name: "vaccine-code", kind: TypeToken, expr: "Immunization.vaccineCode", def: "Immunization-vaccine-code"},

	// Programme parameter: the NHS vaccine type (COVID, FLU, MMR, …; reference/nhs-england.md
	// §1.7), one entry with that Code and no system. Its expression is documentation: the
	// type is looked up from the whole set of SNOMED target diseases.
	{typ: "Immunization", name: "-immunization.target", kind: TypeToken, expr: "Immunization.protocolApplied.first().targetDisease", extract: vaccineTypeEntries},
}

// vaccineTypeEntries: the vaccine type of the SNOMED codes of protocolApplied[0]'s target
// diseases, the only place the NHS API reads it from (fhir.VaccineTypeOf); none when the
// set is no type's.
func vaccineTypeEntries(name string, obj map[string]any) []Entry {
	pas, _ := obj["protocolApplied"].([]any)
	if len(pas) == 0 {
		return nil
	}
	pa, _ := pas[0].(map[string]any)
	var codes []string
	for _, d := range pathObjects(pa["targetDisease"]) {
		for _, c := range pathObjects(d["coding"]) {
			if pathStr(c, "system") == fhir.SystemSNOMED {
				codes = append(codes, pathStr(c, "code"))
			}
		}
	}
	if t, ok := fhir.VaccineTypeOf(codes); ok {
		return []Entry{{Param: name, Code: t}}
	}
	return nil
}
