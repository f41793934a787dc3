package api

import (
	"net/http"
	"strings"
	"testing"
)

func TestCreateReadUpdateDelete(t *testing.T) {
	ts := newTestServer(t, Config{})
	created := do(t, ts, "POST", "/fhir/Patient", patient("9000000009"))
	wantStatus(t, created, http.StatusCreated, "create")
	body := created.json(t)
	id, _ := body["id"].(string)
	if id == "" {
		t.Fatalf("created resource has no id: %s", created.body)
	}
	if loc := created.header.Get("Location"); !strings.HasSuffix(loc, "/fhir/Patient/"+id+"/_history/1") {
		t.Errorf("Location = %q, want …/fhir/Patient/%s/_history/1", loc, id)
	}
	if et := created.header.Get("ETag"); et != `W/"1"` {
		t.Errorf("ETag = %q, want W/\"1\"", et)
	}
	if et := created.header.Get("E-Tag"); et != "1" {
		t.Errorf("E-Tag = %q, want 1", et)
	}
	if created.header.Get("Last-Modified") == "" {
		t.Error("no Last-Modified on create")
	}
	meta, _ := body["meta"].(map[string]any)
	if meta["versionId"] != "1" || meta["lastUpdated"] == nil {
		t.Errorf("meta = %v, want versionId 1 and lastUpdated", meta)
	}

	read := do(t, ts, "GET", "/fhir/Patient/"+id, nil)
	wantStatus(t, read, http.StatusOK, "read")
	if string(read.body) != string(created.body) {
		t.Errorf("read body differs from create body:\n%s\n%s", read.body, created.body)
	}

	upd := patient("9000000009")
	upd["id"] = id
	upd["gender"] = "other"
	updated := do(t, ts, "PUT", "/fhir/Patient/"+id, upd, "If-Match", `W/"1"`)
	wantStatus(t, updated, http.StatusOK, "update")
	if et := updated.header.Get("ETag"); et != `W/"2"` {
		t.Errorf("ETag after update = %q, want W/\"2\"", et)
	}
	stale := do(t, ts, "PUT", "/fhir/Patient/"+id, upd, "If-Match", `W/"1"`)
	wantOutcome(t, stale, http.StatusPreconditionFailed, "")
	nhsStale := do(t, ts, "PUT", "/fhir/Patient/"+id, upd, "E-Tag", "1")
	wantStatus(t, nhsStale, http.StatusPreconditionFailed, "update with stale NHS E-Tag")
	wantOutcome(t, do(t, ts, "PUT", "/fhir/Patient/"+id, upd, "If-Match", "abcde"), http.StatusBadRequest, "invalid")

	v1 := do(t, ts, "GET", "/fhir/Patient/"+id+"/_history/1", nil)
	wantStatus(t, v1, http.StatusOK, "vread 1")
	if v1.json(t)["gender"] != "female" {
		t.Errorf("vread 1 gender = %v, want female", v1.json(t)["gender"])
	}
	wantOutcome(t, do(t, ts, "GET", "/fhir/Patient/"+id+"/_history/9", nil), http.StatusNotFound, "not-found")
	wantOutcome(t, do(t, ts, "GET", "/fhir/Patient/"+id+"/_history/x", nil), http.StatusBadRequest, "invalid")

	del := do(t, ts, "DELETE", "/fhir/Patient/"+id, nil)
	wantStatus(t, del, http.StatusNoContent, "delete")
	wantOutcome(t, do(t, ts, "GET", "/fhir/Patient/"+id, nil), http.StatusGone, "deleted")
	wantStatus(t, do(t, ts, "DELETE", "/fhir/Patient/"+id, nil), http.StatusNoContent, "delete again")
	wantStatus(t, do(t, ts, "GET", "/fhir/Patient/"+id+"/_history/2", nil), http.StatusOK, "vread before deletion")

	// Re-creation after delete continues the version sequence.
	again := do(t, ts, "PUT", "/fhir/Patient/"+id, upd)
	wantStatus(t, again, http.StatusCreated, "re-create")
	if et := again.header.Get("ETag"); et != `W/"4"` {
		t.Errorf("ETag after re-create = %q, want W/\"4\"", et)
	}
}

func TestUpdateRules(t *testing.T) {
	ts := newTestServer(t, Config{})
	p := patient("")
	p["id"] = "client-chosen"
	r := do(t, ts, "PUT", "/fhir/Patient/client-chosen", p)
	wantStatus(t, r, http.StatusCreated, "update as create")
	if r.json(t)["id"] != "client-chosen" {
		t.Errorf("id = %v, want client-chosen", r.json(t)["id"])
	}
	wantOutcome(t, do(t, ts, "PUT", "/fhir/Patient/other", p), http.StatusBadRequest, "invalid")
	delete(p, "id")
	wantOutcome(t, do(t, ts, "PUT", "/fhir/Patient/client-chosen", p), http.StatusBadRequest, "invalid")
	wantOutcome(t, do(t, ts, "PUT", "/fhir/Patient/bad%20id", p), http.StatusBadRequest, "invalid")
}

func TestCreateIgnoresClientID(t *testing.T) {
	ts := newTestServer(t, Config{})
	p := patient("")
	p["id"] = "mine"
	r := do(t, ts, "POST", "/fhir/Patient", p)
	wantStatus(t, r, http.StatusCreated, "create")
	if r.json(t)["id"] == "mine" {
		t.Error("create kept the client's id; the server assigns ids on create")
	}
}

