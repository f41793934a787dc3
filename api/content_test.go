package api

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestContentNegotiation(t *testing.T) {
	ts := newTestServer(t, Config{MaxBodyBytes: 4096})
	id := do(t, ts, "POST", "/fhir/Patient", patient("")).json(t)["id"].(string)

	r := do(t, ts, "GET", "/fhir/Patient/"+id, nil)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/fhir+json") {
		t.Errorf("Content-Type = %q", ct)
	}
	r = do(t, ts, "GET", "/fhir/Patient/"+id, nil, "Accept", "application/json")
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Accept: application/json gave Content-Type %q", ct)
	}
	wantStatus(t, do(t, ts, "GET", "/fhir/Patient/"+id, nil, "Accept", "application/fhir+json; version=1"), http.StatusOK, "NHS versioned Accept")
	wantOutcome(t, do(t, ts, "GET", "/fhir/Patient/"+id, nil, "Accept", "application/fhir+xml"), http.StatusNotAcceptable, "not-supported")
	wantOutcome(t, do(t, ts, "GET", "/fhir/Patient/"+id+"?_format=xml", nil), http.StatusNotAcceptable, "not-supported")
	wantStatus(t, do(t, ts, "GET", "/fhir/Patient/"+id+"?_format=json", nil), http.StatusOK, "_format=json")

	pretty := do(t, ts, "GET", "/fhir/Patient/"+id+"?_pretty=true", nil)
	if !bytes.Contains(pretty.body, []byte("\n  \"")) {
		t.Errorf("_pretty=true is not indented: %s", pretty.body)
	}

	xml := do(t, ts, "POST", "/fhir/Patient", `<Patient xmlns="http://hl7.org/fhir"/>`, "Content-Type", "application/fhir+xml")
	wantOutcome(t, xml, http.StatusUnsupportedMediaType, "not-supported")

	big := `{"resourceType":"Patient","name":[{"family":"` + strings.Repeat("a", 5000) + `"}]}`
	wantOutcome(t, do(t, ts, "POST", "/fhir/Patient", big), http.StatusRequestEntityTooLarge, "too-long")
}

func TestGzip(t *testing.T) {
	ts := newTestServer(t, Config{})
	var zbuf bytes.Buffer
	zw := gzip.NewWriter(&zbuf)
	p := patient("")
	p["name"] = []any{map[string]any{"family": strings.Repeat("Long", 500)}}
	raw := []byte(`{"resourceType":"Patient","name":[{"family":"` + strings.Repeat("Long", 500) + `"}]}`)
	zw.Write(raw)
	zw.Close()
	r := do(t, ts, "POST", "/fhir/Patient", zbuf.Bytes(), "Content-Encoding", "gzip")
	wantStatus(t, r, http.StatusCreated, "gzipped create")
	id := r.json(t)["id"].(string)

	req, _ := http.NewRequest("GET", ts.URL+"/fhir/Patient/"+id, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("Authorization", "Bearer "+envOf(t, ts).admin)
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("response not gzipped: %v", resp.Header)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Contains(plain, []byte(strings.Repeat("Long", 500))) {
		t.Errorf("gunzipped body lacks the name: %.200s", plain)
	}

	bad := do(t, ts, "POST", "/fhir/Patient", "not gzip", "Content-Encoding", "gzip")
	wantOutcome(t, bad, http.StatusBadRequest, "invalid")
}

func TestErrorsAreOperationOutcomes(t *testing.T) {
	ts := newTestServer(t, Config{})
	cases := []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"unknown route", "GET", "/nowhere", nil, http.StatusNotFound},
		{"unknown type", "GET", "/fhir/Nonsense/1", nil, http.StatusNotFound},
		{"unknown type create", "POST", "/fhir/Nonsense", `{"resourceType":"Nonsense"}`, http.StatusNotFound},
		{"method not allowed", "PATCH", "/fhir/Patient/1", `[]`, http.StatusMethodNotAllowed},
		{"malformed JSON", "POST", "/fhir/Patient", `{"resourceType":"Patient",`, http.StatusBadRequest},
		{"not an object", "POST", "/fhir/Patient", `[1,2]`, http.StatusBadRequest},
		{"type mismatch", "POST", "/fhir/Patient", `{"resourceType":"Organization","name":"x"}`, http.StatusBadRequest},
		{"no body", "POST", "/fhir/Patient", "", http.StatusBadRequest},
		{"duplicate member", "POST", "/fhir/Patient", `{"resourceType":"Patient","gender":"male","gender":"female"}`, http.StatusBadRequest},
		{"bad _count", "GET", "/fhir/Patient/_history?_count=x", nil, http.StatusBadRequest},
		{"bad _since", "GET", "/fhir/_history?_since=yesterday", nil, http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, ts, tc.method, tc.path, tc.body)
			wantOutcome(t, r, tc.status, "")
			if bytes.Contains(r.body, []byte("goroutine")) || bytes.Contains(r.body, []byte(".go:")) {
				t.Errorf("response leaks internals: %s", r.body)
			}
		})
	}
}

func TestNegotiationWeights(t *testing.T) {
	ts := newTestServer(t, Config{})
	p := patient("")
	p["name"] = []any{map[string]any{"family": strings.Repeat("Long", 500)}}
	id := do(t, ts, "POST", "/fhir/Patient", p).json(t)["id"].(string)
	wantStatus(t, do(t, ts, "GET", "/fhir/Patient/"+id, nil, "Accept", "application/fhir+json;q=0, application/fhir+xml"), http.StatusNotAcceptable, "JSON refused by q=0")
	req, _ := http.NewRequest("GET", ts.URL+"/fhir/Patient/"+id, nil)
	req.Header.Set("Accept-Encoding", "gzip;q=0, identity")
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") == "gzip" {
		t.Error("gzip;q=0 still got a gzipped response")
	}
	r := do(t, ts, "PATCH", "/fhir/Patient/"+id, `[]`)
	if got := r.header.Get("Allow"); got != "GET, PUT, DELETE" {
		t.Errorf("405 on an instance: Allow %q", got)
	}
}
