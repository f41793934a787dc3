package fhir

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
)

// ukEdit changes the decoded testdata record before it is checked.
type ukEdit func(t *testing.T, m map[string]any)

// ukSet sets the element at path (members and [i] indexes, "[n]" at the end of an array of
// n appends) to the JSON js, or deletes it when js is "".
func ukSet(path, js string) ukEdit {
	return func(t *testing.T, m map[string]any) {
		t.Helper()
		var val any
		if js != "" {
			dec := json.NewDecoder(strings.NewReader(js))
			dec.UseNumber()
			if err := dec.Decode(&val); err != nil {
				t.Fatalf("ukSet %s: %v", path, err)
			}
		}
		segs := strings.Split(path, ".")
		var cur any = m
		for n, seg := range segs {
			name, idx := seg, -1
			if i := strings.IndexByte(seg, '['); i >= 0 {
				name = seg[:i]
				idx, _ = strconv.Atoi(seg[i+1 : len(seg)-1])
			}
			obj := cur.(map[string]any)
			last := n == len(segs)-1
			switch {
			case last && idx < 0 && js == "":
				delete(obj, name)
			case last && idx < 0:
				obj[name] = val
			case last:
				arr := obj[name].([]any)
				if idx == len(arr) {
					obj[name] = append(arr, val)
				} else {
					arr[idx] = val
				}
			case idx < 0:
				cur = obj[name]
			default:
				cur = obj[name].([]any)[idx]
			}
		}
	}
}

func ukEdits(es ...ukEdit) ukEdit {
	return func(t *testing.T, m map[string]any) {
		for _, e := range es {
			e(t, m)
		}
	}
}

func ukRecord(t *testing.T, edit ukEdit) *Resource {
	t.Helper()
	js, err := os.ReadFile("testdata/ukcore-immunization-covid.json")
	if err != nil {
		t.Fatal(err)
	}
	r := nhsDecode(t, string(js))
	if edit != nil {
		edit(t, r.Object)
	}
	return r
}

func TestUKCoreImmunizationValid(t *testing.T) {
	setNHSNow(t, nhsTestNow)
	if is := nhsIssues(ukRecord(t, nil)); len(is) != 0 {
		t.Fatalf("nhsIssues(testdata record) = %+v, want none", is)
	}
	// NIMS's departures from the NHS API, and what UK Core allows anyway.
	accepted := map[string]ukEdit{
		"reaction": ukSet("reaction", `[{"date":"2024-10-15T11:00:00+01:00","reported":true}]`),
		"not-done with statusReason": ukEdits(ukSet("status", `"not-done"`),
			ukSet("statusReason", `{"coding":[{"system":"http://snomed.info/sct","code":"591000119102","display":"Vaccine refused by patient"}]}`)),
		"note":                  ukSet("note", `[{"text":"Patient felt faint; observed for 15 minutes"}]`),
		"text":                  ukSet("text", `{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">COVID-19 booster</div>"}`),
		"versioned profile":     ukSet("meta.profile[0]", `"https://fhir.hl7.org.uk/StructureDefinition/UKCore-Immunization|2.4.0"`),
		"date only":             ukSet("occurrenceDateTime", `"2024-10-15"`),
		"Z offset":              ukSet("occurrenceDateTime", `"2024-10-15T09:30:00Z"`),
		"fractional seconds":    ukSet("occurrenceDateTime", `"2024-10-15T10:30:00.5+01:00"`),
		"recorded, any offset":  ukSet("recorded", `"2024-10-15T05:42:17-04:00"`),
		"expiry in the future":  ukSet("expirationDate", `"2030-01-31"`),
		"dose number as string": ukEdits(ukSet("protocolApplied[0].doseNumberPositiveInt", ""), ukSet("protocolApplied[0].doseNumberString", `"booster"`)),
		"dose number 9":         ukSet("protocolApplied[0].doseNumberPositiveInt", `9`),
		"no NHS number":         ukSet("contained[1].identifier", ""),
		"no practitioner": ukEdits(ukSet("contained", `[{"resourceType":"Patient","id":"Pat1","name":[{"family":"Taylor","given":["Sarah"]}],"gender":"female","birthDate":"1948-02-28","address":[{"postalCode":"ZZ99 3CZ"}]}]`),
			ukSet("performer", `[{"actor":{"type":"Organization","identifier":{"system":"https://fhir.hl7.org.uk/Id/urn-school-number","value":"123456"}}}]`)),
		"integer dose quantity":       ukSet("doseQuantity.value", `1`),
		"site codings of two systems": ukSet("site.coding[1]", `{"system":"https://example.org/site","code":"LA"}`),
		"old name without given":      ukSet("contained[1].name[1]", `{"use":"old","family":"Smith"}`),
		"given name of 180":           ukSet("contained[1].name[0].given[0]", `"`+strings.Repeat("é", 180)+`"`),
		"MMRV":                        ukSet("protocolApplied[0].targetDisease", `[{"coding":[{"system":"http://snomed.info/sct","code":"38907003"}]},{"coding":[{"system":"http://snomed.info/sct","code":"14189004"}]},{"coding":[{"system":"http://snomed.info/sct","code":"36653000"}]},{"coding":[{"system":"http://snomed.info/sct","code":"36989005"}]}]`),
		"dm+d vaccine code":           ukSet("vaccineCode.coding[1]", `{"system":"https://dmd.nhs.uk","code":"43111411000001101"}`),
	}
	for name, edit := range accepted {
		t.Run(name, func(t *testing.T) {
			if is := nhsIssues(ukRecord(t, edit)); len(is) != 0 {
				t.Errorf("nhsIssues = %+v, want none", is)
			}
		})
	}
}

