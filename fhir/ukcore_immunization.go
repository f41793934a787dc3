package fhir

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// The NHS Immunisation API's rules for a vaccination record (reference/nhs-england.md §1.6),
// applied to an Immunization that declares ProfileUKCoreImmunization. Diagnostics use the
// NHS API's wording and field locations where it has them, so that a supplier moving from
// it sees the messages it knows; the issue expression is always FHIRPath.
//
// NIMS departs from the NHS API on purpose: reaction (adverse reactions) is accepted;
// status may be not-done as well as completed, with statusReason (ukcore-imm-001, checked
// for every Immunization); note is accepted; text is accepted where the NHS list names a
// non-existent "narrative"; an occurrenceDateTime offset written "Z" counts as +00:00.

var ukImmAllowed = map[string][]string{
	"Immunization": {"resourceType", "meta", "text", "contained", "id", "extension", "identifier",
		"status", "statusReason", "vaccineCode", "patient", "occurrenceDateTime", "recorded",
		"primarySource", "manufacturer", "location", "lotNumber", "expirationDate", "site", "route",
		"doseQuantity", "performer", "note", "reasonCode", "reaction", "protocolApplied"},
	"Patient":      {"resourceType", "id", "identifier", "name", "gender", "birthDate", "address"},
	"Practitioner": {"resourceType", "id", "name"},
}

const (
	ukPatientLoc = "contained[?(@.resourceType=='Patient')]"
	ukOrgLoc     = "performer[?(@.actor.type=='Organization')].actor.identifier"
	ukSNOMEDLoc  = "coding[?(@.system=='" + SystemSNOMED + "')].code"
	ukProcLoc    = "extension[?(@.url=='" + ExtVaccinationProcedure + "')]"
)

// ukImm checks one Immunization object m whose FHIRPath is path.
type ukImm struct {
	m    map[string]any
	path string
	is   *Issues
}

// add records an issue at the element rel (relative to the Immunization; "" for itself).
func (c ukImm) add(code, rel, format string, args ...any) {
	expr := c.path
	if rel != "" {
		expr += "." + rel
	}
	c.is.Add(code, expr, format, args...)
}

func (c ukImm) check() {
	c.elements(c.m, "", "Immunization")
	patient, patientAt, practitioner, practitioners := c.contained()
	c.references(patient, practitioner, practitioners)
	c.organisation()
	c.identifier()
	c.status()
	c.procedure()
	c.protocolApplied()
	c.codings()
	c.dates()
	c.mandatory()
	if patient != nil {
		c.patient(patient, patientAt)
	}
}

// elements rejects members the NHS API does not accept; a primitive's "_name" companion
// goes with its name.
func (c ukImm) elements(m map[string]any, at, typ string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(ukImmAllowed[typ], strings.TrimPrefix(k, "_")) {
			c.add("not-supported", joinPath(at, k), "%s is not an allowed element of the %s resource for this service", k, typ)
		}
	}
}

// contained checks that contained holds exactly one Patient, at most one Practitioner and
// nothing else, with distinct ids. It returns the Patient (and where it is) when there is
// exactly one, the Practitioner when there is exactly one, and how many Practitioners.
func (c ukImm) contained() (patient map[string]any, patientAt string, practitioner map[string]any, practitioners int) {
	list := nhsArr(c.m["contained"])
	if len(list) == 0 {
		c.add("required", "contained", "contained is a mandatory field")
		return nil, "", nil, 0
	}
	var patients int
	ids := map[string]bool{}
	for i, x := range list {
		r, at := nhsObj(x), fmt.Sprintf("contained[%d]", i)
		typ := nhsStr(r["resourceType"])
		switch typ {
		case "Patient":
			patients++
			patient, patientAt = r, at
		case "Practitioner":
			practitioners++
			practitioner = r
		default:
			c.add("not-supported", at, "contained must contain only Patient and Practitioner resources")
			continue
		}
		c.elements(r, at, typ)
		id := nhsStr(r["id"])
		switch {
		case id == "":
			c.add("required", at+".id", "The contained %s resource must have an 'id' field", typ)
		case ids[id]:
			c.add("invariant", at+".id", "ids must not be duplicated amongst contained resources")
		}
		ids[id] = true
	}
	if patients != 1 {
		c.add("invariant", "contained", "contained must contain exactly one Patient resource")
		patient = nil
	}
	if practitioners > 1 {
		c.add("invariant", "contained", "contained must contain a maximum of one Practitioner resource")
	}
	if practitioners != 1 {
		practitioner = nil
	}
	return patient, patientAt, practitioner, practitioners
}

