package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nimsproject/nims/fhir"
)

func txBundle(typ string, entries ...map[string]any) map[string]any {
	es := make([]any, len(entries))
	for i, e := range entries {
		es[i] = e
	}
	return map[string]any{"resourceType": "Bundle", "type": typ, "entry": es}
}

func post(fullURL string, res map[string]any, extra ...string) map[string]any {
	req := map[string]any{"method": "POST", "url": res["resourceType"]}
	if len(extra) > 0 {
		req["ifNoneExist"] = extra[0]
	}
	e := map[string]any{"resource": res, "request": req}
	if fullURL != "" {
		e["fullUrl"] = fullURL
	}
	return e
}

func responseStatuses(t *testing.T, r response) []string {
	t.Helper()
	var b struct {
		Type  string
		Entry []struct {
			Response struct{ Status, Location string }
		}
	}
	if err := json.Unmarshal(r.body, &b); err != nil {
		t.Fatalf("response is not a Bundle: %v\n%s", err, r.body)
	}
	var out []string
	for _, e := range b.Entry {
		out = append(out, strings.Fields(e.Response.Status + " ")[0])
	}
	return out
}

func count(t *testing.T, ts *httptest.Server, query string) int {
	t.Helper()
	r := do(t, ts, "GET", "/fhir/"+query+"&_summary=count", nil)
	wantStatus(t, r, http.StatusOK, "count "+query)
	return int(r.json(t)["total"].(float64))
}

// The Synthea transaction Bundles of the corpus load whole, their urn:uuid references
// rewritten to the ids the server gave.
func TestSyntheaBundlesLoad(t *testing.T) {
	ts := newTestServer(t, Config{MaxBodyBytes: 32 << 20})
	files, _ := filepath.Glob("../../shared/corpus/synthea-r4-bundles/*.json")
	if len(files) == 0 {
		t.Fatal("no Synthea bundles found in ../shared/corpus")
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := do(t, ts, "POST", "/fhir", raw)
		wantStatus(t, r, http.StatusOK, filepath.Base(f))
		var b struct {
			Type  string
			Entry []struct {
				Response struct{ Status, Location string }
			}
		}
		json.Unmarshal(r.body, &b)
		var src struct{ Entry []any }
		json.Unmarshal(raw, &src)
		if b.Type != "transaction-response" || len(b.Entry) != len(src.Entry) {
			t.Fatalf("%s: %s with %d entries, want transaction-response with %d", f, b.Type, len(b.Entry), len(src.Entry))
		}
		var patient string
		for _, e := range b.Entry {
			if !strings.HasPrefix(e.Response.Status, "201") {
				t.Errorf("%s: entry status %q", f, e.Response.Status)
			}
			if strings.HasPrefix(e.Response.Location, "Patient/") {
				patient = strings.Split(e.Response.Location, "/")[1]
			}
		}
		// Every Observation of the bundle now refers to the stored Patient.
		n := count(t, ts, "Observation?subject=Patient/"+patient)
		if n == 0 {
			t.Errorf("%s: no Observation refers to Patient/%s: references were not rewritten", f, patient)
		}
		if m := count(t, ts, "Observation?subject:missing=false"); m < n {
			t.Errorf("count mismatch")
		}
	}
}

// All or nothing: a failure at any entry (invalid resource, business rule, failed
// precondition) leaves nothing written, and the OperationOutcome names the entry.
func TestTransactionAllOrNothing(t *testing.T) {
	ts := newTestServer(t, Config{})
	family := func(f string) map[string]any {
		p := patient("")
		p["name"] = []any{map[string]any{"family": f}}
		return p
	}
	bad := family("Three")
	bad["gender"] = "woman"
	r := do(t, ts, "POST", "/fhir", txBundle("transaction", post("", family("One")), post("", family("Two")), post("", bad)))
	oo := wantOutcome(t, r, http.StatusBadRequest, "code-invalid")
	if !strings.Contains(string(r.body), "Bundle.entry[2].resource.gender") {
		t.Errorf("the outcome does not name entry 2's element: %s", r.body)
	}
	_ = oo
	if n := count(t, ts, "Patient?family=one"); n != 0 {
		t.Errorf("a failed transaction left %d patients", n)
	}
	// A failure in the store (a duplicate NHS number, found inside the transaction).
	do(t, ts, "POST", "/fhir/Patient", patient("9000000009"))
	r = do(t, ts, "POST", "/fhir", txBundle("transaction", post("", family("Four")), post("", patient("9000000009"))))
	wantOutcome(t, r, http.StatusUnprocessableEntity, "duplicate")
	if n := count(t, ts, "Patient?family=four"); n != 0 {
		t.Errorf("a transaction failing in the store left %d patients", n)
	}
	// A failed version precondition.
	id := do(t, ts, "POST", "/fhir/Patient", family("Five")).json(t)["id"].(string)
	upd := family("Five-changed")
	upd["id"] = id
	r = do(t, ts, "POST", "/fhir", txBundle("transaction", post("", family("Six")),
		map[string]any{"resource": upd, "request": map[string]any{"method": "PUT", "url": "Patient/" + id, "ifMatch": `W/"7"`}}))
	wantOutcome(t, r, http.StatusPreconditionFailed, "")
	if n := count(t, ts, "Patient?family=six"); n != 0 {
		t.Errorf("a transaction failing its ifMatch left %d patients", n)
	}
	// The PUT listed first runs after the POST (FHIR's order); the outcome still names
	// the entry as the client listed it.
	r = do(t, ts, "POST", "/fhir", txBundle("transaction",
		map[string]any{"resource": upd, "request": map[string]any{"method": "PUT", "url": "Patient/" + id, "ifMatch": `W/"7"`}},
		post("", family("Seven"))))
	wantOutcome(t, r, http.StatusPreconditionFailed, "")
	if !strings.Contains(string(r.body), "entry 0:") {
		t.Errorf("the outcome does not name entry 0, the failing PUT: %s", r.body)
	}
}