// Without the profile the NHS API's rules do not apply: a plain R4 record may use what the
// NHS API refuses.
func TestUKCoreImmunizationNeedsProfile(t *testing.T) {
	setNHSNow(t, nhsTestNow)
	r := ukRecord(t, ukEdits(ukSet("meta", ""), ukSet("encounter", `{"reference":"Encounter/1"}`),
		ukSet("contained", ""), ukSet("protocolApplied", ""), ukSet("occurrenceDateTime", `"2031-01-01"`)))
	if is := nhsIssues(r); len(is) != 0 {
		t.Fatalf("nhsIssues = %+v, want none", is)
	}
}

// A UK Core record inside a Bundle gets the same rules, at the entry's path.
func TestUKCoreImmunizationInBundle(t *testing.T) {
	setNHSNow(t, nhsTestNow)
	rec := ukRecord(t, ukSet("protocolApplied[0].doseNumberPositiveInt", `10`))
	b := nhsDecode(t, `{"resourceType":"Bundle","type":"batch","entry":[{"resource":`+string(rec.JSON)+`}]}`)
	b.Object["entry"].([]any)[0].(map[string]any)["resource"] = rec.Object
	got := nhsIssueKeys(nhsIssues(b))
	want := []string{"value Bundle.entry[0].resource.protocolApplied[0].doseNumberPositiveInt"}
	if !nhsSameKeys(got, want) {
		t.Fatalf("nhsIssues = %q, want %q", got, want)
	}
}

// FuzzNHSIssues: whatever shape a resource has, the NHS rules report on it without
// panicking, and every issue says where. Each input is also checked as a UK Core
// Immunization, so that odd shapes reach every rule.
func FuzzNHSIssues(f *testing.F) {
	js, err := os.ReadFile("testdata/ukcore-immunization-covid.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(js)
	f.Add([]byte(`{"resourceType":"Immunization","contained":[1,{"resourceType":"Patient","name":"x"}],"performer":[{"actor":[]}]}`))
	f.Add([]byte(`{"resourceType":"Immunization","protocolApplied":[{"targetDisease":[{"coding":{}}],"doseNumberPositiveInt":"9"}],"extension":[null]}`))
	f.Add([]byte(`{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":9000000009}]}`))
	setNHSNow(f, nhsTestNow)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(data)
		if err != nil {
			return
		}
		for _, i := range nhsIssues(r) {
			if i.Code == "" || len(i.Expression) != 1 || !strings.HasPrefix(i.Expression[0], r.Type) {
				t.Fatalf("issue %+v: want a code and one expression under %s", i, r.Type)
			}
		}
		r.Object["resourceType"] = "Immunization"
		r.Object["meta"] = map[string]any{"profile": []any{ProfileUKCoreImmunization}}
		r.Type = "Immunization"
		for _, i := range nhsIssues(r) {
			if i.Code == "" || len(i.Expression) != 1 || !strings.HasPrefix(i.Expression[0], "Immunization") {
				t.Fatalf("issue %+v: want a code and one expression under Immunization", i)
			}
		}
	})
}
