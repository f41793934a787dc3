package api

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Logs never carry personal data: not the NHS number from a path, a query or a body, not
// a name, not even when the request fails.
func TestLogsCarryNoPatientData(t *testing.T) {
	st := openTestStore(t)
	var logs syncBuffer
	a := testAuthority(t)
	ts := httptest.NewServer(New(Config{AccessLog: true, Auth: a}, st, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	defer ts.Close()
	testServers.Store(ts.URL, &testEnv{auth: a, admin: localToken(t, a, "admin", "")})
	defer testServers.Delete(ts.URL)
	p := patient("9000000009")
	p["name"] = []any{map[string]any{"family": "Zebedee", "given": []any{"Quintessa"}}}
	do(t, ts, "POST", "/fhir/Patient", p)
	do(t, ts, "POST", "/fhir/Patient", p) // duplicate NHS number: 422 quoting it to the client
	do(t, ts, "GET", "/fhir/Patient?identifier="+url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|9000000009"), nil)
	do(t, ts, "GET", "/fhir/Patient/9000000009", nil)
	do(t, ts, "POST", "/fhir/Patient", `{"resourceType":"Patient","name":[{"family":"Zebedee"}],"gender":"9000000009"}`)
	st.Close() // every later request fails inside the store
	r := do(t, ts, "GET", "/fhir/Patient/9000000009", nil)
	if r.status < 500 {
		t.Errorf("request on a closed store: status %d, want 5xx", r.status)
	}
	if strings.Contains(string(r.body), "sql") || strings.Contains(string(r.body), "closed") {
		t.Errorf("a store failure leaks internals to the client: %s", r.body)
	}
	out := logs.String()
	if !strings.Contains(out, `"route"`) {
		t.Fatalf("no access log lines were written:\n%s", out)
	}
	for _, secret := range []string{"9000000009", "Zebedee", "Quintessa"} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q:\n%s", secret, out)
		}
	}
	if r.status != http.StatusServiceUnavailable && r.status != http.StatusInternalServerError {
		t.Errorf("status %d", r.status)
	}
}
