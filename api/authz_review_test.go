package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/nimsproject/nims/audit"
	"github.com/nimsproject/nims/fhir"
)

// Regression tests of the security review of the enforcement (one per finding).

// A restricted patient's older versions, and everything but who they are, are withheld
// too: contact addresses, the narrative, extensions.
func TestRestrictedPatientEveryVersionEveryElement(t *testing.T) {
	w := newWorld(t, Config{})
	p := gpPatient("9000000041", odsA)
	p["contact"] = []any{map[string]any{"address": map[string]any{"line": []any{"1 High St"}}}}
	p["text"] = map[string]any{"status": "generated", "div": `<div xmlns="http://www.w3.org/1999/xhtml">Lives at 1 High St</div>`}
	id := do(t, w.ts, "POST", "/fhir/Patient", p).json(t)["id"].(string)
	p["id"] = id
	p["meta"] = map[string]any{"security": []any{map[string]any{"system": fhir.SystemConfidentiality, "code": "V"}}}
	wantStatus(t, do(t, w.ts, "PUT", "/fhir/Patient/"+id, p), http.StatusOK, "admin restricts the patient")
	booking := bearer(tokenFor(t, w.ts, "booking", nil, nil))
	for _, path := range []string{"/fhir/Patient/" + id, "/fhir/Patient/" + id + "/_history/1", "/fhir/Patient/" + id + "/_history"} {
		r := do(t, w.ts, "GET", path, nil, booking...)
		wantStatus(t, r, http.StatusOK, path)
		for _, leak := range []string{"High St", "LS1 4AP", "0113", odsA} {
			if strings.Contains(string(r.body), leak) {
				t.Errorf("%s shows %q of a restricted patient to booking", path, leak)
			}
		}
	}
}

// A restricted patient cannot be located by what is withheld: searches by address or
// telecom leave them out; links and includes through those elements are refused.
func TestRestrictedPatientNotLocatable(t *testing.T) {
	w := newWorld(t, Config{})
	poc := bearer(tokenFor(t, w.ts, "poc", nil, []string{"FLU.CRUDS"}))
	r := do(t, w.ts, "GET", "/fhir/Patient?address-postalcode="+url.QueryEscape("LS1 4AP"), nil, poc...)
	for _, id := range ids(t, r, "match") {
		if id == w.pr {
			t.Errorf("a postcode search shows the restricted patient")
		}
	}
	if got := ids(t, r, "match"); len(got) != 2 {
		t.Errorf("a postcode search found %v, want the two unrestricted patients", got)
	}
	booking := bearer(tokenFor(t, w.ts, "booking", nil, nil))
	for _, q := range []string{
		"/fhir/Immunization?patient.address-postalcode=" + url.QueryEscape("LS1 4AP"),
		"/fhir/Patient?_id=" + w.pr + "&_include=Patient:general-practitioner",
		"/fhir/Patient?_id=" + w.pr + "&_include=Patient:*",
	} {
		wantOutcome(t, do(t, w.ts, "GET", q, nil, booking...), http.StatusForbidden, "forbidden")
	}
}

// X-Request-ID replays are per client: another client reusing an id gets its own result.
func TestRequestIDIsPerClient(t *testing.T) {
	w := newWorld(t, Config{})
	r := do(t, w.ts, "POST", "/fhir/Immunization", immunization(w.pa, fluCode), "X-Request-ID", "req-1", "If-None-Exist", "_id="+w.aCovid)
	if r.json(t)["id"] != w.aCovid {
		t.Fatalf("admin's conditional create did not find the COVID record: %s", r.body)
	}
	poc := tokenFor(t, w.ts, "poc", nil, []string{"FLU.CRUDS"})
	r = do(t, w.ts, "POST", "/fhir/Immunization", immunization(w.pa, fluCode), "X-Request-ID", "req-1", "Authorization", "Bearer "+poc)
	wantStatus(t, r, http.StatusCreated, "the poc's own create")
	if r.json(t)["id"] == w.aCovid {
		t.Errorf("the poc was answered with the admin's COVID record")
	}
}

// Links cannot step around content rules: a vaccine-limited client cannot select through
// Immunization; a gp cannot reach patients from a non-personal type.
func TestLinksKeepContentRules(t *testing.T) {
	w := newWorld(t, Config{})
	poc := bearer(tokenFor(t, w.ts, "poc", nil, []string{"FLU.CRUDS"}))
	wantOutcome(t, do(t, w.ts, "GET", "/fhir/Patient?_has:Immunization:patient:target-disease="+covidCode, nil, poc...), http.StatusForbidden, "forbidden")
	gp := bearer(tokenFor(t, w.ts, "gp", []string{odsA}, nil))
	q := "/fhir/Organization?_has:Patient:general-practitioner:identifier=" + url.QueryEscape(fhir.SystemNHSNumber+"|"+w.nhsB)
	wantOutcome(t, do(t, w.ts, "GET", q, nil, gp...), http.StatusForbidden, "forbidden")
	// From a personal type the practice filter bounds the result: allowed.
	wantStatus(t, do(t, w.ts, "GET", "/fhir/Patient?_has:Immunization:patient:status=completed", nil, gp...), http.StatusOK, "gp _has from Patient")
}

