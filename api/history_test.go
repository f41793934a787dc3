package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestHistory(t *testing.T) {
	ts := newTestServer(t, Config{})
	id := do(t, ts, "POST", "/fhir/Patient", patient("")).json(t)["id"].(string)
	p := patient("")
	p["id"] = id
	for _, g := range []string{"male", "other"} {
		p["gender"] = g
		wantStatus(t, do(t, ts, "PUT", "/fhir/Patient/"+id, p), http.StatusOK, "update")
	}
	wantStatus(t, do(t, ts, "DELETE", "/fhir/Patient/"+id, nil), http.StatusNoContent, "delete")
	do(t, ts, "POST", "/fhir/Organization", map[string]any{"resourceType": "Organization", "name": "Practice"})

	h := do(t, ts, "GET", "/fhir/Patient/"+id+"/_history", nil).json(t)
	if h["type"] != "history" {
		t.Fatalf("Bundle.type = %v", h["type"])
	}
	entries := h["entry"].([]any)
	if len(entries) != 4 {
		t.Fatalf("instance history has %d entries, want 4", len(entries))
	}
	methods := []string{}
	for _, e := range entries {
		methods = append(methods, e.(map[string]any)["request"].(map[string]any)["method"].(string))
	}
	if got := strings.Join(methods, ","); got != "DELETE,PUT,PUT,POST" {
		t.Errorf("history methods newest first = %s, want DELETE,PUT,PUT,POST", got)
	}
	if _, ok := entries[0].(map[string]any)["resource"]; ok {
		t.Error("a deletion entry carries a resource")
	}

	typ := do(t, ts, "GET", "/fhir/Patient/_history", nil).json(t)
	if n := len(typ["entry"].([]any)); n != 4 {
		t.Errorf("type history has %d entries, want 4", n)
	}
	sys := do(t, ts, "GET", "/fhir/_history", nil).json(t)
	if n := len(sys["entry"].([]any)); n != 5 {
		t.Errorf("system history has %d entries, want 5", n)
	}
	future := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	if n := len(do(t, ts, "GET", "/fhir/_history?_since="+future, nil).json(t)["entry"].([]any)); n != 0 {
		t.Errorf("_since in the future gives %d entries, want 0", n)
	}
}

// Paging follows next links to the end, seeing every version once, even while new
// versions are written between pages.
func TestHistoryPaging(t *testing.T) {
	ts := newTestServer(t, Config{})
	for range 7 {
		do(t, ts, "POST", "/fhir/Patient", patient(""))
	}
	seen := map[string]bool{}
	next := ts.URL + "/fhir/Patient/_history?_count=3"
	pages := 0
	for next != "" {
		r := do(t, ts, "GET", strings.TrimPrefix(next, ts.URL), nil)
		wantStatus(t, r, http.StatusOK, "history page")
		b := r.json(t)
		for _, e := range b["entry"].([]any) {
			u := e.(map[string]any)["fullUrl"].(string)
			if seen[u] {
				t.Fatalf("version %s seen twice", u)
			}
			seen[u] = true
		}
		next = ""
		for _, l := range b["link"].([]any) {
			if l.(map[string]any)["relation"] == "next" {
				next = l.(map[string]any)["url"].(string)
			}
		}
		do(t, ts, "POST", "/fhir/Patient", patient("")) // a write between pages
		pages++
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 7 || pages != 3 {
		t.Errorf("saw %d versions in %d pages, want 7 in 3", len(seen), pages)
	}
	wantOutcome(t, do(t, ts, "GET", "/fhir/Patient/_history?_cursor=garbage", nil), http.StatusBadRequest, "")
}

// A _since with sub-millisecond digits (Python's isoformat) still pages.
func TestHistorySinceMicroseconds(t *testing.T) {
	ts := newTestServer(t, Config{})
	for range 3 {
		do(t, ts, "POST", "/fhir/Patient", patient(""))
	}
	next := "/fhir/Patient/_history?_count=1&_since=2020-01-01T00:00:00.123456Z"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		r := do(t, ts, "GET", next, nil)
		wantStatus(t, r, http.StatusOK, "page")
		next = ""
		for _, l := range r.json(t)["link"].([]any) {
			if l.(map[string]any)["relation"] == "next" {
				next = strings.TrimPrefix(l.(map[string]any)["url"].(string), ts.URL)
			}
		}
	}
}

// History entries say how each version was made: a PUT that created says PUT and 201.
func TestHistoryRecordsTheInteraction(t *testing.T) {
	ts := newTestServer(t, Config{})
	o := map[string]any{"resourceType": "Organization", "id": "h1", "name": "A"}
	do(t, ts, "PUT", "/fhir/Organization/h1", o)
	do(t, ts, "PUT", "/fhir/Organization/h1", o)
	do(t, ts, "DELETE", "/fhir/Organization/h1", nil)
	do(t, ts, "PUT", "/fhir/Organization/h1", o)
	h := do(t, ts, "GET", "/fhir/Organization/h1/_history", nil).json(t)
	var got []string
	for _, e := range h["entry"].([]any) {
		m := e.(map[string]any)
		got = append(got, m["request"].(map[string]any)["method"].(string)+" "+m["response"].(map[string]any)["status"].(string))
	}
	if s := strings.Join(got, ","); s != "PUT 201,DELETE 204,PUT 200,PUT 201" {
		t.Errorf("history = %s, want PUT 201,DELETE 204,PUT 200,PUT 201", s)
	}
}