// references checks that patient points at the contained Patient and that performer
// refers to the contained Practitioner, if any, exactly once and to nothing else inside.
// With several Practitioners contained (already reported) performer is not judged.
func (c ukImm) references(patient, practitioner map[string]any, practitioners int) {
	ref := nhsStr(nhsObj(c.m["patient"])["reference"])
	switch {
	case !strings.HasPrefix(ref, "#"):
		c.add("invariant", "patient.reference", "patient.reference must be a single reference to a contained Patient resource")
	case patient != nil && nhsStr(patient["id"]) != "" && ref != "#"+nhsStr(patient["id"]):
		c.add("invariant", "patient.reference", "The reference '%s' does not match the id of the contained Patient resource", ref)
	}
	if practitioners > 1 {
		return
	}
	practID := nhsStr(practitioner["id"])
	uses := 0
	for i, p := range nhsArr(c.m["performer"]) {
		ref := nhsStr(nhsObj(nhsObj(p)["actor"])["reference"])
		at := fmt.Sprintf("performer[%d].actor.reference", i)
		switch {
		case !strings.HasPrefix(ref, "#"):
		case practitioner == nil:
			c.add("invariant", at, "performer must not contain internal references when there is no contained Practitioner resource")
		case ref == "#"+practID:
			uses++
		default:
			c.add("invariant", at, "performer must not contain any internal references other than to the contained Practitioner resource")
		}
	}
	if practitioner == nil || practID == "" {
		return
	}
	if uses == 0 {
		c.add("invariant", "performer", "contained Practitioner resource id '%s' must be referenced from performer", practID)
	} else if uses > 1 {
		c.add("invariant", "performer", "contained Practitioner resource id '%s' must only be referenced once from performer", practID)
	}
}

// organisation checks the one performing Organization and its identifier. Whether an ODS
// value is well formed is checked for every identifier by nhsIssues.
func (c ukImm) organisation() {
	var orgs []int
	for i, p := range nhsArr(c.m["performer"]) {
		if nhsObj(nhsObj(p)["actor"])["type"] == "Organization" {
			orgs = append(orgs, i)
		}
	}
	if len(orgs) != 1 {
		c.add("invariant", "performer", "There must be exactly one performer.actor[?@.type=='Organization'] with type 'Organization'")
		return
	}
	at := fmt.Sprintf("performer[%d].actor.identifier", orgs[0])
	id := nhsObj(nhsObj(nhsObj(nhsArr(c.m["performer"])[orgs[0]])["actor"])["identifier"])
	for _, f := range []string{"system", "value"} {
		if nhsStr(id[f]) == "" {
			c.add("required", at+"."+f, "%s.%s is a mandatory field", ukOrgLoc, f)
		}
	}
}

// identifier checks the record's business identifier: exactly one, system and value.
func (c ukImm) identifier() {
	ids, present := c.m["identifier"]
	list := nhsArr(ids)
	switch {
	case !present:
		c.add("required", "identifier", "identifier is a mandatory field")
		return
	case len(list) != 1:
		c.add("invariant", "identifier", "identifier must be an array of length 1")
		return
	}
	for _, f := range []string{"system", "value"} {
		if nhsStr(nhsObj(list[0])[f]) == "" {
			c.add("required", "identifier[0]."+f, "identifier[0].%s is a mandatory field", f)
		}
	}
}

