package api

import (
	"net/url"
	"os"
	"testing"
)

// A record as the NHS Immunisation API takes it names its patient by a contained Patient
// (no Patient is stored); it is found by that Patient's NHS number, as there.
func TestSearchContainedPatientByNHSNumber(t *testing.T) {
	ts := newTestServer(t, Config{})
	b, err := os.ReadFile("../fhir/testdata/ukcore-immunization-covid.json")
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, ts, "POST", "/fhir/Immunization", b); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	for q, want := range map[string]int{
		"patient.identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|9000000009"):                                 1,
		"patient.identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|9000000009") + "&-immunization.target=COVID": 1,
		"patient.identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|9000000009") + "&-immunization.target=FLU":   0,
		"patient.identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|9000000017"):                                 0,
	} {
		r := do(t, ts, "GET", "/fhir/Immunization?"+q, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", q, r.status, r.body)
		}
		entries, _ := r.json(t)["entry"].([]any)
		if len(entries) != want {
			t.Errorf("%s: %d entries, want %d", q, len(entries), want)
		}
	}
}
