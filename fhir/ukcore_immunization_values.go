package fhir

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Rules on the values of a UK Core Immunization: the codes that say what was given and
// against what, the dose, and the dates. See ukcore_immunization.go.

// procedure checks the one extension the NHS API accepts, the vaccination procedure, and
// that its SNOMED code is a concept id.
func (c ukImm) procedure() {
	var procs []int
	for i, e := range nhsArr(c.m["extension"]) {
		if url := nhsStr(nhsObj(e)["url"]); url == ExtVaccinationProcedure {
			procs = append(procs, i)
		} else {
			c.add("not-supported", fmt.Sprintf("extension[%d].url", i), "extension[%d].url must be one of the following: %s", i, ExtVaccinationProcedure)
		}
	}
	switch {
	case len(procs) == 0:
		c.add("required", "extension", "%s is a mandatory field", ukProcLoc)
		return
	case len(procs) > 1:
		c.add("invariant", "extension", "%s must appear exactly once", ukProcLoc)
		return
	}
	at := fmt.Sprintf("extension[%d].valueCodeableConcept", procs[0])
	vcc := nhsObj(nhsObj(nhsArr(c.m["extension"])[procs[0]])["valueCodeableConcept"])
	if vcc == nil {
		c.add("required", at, "%s.valueCodeableConcept is a mandatory field", ukProcLoc)
		return
	}
	if !c.snomedCodes(nhsArr(vcc["coding"]), at, ukProcLoc+".valueCodeableConcept") {
		c.add("required", at+".coding", "%s.valueCodeableConcept.%s is a mandatory field", ukProcLoc, ukSNOMEDLoc)
	}
}

// snomedCodes checks every SNOMED coding's code in codings (at is their CodeableConcept)
// and reports whether there was one with a code.
func (c ukImm) snomedCodes(codings []any, at, loc string) bool {
	found := false
	for i, x := range codings {
		coding := nhsObj(x)
		code := nhsStr(coding["code"])
		if coding["system"] != SystemSNOMED || code == "" {
			continue
		}
		found = true
		if !ValidSNOMEDCode(code) {
			c.add("value", fmt.Sprintf("%s.coding[%d].code", at, i), "%s.%s is not a valid snomed code", loc, ukSNOMEDLoc)
		}
	}
	return found
}

// protocolApplied checks the one protocol applied: its target diseases, each with exactly
// one SNOMED coding, must together be a known vaccine type; the dose number is 1 to 9.
func (c ukImm) protocolApplied() {
	list := nhsArr(c.m["protocolApplied"])
	if len(list) == 0 {
		c.add("required", "protocolApplied", "protocolApplied[0].targetDisease is a mandatory field")
		return
	}
	if len(list) != 1 {
		c.add("invariant", "protocolApplied", "protocolApplied must be an array of length 1")
	}
	pa := nhsObj(list[0])
	diseases := nhsArr(pa["targetDisease"])
	if len(diseases) == 0 {
		c.add("required", "protocolApplied[0].targetDisease", "protocolApplied[0].targetDisease is a mandatory field")
	}
	var codes []string
	readable := len(diseases) > 0 // the combination is judged only when every disease has its code
	for i, d := range diseases {
		at := fmt.Sprintf("protocolApplied[0].targetDisease[%d]", i)
		codings, ok := nhsObj(d)["coding"].([]any)
		if !ok {
			c.add("required", at, "Every element of protocolApplied[0].targetDisease must have 'coding' property")
			readable = false
			continue
		}
		var snomed []string
		for _, x := range codings {
			if nhsObj(x)["system"] == SystemSNOMED {
				snomed = append(snomed, nhsStr(nhsObj(x)["code"]))
			}
		}
		switch {
		case len(snomed) != 1:
			c.add("invariant", at+".coding", "%s.coding must contain exactly one element with a system of %s", at, SystemSNOMED)
			readable = false
		case snomed[0] == "":
			c.add("required", at+".coding", "%s.%s is a mandatory field", at, ukSNOMEDLoc)
			readable = false
		default:
			codes = append(codes, snomed[0])
		}
	}
	if _, ok := VaccineTypeOf(codes); readable && !ok {
		quoted := make([]string, len(codes))
		for i, code := range codes {
			quoted[i] = "'" + code + "'"
		}
		c.add("code-invalid", "protocolApplied[0].targetDisease",
			"protocolApplied[0].targetDisease[*].%s - [%s] is not a valid combination of disease codes for this service",
			ukSNOMEDLoc, strings.Join(quoted, ", "))
	}
	if n, ok := pa["doseNumberPositiveInt"]; ok {
		c.doseNumber(n)
	}
}