// status: the NHS API takes completed only; NIMS also records vaccinations not given.
func (c ukImm) status() {
	switch s := nhsStr(c.m["status"]); s {
	case "completed", "not-done", "":
	default:
		c.add("value", "status", "status must be one of the following: completed, not-done")
	}
}

// mandatory: the remaining elements the NHS API requires for every vaccine type.
func (c ukImm) mandatory() {
	if _, ok := c.m["primarySource"]; !ok {
		c.add("required", "primarySource", "primarySource is a mandatory field")
	}
	id := nhsObj(nhsObj(c.m["location"])["identifier"])
	for _, f := range []string{"system", "value"} {
		if nhsStr(id[f]) == "" {
			c.add("required", "location.identifier."+f, "location.identifier.%s is a mandatory field", f)
		}
	}
}

// patient checks the contained Patient, at rel: the NHS number is optional (its value is
// checked wherever it appears, by nhsIssues), name, gender, birth date and postcode are
// required, names within the PDS limits.
func (c ukImm) patient(p map[string]any, rel string) {
	if ids, ok := p["identifier"]; ok {
		list := nhsArr(ids)
		if len(list) != 1 {
			c.add("invariant", rel+".identifier", "%s.identifier must be an array of length 1", ukPatientLoc)
		} else if id := nhsObj(list[0]); id["extension"] != nil {
			c.add("not-supported", rel+".identifier[0].extension", "%s.identifier[0] must not include an extension", ukPatientLoc)
		} else if id["system"] != SystemNHSNumber {
			c.add("value", rel+".identifier[0].system", "%s.identifier[0].system must be %s", ukPatientLoc, SystemNHSNumber)
		}
	}
	c.patientName(nhsArr(p["name"]), rel)
	if nhsStr(p["gender"]) == "" {
		c.add("required", rel+".gender", "%s.gender is a mandatory field", ukPatientLoc)
	}
	if v, ok := p["birthDate"]; ok {
		c.date(rel+".birthDate", ukPatientLoc+".birthDate", v, false)
	} else {
		c.add("required", rel+".birthDate", "%s.birthDate is a mandatory field", ukPatientLoc)
	}
	for _, a := range nhsArr(p["address"]) {
		if nhsStr(nhsObj(a)["postalCode"]) != "" {
			return
		}
	}
	c.add("required", rel+".address", "%s.address[0].postalCode is a mandatory field", ukPatientLoc)
}

// patientName: the current name (the first official one, else the first not old, else
// the first) must have a family name and a given name; every name keeps to PDS's limits.
func (c ukImm) patientName(names []any, rel string) {
	if len(names) == 0 {
		c.add("required", rel+".name", "%s.name is a mandatory field", ukPatientLoc)
		return
	}
	current := -1
	for _, use := range []string{"official", ""} {
		for i, n := range names {
			u := nhsStr(nhsObj(n)["use"])
			if current < 0 && (u == use || use == "" && u != "old") {
				current = i
			}
		}
	}
	current = max(current, 0)
	for i, n := range names {
		name, at := nhsObj(n), fmt.Sprintf("%s.name[%d]", rel, i)
		loc := fmt.Sprintf("%s.name[%d]", ukPatientLoc, i)
		family, given := nhsStr(name["family"]), nhsArr(name["given"])
		if i == current && family == "" {
			c.add("required", at+".family", "%s.family is a mandatory field", loc)
		}
		if i == current && len(given) == 0 {
			c.add("required", at+".given", "%s.given is a mandatory field", loc)
		}
		if utf8.RuneCountInString(family) > 35 {
			c.add("value", at+".family", "%s.family must be 35 or fewer characters", loc)
		}
		if len(given) > 5 {
			c.add("value", at+".given", "%s.given must be an array of maximum length 5", loc)
		}
		for j, g := range given {
			if utf8.RuneCountInString(nhsStr(g)) > 180 {
				c.add("value", fmt.Sprintf("%s.given[%d]", at, j), "%s.given[%d] must be 180 or fewer characters", loc, j)
			}
		}
	}
}