// urn:uuid fullUrls, conditional references and ifNoneExist resolve inside the
// transaction; running the same Bundle twice with ifNoneExist makes no duplicates.
func TestTransactionReferences(t *testing.T) {
	ts := newTestServer(t, Config{})
	pURN := "urn:uuid:11111111-1111-4111-8111-111111111111"
	p := patient("9000000025")
	imm := immunization("x", fluCode)
	imm["patient"] = map[string]any{"reference": pURN}
	imm2 := immunization("x", covidCode)
	imm2["patient"] = map[string]any{"reference": "Patient?identifier=" + fhir.SystemNHSNumber + "|9000000025"}
	nhs := "identifier=" + fhir.SystemNHSNumber + "|9000000025"
	bundle := txBundle("transaction", post("", imm), post(pURN, p, nhs))
	r := do(t, ts, "POST", "/fhir", bundle)
	wantStatus(t, r, http.StatusOK, "transaction")
	if got := responseStatuses(t, r); fmt.Sprint(got) != "[201 201]" {
		t.Errorf("statuses %v, want [201 201]", got)
	}
	pid := strings.Split(r.json(t)["entry"].([]any)[1].(map[string]any)["response"].(map[string]any)["location"].(string), "/")[1]
	if n := count(t, ts, "Immunization?patient=Patient/"+pid); n != 1 {
		t.Errorf("immunizations of the new patient: %d, want 1", n)
	}
	// Again: the patient exists (ifNoneExist binds the urn to it), one more immunization.
	r = do(t, ts, "POST", "/fhir", bundle)
	if got := responseStatuses(t, r); fmt.Sprint(got) != "[201 200]" {
		t.Errorf("second run statuses %v, want [201 200]: %s", got, r.body)
	}
	if n := count(t, ts, "Patient?"+nhs); n != 1 {
		t.Errorf("%d patients with the NHS number, want 1", n)
	}
	if n := count(t, ts, "Immunization?patient=Patient/"+pid); n != 2 {
		t.Errorf("immunizations of the patient: %d, want 2", n)
	}
	// A conditional reference resolves to the one match.
	wantStatus(t, do(t, ts, "POST", "/fhir", txBundle("transaction", post("", imm2))), http.StatusOK, "conditional reference")
	if n := count(t, ts, "Immunization?patient=Patient/"+pid+"&target-disease="+covidCode); n != 1 {
		t.Errorf("the conditional reference was not resolved to Patient/%s", pid)
	}
	// No match, or an unknown urn, fails the whole transaction.
	imm3 := immunization("x", fluCode)
	imm3["patient"] = map[string]any{"reference": "Patient?identifier=" + fhir.SystemNHSNumber + "|9000000033"}
	wantOutcome(t, do(t, ts, "POST", "/fhir", txBundle("transaction", post("", patient("9000000041")), post("", imm3))), http.StatusPreconditionFailed, "not-found")
	imm3["patient"] = map[string]any{"reference": "urn:uuid:22222222-2222-4222-8222-222222222222"}
	wantOutcome(t, do(t, ts, "POST", "/fhir", txBundle("transaction", post("", imm3))), http.StatusBadRequest, "not-found")
	if n := count(t, ts, "Patient?identifier="+url.QueryEscape(fhir.SystemNHSNumber+"|9000000041")); n != 0 {
		t.Errorf("a failed transaction left its patient")
	}
}

