package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nimsproject/nims/store/sqlite"
)

// newTestServer runs the API over a real embedded store in a temporary directory.
func newTestServer(t *testing.T, cfg Config) *httptest.Server {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ts := httptest.NewServer(New(cfg, st, log))
	t.Cleanup(func() {
		ts.Close()
		st.Close()
	})
	return ts
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response body is not JSON: %v\n%s", err, r.body)
	}
	return m
}

// do sends one request; headers alternate name, value.
func do(t *testing.T, ts *httptest.Server, method, path string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// wantStatus fails the test unless r has status want.
func wantStatus(t *testing.T, r response, want int, what string) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d\n%s", what, r.status, want, r.body)
	}
}

// wantOutcome checks that r is an OperationOutcome whose first issue has code.
func wantOutcome(t *testing.T, r response, status int, code string) map[string]any {
	t.Helper()
	wantStatus(t, r, status, "outcome")
	m := r.json(t)
	if m["resourceType"] != "OperationOutcome" {
		t.Fatalf("body is %v, want an OperationOutcome", m["resourceType"])
	}
	issues, _ := m["issue"].([]any)
	if len(issues) == 0 {
		t.Fatalf("OperationOutcome without issues: %s", r.body)
	}
	if got := issues[0].(map[string]any)["code"]; code != "" && got != code {
		t.Fatalf("issue code %v, want %s\n%s", got, code, r.body)
	}
	return m
}

func patient(nhs string) map[string]any {
	p := map[string]any{
		"resourceType": "Patient",
		"name":         []any{map[string]any{"family": "Smith", "given": []any{"Jo"}}},
		"gender":       "female",
		"birthDate":    "1980-02-29",
	}
	if nhs != "" {
		p["identifier"] = []any{map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}}
	}
	return p
}

// stripMeta removes what the server sets (id, meta.versionId, meta.lastUpdated) so a
// stored resource can be compared with what was sent.
func stripMeta(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	delete(out, "id")
	if meta, ok := out["meta"].(map[string]any); ok {
		rest := map[string]any{}
		for k, v := range meta {
			if k != "versionId" && k != "lastUpdated" {
				rest[k] = v
			}
		}
		if len(rest) == 0 {
			delete(out, "meta")
		} else {
			out["meta"] = rest
		}
	}
	return out
}

type testServer struct{ ts *httptest.Server }

func newTestServerT(t *testing.T) *testServer { return &testServer{ts: newTestServer(t, Config{})} }