// doseNumber: a positive integer no greater than 9. The JSON number is judged by its
// digits, so that no size of number can overflow a parse.
func (c ukImm) doseNumber(v any) {
	const at = "protocolApplied[0].doseNumberPositiveInt"
	n, _ := v.(json.Number)
	digits := n != "" && strings.Trim(string(n), "0123456789") == ""
	switch {
	case !digits || n == "0":
		c.add("value", at, "%s must be a positive integer", at)
	case len(n) > 1:
		c.add("value", at, "%s must be an integer in the range 1 to 9", at)
	}
}

// codings checks the SNOMED vaccine product code, one coding per system in site and
// route, and the dose quantity.
func (c ukImm) codings() {
	c.snomedCodes(nhsArr(nhsObj(c.m["vaccineCode"])["coding"]), "vaccineCode", "vaccineCode")
	for _, el := range []string{"site", "route"} {
		seen := map[string]bool{}
		for i, x := range nhsArr(nhsObj(c.m[el])["coding"]) {
			sys := nhsStr(nhsObj(x)["system"])
			if sys != "" && seen[sys] {
				c.add("invariant", fmt.Sprintf("%s.coding[%d]", el, i), "%s.coding[?(@.system=='%s')] must be unique", el, sys)
			}
			seen[sys] = true
		}
	}
	dq := nhsObj(c.m["doseQuantity"])
	if v, ok := dq["value"]; ok {
		if _, num := v.(json.Number); !num {
			c.add("value", "doseQuantity.value", "doseQuantity.value must be a number")
		}
	}
	if _, ok := dq["code"]; ok && nhsStr(dq["system"]) == "" {
		c.add("required", "doseQuantity.system", "If doseQuantity.code is present, doseQuantity.system must also be present")
	}
}

// dates: when the vaccination was given (UK offsets only) and recorded, neither in the
// future; the batch expiry date, which may be.
func (c ukImm) dates() {
	if v, ok := c.m["occurrenceDateTime"]; ok {
		c.dateTime("occurrenceDateTime", v, true)
	} else {
		c.add("required", "occurrenceDateTime", "occurrenceDateTime is a mandatory field")
	}
	if v, ok := c.m["recorded"]; ok {
		c.dateTime("recorded", v, false)
	} else {
		c.add("required", "recorded", "recorded is a mandatory field")
	}
	if v, ok := c.m["expirationDate"]; ok {
		c.date("expirationDate", "expirationDate", v, true)
	}
}

func (c ukImm) dateTime(at string, v any, ukOffset bool) {
	t, dateOnly, offset, ok := nhsParseDateTime(nhsStr(v))
	if ok && ukOffset && !dateOnly && offset != "Z" && offset != "+00:00" && offset != "+01:00" {
		ok = false
	}
	if !ok {
		rule := ""
		if ukOffset {
			rule = "; only '+00:00' and '+01:00' are accepted as timezone offsets"
		}
		c.add("value", at, "%s must be a valid datetime in one of the following formats: 'YYYY-MM-DD', "+
			"'YYYY-MM-DDThh:mm:ss+zz:zz' or 'YYYY-MM-DDThh:mm:ss.f+zz:zz'%s; partial dates are not allowed for %s in this service",
			at, rule, at)
		return
	}
	if nhsFuture(t, dateOnly) {
		c.add("value", at, "%s must not be in the future", at)
	}
}

// date checks a full date at rel, named loc in the message.
func (c ukImm) date(rel, loc string, v any, futureAllowed bool) {
	t, ok := nhsParseDate(nhsStr(v))
	switch {
	case !ok:
		c.add("value", rel, `%s must be a valid date string in the format "YYYY-MM-DD"`, loc)
	case !futureAllowed && nhsFuture(t, true):
		c.add("value", rel, "%s must not be in the future", loc)
	}
}
