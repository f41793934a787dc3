package api

import (
	"net/http"
	"strings"
	"testing"
)

// All problems of a request are reported together, each with a FHIRPath expression.
func TestValidationReportsAllIssues(t *testing.T) {
	ts := newTestServer(t, Config{})
	bad := `{"resourceType":"Patient","gender":"woman","birthDate":"2023-02-30","foo":1,
		"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"1234567890"}]}`
	r := do(t, ts, "POST", "/fhir/Patient", bad)
	m := wantOutcome(t, r, http.StatusBadRequest, "")
	issues := m["issue"].([]any)
	if len(issues) < 4 {
		t.Fatalf("got %d issues, want at least 4 (gender, birthDate, foo, NHS number):\n%s", len(issues), r.body)
	}
	var exprs []string
	for _, is := range issues {
		for _, e := range is.(map[string]any)["expression"].([]any) {
			exprs = append(exprs, e.(string))
		}
	}
	joined := strings.Join(exprs, " ")
	for _, want := range []string{"Patient.gender", "Patient.birthDate", "Patient.foo", "Patient.identifier[0]"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no issue with expression %s in %v", want, exprs)
		}
	}
	// Nothing was stored.
	h := do(t, ts, "GET", "/fhir/Patient/_history", nil).json(t)
	if n := len(h["entry"].([]any)); n != 0 {
		t.Errorf("an invalid resource left %d versions", n)
	}
}

func TestValidateOperation(t *testing.T) {
	ts := newTestServer(t, Config{})
	ok := do(t, ts, "POST", "/fhir/Patient/$validate", patient("9000000009"))
	m := wantOutcome(t, ok, http.StatusOK, "informational")
	_ = m
	bad := do(t, ts, "POST", "/fhir/Patient/$validate", `{"resourceType":"Patient","gender":"x"}`)
	wantOutcome(t, bad, http.StatusOK, "")
	if !strings.Contains(string(bad.body), `"severity":"error"`) {
		t.Errorf("$validate of a bad resource reports no error: %s", bad.body)
	}
	params := `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":{"resourceType":"Patient","gender":"x"}}]}`
	wrapped := do(t, ts, "POST", "/fhir/Patient/$validate", params)
	if !strings.Contains(string(wrapped.body), "Patient.gender") {
		t.Errorf("$validate with Parameters did not check the inner resource: %s", wrapped.body)
	}
	h := do(t, ts, "GET", "/fhir/_history", nil).json(t)
	if n := len(h["entry"].([]any)); n != 0 {
		t.Errorf("$validate stored %d versions", n)
	}
}

func TestUKCoreImmunizationNotDone(t *testing.T) {
	ts := newTestServer(t, Config{})
	imm := `{"resourceType":"Immunization","status":"not-done",
		"vaccineCode":{"coding":[{"system":"http://snomed.info/sct","code":"39114911000001105"}]},
		"patient":{"reference":"Patient/p1"},"occurrenceDateTime":"2024-01-01"}`
	r := do(t, ts, "POST", "/fhir/Immunization", imm)
	wantOutcome(t, r, http.StatusBadRequest, "")
	if !strings.Contains(string(r.body), "ukcore-imm-001") {
		t.Errorf("not-done without statusReason: no ukcore-imm-001 issue: %s", r.body)
	}
	withReason := strings.Replace(imm, `"status":"not-done",`, `"status":"not-done","statusReason":{"coding":[{"system":"http://snomed.info/sct","code":"213257006"}]},`, 1)
	wantStatus(t, do(t, ts, "POST", "/fhir/Immunization", withReason), http.StatusCreated, "not-done with reason")
	withReaction := strings.Replace(imm, `"status":"not-done",`, `"status":"completed","reaction":[{"date":"2024-01-02","reported":true}],`, 1)
	wantStatus(t, do(t, ts, "POST", "/fhir/Immunization", withReaction), http.StatusCreated, "with reaction")
}