// Update cannot create without the right to create, nor re-create a deleted record of a
// vaccine type the client may not write.
func TestUpdateCreatesOnlyWithCreate(t *testing.T) {
	w := newWorld(t, Config{})
	ru := bearer(tokenFor(t, w.ts, "poc", nil, []string{"COVID.RU"}))
	body := immunization(w.pa, covidCode)
	body["id"] = "created-by-update"
	wantOutcome(t, do(t, w.ts, "PUT", "/fhir/Immunization/created-by-update", body, ru...), http.StatusForbidden, "forbidden")
	wantOutcome(t, do(t, w.ts, "PUT", "/fhir/Immunization?identifier=urn:x|none", body, bearer(tokenFor(t, w.ts, "poc", nil, []string{"COVID.RUS"}))...), http.StatusForbidden, "forbidden")
	// A deleted COVID record cannot be re-created as flu by a FLU-only client.
	wantStatus(t, do(t, w.ts, "DELETE", "/fhir/Immunization/"+w.aCovid, nil), http.StatusNoContent, "admin deletes")
	flu := bearer(tokenFor(t, w.ts, "poc", nil, []string{"FLU.CRUDS"}))
	over := immunization(w.pa, fluCode)
	over["id"] = w.aCovid
	wantOutcome(t, do(t, w.ts, "PUT", "/fhir/Immunization/"+w.aCovid, over, flu...), http.StatusForbidden, "forbidden")
}

// A gp judges every version of a patient by the current registration.
func TestGPVersionsByCurrentRegistration(t *testing.T) {
	w := newWorld(t, Config{})
	moved := gpPatient(w.nhsA, odsB)
	moved["id"] = w.pa
	wantStatus(t, do(t, w.ts, "PUT", "/fhir/Patient/"+w.pa, moved), http.StatusOK, "the patient moves to B")
	gp := bearer(tokenFor(t, w.ts, "gp", []string{odsA}, nil))
	wantOutcome(t, do(t, w.ts, "GET", "/fhir/Patient/"+w.pa+"/_history/1", nil, gp...), http.StatusForbidden, "forbidden")
	gpB := bearer(tokenFor(t, w.ts, "gp", []string{odsB}, nil))
	wantStatus(t, do(t, w.ts, "GET", "/fhir/Patient/"+w.pa+"/_history/1", nil, gpB...), http.StatusOK, "the new practice reads the earlier version")
}

// The audit names the patient of a deleted record and of an empty compartment search,
// follows versioned and absolute references, and does not trust X-Forwarded-For.
func TestAuditCompleteness(t *testing.T) {
	w := newWorld(t, Config{})
	env := envOf(t, w.ts)
	do(t, w.ts, "DELETE", "/fhir/Immunization/"+w.bFlu, nil, "X-Forwarded-For", "203.0.113.77")
	do(t, w.ts, "GET", "/fhir/Patient/"+w.pb+"/Flag", nil)
	if err := env.audit.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	recs, _, err := env.audit.Search(t.Context(), audit.Query{Patient: "Patient/" + w.pb, Count: 100})
	if err != nil {
		t.Fatal(err)
	}
	var del, comp bool
	for _, r := range recs {
		del = del || r.Event.Interaction == IDelete
		comp = comp || r.Event.Interaction == ISearchCompartment
		if r.Event.Address == "203.0.113.77" {
			t.Errorf("the audit took the client's address from X-Forwarded-For")
		}
	}
	if !del || !comp {
		t.Errorf("audit by patient: delete %v, compartment %v; want both", del, comp)
	}
	for ref, want := range map[string]string{
		`{"patient":{"reference":"Patient/p1/_history/2"}}`:                  "p1",
		`{"subject":{"reference" : "https://nims.example/fhir/Patient/p2"}}`: "p2",
		`{"patient":{"reference":"#contained"}}`:                             "",
		`{"performer":[{"actor":{"reference":"Practitioner/Patient"}}]}`:     "",
		`{"x":{"reference":"Patient/bad id"}}`:                               "",
	} {
		got := strings.Join(patientRefs([]byte(ref)), ",")
		if got != want {
			t.Errorf("patientRefs(%s) = %q, want %q", ref, got, want)
		}
	}
}

// Requests without a valid token are limited per address.
func TestUnauthenticatedFloodThrottled(t *testing.T) {
	ts := newTestServer(t, Config{})
	throttled := false
	for range anonBurst + 5 {
		if do(t, ts, "GET", "/fhir/Patient", nil, "Authorization", "Bearer junk").status == http.StatusTooManyRequests {
			throttled = true
			break
		}
	}
	if !throttled {
		t.Errorf("%d bad tokens from one address were never throttled", anonBurst+5)
	}
	// A valid client is not affected.
	wantStatus(t, do(t, ts, "GET", "/fhir/Patient", nil), http.StatusOK, "an authenticated client")
}