func TestDeleteUnknown(t *testing.T) {
	ts := newTestServer(t, Config{})
	wantOutcome(t, do(t, ts, "DELETE", "/fhir/Patient/nope", nil), http.StatusNotFound, "not-found")
	wantOutcome(t, do(t, ts, "GET", "/fhir/Patient/nope", nil), http.StatusNotFound, "not-found")
}

func TestPreferReturn(t *testing.T) {
	ts := newTestServer(t, Config{})
	min := do(t, ts, "POST", "/fhir/Patient", patient(""), "Prefer", "return=minimal")
	wantStatus(t, min, http.StatusCreated, "create minimal")
	if len(min.body) != 0 {
		t.Errorf("return=minimal sent a body: %s", min.body)
	}
	if min.header.Get("Location") == "" {
		t.Error("return=minimal: no Location")
	}
	oo := do(t, ts, "POST", "/fhir/Patient", patient(""), "Prefer", "return=OperationOutcome")
	m := wantOutcome(t, oo, http.StatusCreated, "informational")
	if m["issue"].([]any)[0].(map[string]any)["severity"] != "information" {
		t.Errorf("return=OperationOutcome: %s", oo.body)
	}
}

func TestRequestIDs(t *testing.T) {
	ts := newTestServer(t, Config{})
	r := do(t, ts, "GET", "/fhir/Patient/x", nil, "X-Request-ID", "req-1", "X-Correlation-ID", "corr-1")
	if r.header.Get("X-Request-ID") != "req-1" || r.header.Get("X-Correlation-ID") != "corr-1" {
		t.Errorf("ids not mirrored: %v", r.header)
	}
}

// A retried POST with the same X-Request-ID returns the first result (NHS API convention).
func TestRetriedPostIsIdempotent(t *testing.T) {
	ts := newTestServer(t, Config{})
	const rid = "6f1c4a2e-1b0c-4d55-9f0a-1d2a3b4c5d6e"
	first := do(t, ts, "POST", "/fhir/Patient", patient(""), "X-Request-ID", rid)
	wantStatus(t, first, http.StatusCreated, "first")
	second := do(t, ts, "POST", "/fhir/Patient", patient(""), "X-Request-ID", rid)
	wantStatus(t, second, http.StatusCreated, "retry")
	if first.json(t)["id"] != second.json(t)["id"] {
		t.Errorf("retry created a second resource: %v vs %v", first.json(t)["id"], second.json(t)["id"])
	}
	hist := do(t, ts, "GET", "/fhir/Patient/_history", nil).json(t)
	if n := len(hist["entry"].([]any)); n != 1 {
		t.Errorf("type history has %d entries after a retried POST, want 1", n)
	}
}

func TestDuplicateBusinessIdentifiers(t *testing.T) {
	ts := newTestServer(t, Config{})
	wantStatus(t, do(t, ts, "POST", "/fhir/Patient", patient("9000000009")), http.StatusCreated, "first")
	dup := do(t, ts, "POST", "/fhir/Patient", patient("9000000009"))
	wantOutcome(t, dup, http.StatusUnprocessableEntity, "duplicate")
	// Other identifiers are not unique: FHIR examples share them.
	p := patient("")
	p["identifier"] = []any{map[string]any{"system": "urn:oid:1.2.3", "value": "12345"}}
	wantStatus(t, do(t, ts, "POST", "/fhir/Patient", p), http.StatusCreated, "shared identifier 1")
	wantStatus(t, do(t, ts, "POST", "/fhir/Patient", p), http.StatusCreated, "shared identifier 2")
}

// Reusing an X-Request-ID for a different request is not a retry: it must not be answered
// with the first request's record, nor dropped.
func TestRequestIDReuseIsNotAReplay(t *testing.T) {
	ts := newTestServer(t, Config{})
	const rid = "1111"
	a := patient("")
	a["name"] = []any{map[string]any{"family": "Alpha"}}
	b := patient("")
	b["name"] = []any{map[string]any{"family": "Bravo"}}
	first := do(t, ts, "POST", "/fhir/Patient", a, "X-Request-ID", rid)
	second := do(t, ts, "POST", "/fhir/Patient", b, "X-Request-ID", rid)
	wantStatus(t, second, http.StatusCreated, "second request")
	if first.json(t)["id"] == second.json(t)["id"] {
		t.Errorf("a different body with a reused X-Request-ID got the first record back")
	}
}

func TestConditionalRead(t *testing.T) {
	ts := newTestServer(t, Config{})
	id := do(t, ts, "POST", "/fhir/Patient", patient("")).json(t)["id"].(string)
	for _, tc := range []struct {
		header, value string
		want          int
	}{
		{"If-None-Match", `W/"1"`, http.StatusNotModified},
		{"If-None-Match", `"1"`, http.StatusNotModified},
		{"If-None-Match", `W/"7", W/"1"`, http.StatusNotModified},
		{"If-None-Match", `*`, http.StatusNotModified},
		{"If-None-Match", `W/"2"`, http.StatusOK},
		{"If-Modified-Since", "Mon, 01 Jan 2100 00:00:00 GMT", http.StatusNotModified},
		{"If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT", http.StatusOK},
	} {
		r := do(t, ts, "GET", "/fhir/Patient/"+id, nil, tc.header, tc.value)
		if r.status != tc.want {
			t.Errorf("%s: %s gave %d, want %d", tc.header, tc.value, r.status, tc.want)
		}
	}
}