// Entries run in FHIR's order (DELETE, POST, PUT, GET); conditional update and delete
// work inside entries; reads see the transaction's writes.
func TestTransactionOrderAndConditionals(t *testing.T) {
	ts := newTestServer(t, Config{})
	old := do(t, ts, "POST", "/fhir/Patient", patient("9000000009")).json(t)["id"].(string)
	upd := patient("9000000025")
	upd["gender"] = "male"
	r := do(t, ts, "POST", "/fhir", txBundle("transaction",
		map[string]any{"request": map[string]any{"method": "GET", "url": "Patient?identifier=" + fhir.SystemNHSNumber + "|9000000025"}},
		map[string]any{"resource": upd, "request": map[string]any{"method": "PUT", "url": "Patient?identifier=" + fhir.SystemNHSNumber + "|9000000025"}},
		map[string]any{"request": map[string]any{"method": "DELETE", "url": "Patient?identifier=" + fhir.SystemNHSNumber + "|9000000009"}},
		// The NHS number the delete frees is taken by a create of the same transaction:
		// deletes run first.
		post("", patient("9000000009")),
	))
	wantStatus(t, r, http.StatusOK, "ordered transaction")
	if got := responseStatuses(t, r); fmt.Sprint(got) != "[200 201 204 201]" {
		t.Errorf("statuses %v, want [200 201 204 201]: %s", got, r.body)
	}
	read := r.json(t)["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
	if es, _ := read["entry"].([]any); len(es) != 1 {
		t.Errorf("the GET entry did not see the transaction's update: %v", read)
	}
	wantStatus(t, do(t, ts, "GET", "/fhir/Patient/"+old, nil), http.StatusGone, "the deleted patient")
}

// A batch runs each entry on its own, with its own outcome.
func TestBatch(t *testing.T) {
	ts := newTestServer(t, Config{})
	bad := patient("")
	bad["gender"] = "woman"
	r := do(t, ts, "POST", "/fhir", txBundle("batch", post("", patient("")), post("", bad),
		map[string]any{"request": map[string]any{"method": "GET", "url": "Patient/nope"}}))
	wantStatus(t, r, http.StatusOK, "batch")
	if got := responseStatuses(t, r); fmt.Sprint(got) != "[201 400 404]" {
		t.Errorf("batch statuses %v, want [201 400 404]", got)
	}
	if r.json(t)["type"] != "batch-response" {
		t.Errorf("type %v", r.json(t)["type"])
	}
	e := r.json(t)["entry"].([]any)[1].(map[string]any)["response"].(map[string]any)
	if e["outcome"].(map[string]any)["resourceType"] != "OperationOutcome" {
		t.Errorf("the failed entry has no OperationOutcome: %v", e)
	}
	wantOutcome(t, do(t, ts, "POST", "/fhir", map[string]any{"resourceType": "Bundle", "type": "collection"}), http.StatusBadRequest, "invalid")
	wantOutcome(t, do(t, ts, "POST", "/fhir", patient("")), http.StatusBadRequest, "invalid")
}

// Policies apply inside Bundles: a FLU-only supplier's transaction with a COVID record
// fails whole; its batch fails that entry alone.
func TestBundlesKeepPolicies(t *testing.T) {
	w := newWorld(t, Config{})
	poc := bearer(tokenFor(t, w.ts, "poc", nil, []string{"FLU.CRUDS"}))
	r := do(t, w.ts, "POST", "/fhir", txBundle("transaction", post("", immunization(w.pa, fluCode)), post("", immunization(w.pa, covidCode))), poc...)
	wantOutcome(t, r, http.StatusForbidden, "forbidden")
	if n := count(t, w.ts, "Immunization?patient=Patient/"+w.pa); n != 2 {
		t.Errorf("a refused transaction wrote: %d immunizations of A, want the 2 of the world", n)
	}
	r = do(t, w.ts, "POST", "/fhir", txBundle("batch", post("", immunization(w.pa, fluCode)), post("", immunization(w.pa, covidCode))), poc...)
	if got := responseStatuses(t, r); fmt.Sprint(got) != "[201 403]" {
		t.Errorf("poc batch statuses %v, want [201 403]", got)
	}
}

// An error about an entry itself (not its resource) names the entry's member.
func TestTransactionEntryErrorExpression(t *testing.T) {
	ts := newTestServer(t, Config{})
	r := do(t, ts, "POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"}}]}`)
	wantOutcome(t, r, http.StatusBadRequest, "required")
	if !strings.Contains(string(r.body), `"Bundle.entry[0].resource"`) || strings.Contains(string(r.body), "resource.resource") {
		t.Errorf("expression of a missing resource: %s", r.body)
	}
}
