package api

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
)

func TestConditionalCreate(t *testing.T) {
	ts := newTestServer(t, Config{})
	crit := "identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009"
	first := do(t, ts, "POST", "/fhir/Patient", patient("9000000009"), "If-None-Exist", crit)
	wantStatus(t, first, http.StatusCreated, "first conditional create")
	second := do(t, ts, "POST", "/fhir/Patient", patient("9000000009"), "If-None-Exist", crit)
	wantStatus(t, second, http.StatusOK, "matching conditional create")
	if first.json(t)["id"] != second.json(t)["id"] {
		t.Errorf("conditional create returned %v, want the existing %v", second.json(t)["id"], first.json(t)["id"])
	}
	wantOutcome(t, do(t, ts, "POST", "/fhir/Patient", patient(""), "If-None-Exist", "nosuchparam=1"), http.StatusBadRequest, "")
}

// Twenty identical conditional creates at once give exactly one resource, every time:
// HAPI, Microsoft's server and WSO2's fail this (fhir-peers.md §3.1).
func TestParallelConditionalCreate(t *testing.T) {
	ts := newTestServer(t, Config{})
	for round := 0; round < 5; round++ {
		nhs := []string{"9000000009", "9000000025", "9000000033", "9990548609", "9461267665"}[round]
		p := patient("")
		p["identifier"] = []any{map[string]any{"system": "urn:example:mrn", "value": nhs}}
		crit := "identifier=urn:example:mrn|" + nhs
		var wg sync.WaitGroup
		statuses := make([]int, 20)
		ids := make([]any, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := do(t, ts, "POST", "/fhir/Patient", p, "If-None-Exist", crit)
				statuses[i] = r.status
				ids[i] = r.json(t)["id"]
			}()
		}
		wg.Wait()
		created := 0
		for i, s := range statuses {
			switch s {
			case http.StatusCreated:
				created++
			case http.StatusOK:
			default:
				t.Fatalf("round %d: request %d got status %d", round, i, s)
			}
			if ids[i] != ids[0] {
				t.Fatalf("round %d: ids differ: %v vs %v", round, ids[i], ids[0])
			}
		}
		if created != 1 {
			t.Fatalf("round %d: %d creates, want exactly 1", round, created)
		}
		res := do(t, ts, "GET", "/fhir/Patient?"+url.PathEscape(crit), nil).json(t)
		if n := len(res["entry"].([]any)); n != 1 {
			t.Fatalf("round %d: search finds %d patients, want 1", round, n)
		}
	}
}

func TestConditionalUpdateAndDelete(t *testing.T) {
	ts := newTestServer(t, Config{})
	path := "/fhir/Patient?identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|9000000009")
	r := do(t, ts, "PUT", path, patient("9000000009"))
	wantStatus(t, r, http.StatusCreated, "conditional update creates")
	id := r.json(t)["id"]
	p := patient("9000000009")
	p["gender"] = "male"
	r = do(t, ts, "PUT", path, p)
	wantStatus(t, r, http.StatusOK, "conditional update updates")
	if r.json(t)["id"] != id || r.header.Get("ETag") != `W/"2"` {
		t.Errorf("conditional update wrote %v %s, want %v version 2", r.json(t)["id"], r.header.Get("ETag"), id)
	}
	// A body id that is not the match's: 400.
	withID := patient("9000000009")
	withID["id"] = "someone-else"
	wantOutcome(t, do(t, ts, "PUT", path, withID), http.StatusBadRequest, "invalid")
	// Two matches: 412.
	q := patient("")
	q["identifier"] = []any{map[string]any{"system": "urn:x", "value": "twin"}}
	do(t, ts, "POST", "/fhir/Patient", q)
	do(t, ts, "POST", "/fhir/Patient", q)
	wantOutcome(t, do(t, ts, "PUT", "/fhir/Patient?identifier=urn:x|twin", q), http.StatusPreconditionFailed, "")
	wantOutcome(t, do(t, ts, "DELETE", "/fhir/Patient?identifier=urn:x|twin", nil), http.StatusPreconditionFailed, "")

	wantStatus(t, do(t, ts, "DELETE", path, nil), http.StatusNoContent, "conditional delete")
	wantStatus(t, do(t, ts, "GET", "/fhir/Patient/"+id.(string), nil), http.StatusGone, "read after conditional delete")
	wantStatus(t, do(t, ts, "DELETE", path, nil), http.StatusNoContent, "conditional delete, no match")
	wantOutcome(t, do(t, ts, "DELETE", "/fhir/Patient", nil), http.StatusBadRequest, "invalid")
}

// Conditions take the full search syntax: a point-of-care app that knows a patient only by
// NHS number makes its Immunization create conditional on a chain through the patient.
func TestConditionalCriteriaFullSyntax(t *testing.T) {
	ts := newTestServer(t, Config{})
	pat := do(t, ts, "POST", "/fhir/Patient", patient("9000000009"))
	wantStatus(t, pat, http.StatusCreated, "patient")
	imm := map[string]any{"resourceType": "Immunization", "status": "completed",
		"vaccineCode":        map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "39114911000001105"}}},
		"patient":            map[string]any{"reference": "Patient/" + pat.json(t)["id"].(string)},
		"occurrenceDateTime": "2026-10-01T10:00:00+00:00"}
	crit := "patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009&date=2026-10-01&vaccine-code=39114911000001105"
	first := do(t, ts, "POST", "/fhir/Immunization", imm, "If-None-Exist", crit)
	wantStatus(t, first, http.StatusCreated, "first chained conditional create")
	second := do(t, ts, "POST", "/fhir/Immunization", imm, "If-None-Exist", crit)
	wantStatus(t, second, http.StatusOK, "second chained conditional create")
	if first.json(t)["id"] != second.json(t)["id"] {
		t.Errorf("chained conditional create made %v, want the existing %v", second.json(t)["id"], first.json(t)["id"])
	}
	// Shaping parameters select nothing; a condition with them is refused, not half-applied.
	wantOutcome(t, do(t, ts, "POST", "/fhir/Immunization", imm, "If-None-Exist", crit+"&_count=1"), http.StatusBadRequest, "invalid")
	wantOutcome(t, do(t, ts, "DELETE", "/fhir/Immunization?_sort=date", nil), http.StatusBadRequest, "invalid")
}
