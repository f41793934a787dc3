package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nimsproject/nims/audit"
	"github.com/nimsproject/nims/bulk"
)

const ndjsonType = "application/fhir+ndjson"

// startRunner works on the jobs of ts's store, as nims serve does, until the test ends.
func startRunner(t *testing.T, ts *httptest.Server) {
	t.Helper()
	env := envOf(t, ts)
	ctx, cancel := context.WithCancel(context.Background())
	r := &bulk.Runner{Store: env.store, Owner: "test-runner", Dir: env.jobsDir, Lease: 5 * time.Second,
		Poll: 20 * time.Millisecond, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var wg sync.WaitGroup
	wg.Go(func() { r.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() }) // before the store closes
}

// kickOff posts an NDJSON body to $import and returns the status path it answers with.
func kickOff(t *testing.T, ts *httptest.Server, body string, headers ...string) string {
	t.Helper()
	r := do(t, ts, "POST", "/fhir/$import", body, append([]string{"Content-Type", ndjsonType, "Prefer", "respond-async"}, headers...)...)
	wantStatus(t, r, http.StatusAccepted, "$import kick-off")
	loc := r.header.Get("Content-Location")
	if !strings.HasPrefix(loc, ts.URL+"/fhir/$import-poll-status?_jobId=") {
		t.Fatalf("Content-Location %q is not a status URL of this server", loc)
	}
	return strings.TrimPrefix(loc, ts.URL)
}

// awaitImport polls the status URL until the job is done and returns the last answer.
func awaitImport(t *testing.T, ts *httptest.Server, status string, headers ...string) response {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := do(t, ts, "GET", status, nil, headers...)
		if r.status != http.StatusAccepted {
			return r
		}
		if r.header.Get("X-Progress") == "" || r.header.Get("Retry-After") == "" {
			t.Fatalf("202 without X-Progress or Retry-After: %v", r.header)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the import did not finish; last progress %q", r.header.Get("X-Progress"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestImportNeedsPreferAsync(t *testing.T) {
	ts := newTestServer(t, Config{})
	r := do(t, ts, "POST", "/fhir/$import", `{"resourceType":"Organization","name":"A"}`+"\n", "Content-Type", ndjsonType)
	o := wantOutcome(t, r, http.StatusBadRequest, "invalid")
	if !strings.Contains(fmt.Sprint(o), "respond-async") {
		t.Errorf("the 400 does not say what is missing: %s", r.body)
	}
	wantOutcome(t, do(t, ts, "POST", "/fhir/$import", "x", "Content-Type", "text/csv", "Prefer", "respond-async"),
		http.StatusUnsupportedMediaType, "not-supported")
	wantOutcome(t, do(t, ts, "POST", "/fhir/$import", "\n\n", "Content-Type", ndjsonType, "Prefer", "respond-async"),
		http.StatusBadRequest, "required")
}

// An NDJSON body loads as a job: the good lines are stored, a bad one is reported with
// its line number, and the report counts by type.
func TestImportNDJSON(t *testing.T) {
	ts := newTestServer(t, Config{})
	startRunner(t, ts)
	body := strings.Join([]string{
		`{"resourceType":"Organization","id":"org-1","name":"Practice A"}`,
		`{"resourceType":"Patient","id":"pat-1","gender":"woman"}`, // line 2: not a gender code
		`{"resourceType":"Patient","id":"pat-2","gender":"female","birthDate":"1980-01-01"}`,
		``,
		`{"resourceType":"Patient","gender":"male"}`, // no id: the server assigns one
	}, "\n") + "\n"
	status := kickOff(t, ts, body)
	r := awaitImport(t, ts, status)
	wantStatus(t, r, http.StatusOK, "completed import")
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("report Content-Type %q, want application/json", ct)
	}
	rep := r.json(t)
	if rep["request"] != ts.URL+"/fhir/$import" || rep["transactionTime"] == "" || rep["requiresAccessToken"] != true {
		t.Errorf("report header fields: %s", r.body)
	}
	counts := map[string]any{}
	for _, o := range rep["output"].([]any) {
		o := o.(map[string]any)
		counts[o["type"].(string)] = o["count"]
	}
	if fmt.Sprint(counts) != "map[Organization:1 Patient:2]" {
		t.Errorf("output counts %v, want 1 Organization and 2 Patients", counts)
	}
	errs := rep["error"].([]any)
	if len(errs) != 1 {
		t.Fatalf("%d errors reported, want 1: %s", len(errs), r.body)
	}
	e := errs[0].(map[string]any)
	outcome, _ := e["outcome"].(map[string]any)
	if e["line"] != float64(2) || e["input"] != "request body" || outcome["resourceType"] != "OperationOutcome" {
		t.Errorf("error entry %v, want line 2 of the request body with an OperationOutcome", e)
	}
	wantStatus(t, do(t, ts, "GET", "/fhir/Organization/org-1", nil), http.StatusOK, "imported Organization")
	wantStatus(t, do(t, ts, "GET", "/fhir/Patient/pat-2", nil), http.StatusOK, "imported Patient")
	wantStatus(t, do(t, ts, "GET", "/fhir/Patient/pat-1", nil), http.StatusNotFound, "the bad line")
	if n := do(t, ts, "GET", "/fhir/Patient?gender=male&_summary=count", nil).json(t)["total"]; n != float64(1) {
		t.Errorf("%v Patients without an id in the file were stored, want 1", n)
	}
}

// Only the client that started a job, or an admin, sees or cancels it.
func TestImportStatusIsTheClients(t *testing.T) {
	ts := newTestServer(t, Config{})
	loader := bearer(tokenFor(t, ts, "loader", nil, nil))
	status := kickOff(t, ts, `{"resourceType":"Organization","name":"A"}`+"\n", loader...)
	other := bearer(tokenFor(t, ts, "programme", nil, nil))
	wantOutcome(t, do(t, ts, "GET", status, nil, other...), http.StatusNotFound, "not-found")
	wantOutcome(t, do(t, ts, "DELETE", status, nil, other...), http.StatusNotFound, "not-found")
	wantStatus(t, do(t, ts, "GET", status, nil, loader...), http.StatusAccepted, "the loader polls its job")
	wantStatus(t, do(t, ts, "GET", status, nil), http.StatusAccepted, "an admin polls it")
	wantOutcome(t, do(t, ts, "GET", "/fhir/$import-poll-status", nil), http.StatusBadRequest, "required")
	wantOutcome(t, do(t, ts, "GET", "/fhir/$import-poll-status?_jobId=nope", nil), http.StatusNotFound, "not-found")
	wantStatus(t, do(t, ts, "GET", status, nil, "Authorization", ""), http.StatusUnauthorized, "no token")

	// Each request is audited, the refused ones too.
	env := envOf(t, ts)
	if err := env.audit.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		client, interaction string
		status              int
	}{{"local:loader", IImport, http.StatusAccepted}, {"local:programme", IImportStatus, http.StatusNotFound},
		{"local:programme", IImportCancel, http.StatusNotFound}, {"local:loader", IImportStatus, http.StatusAccepted}} {
		recs, _, err := env.audit.Search(t.Context(), audit.Query{Client: want.client, Interaction: want.interaction})
		if err != nil || len(recs) != 1 || recs[0].Event.Status != want.status {
			t.Errorf("audit of %s by %s: %+v (%v), want one event with status %d", want.interaction, want.client, recs, err, want.status)
		}
	}
}

// A client may import only types it may create and update without restriction.
func TestImportTypesAuthorised(t *testing.T) {
	ts := newTestServer(t, Config{})
	poc := bearer(tokenFor(t, ts, "poc", nil, []string{"FLU.CRUDS"}))
	imm := `{"resourceType":"Immunization","status":"completed","vaccineCode":{"text":"flu"},"patient":{"reference":"Patient/p"},"occurrenceDateTime":"2024-10-01"}`
	r := do(t, ts, "POST", "/fhir/$import", imm+"\n", append([]string{"Content-Type", ndjsonType, "Prefer", "respond-async"}, poc...)...)
	wantOutcome(t, r, http.StatusForbidden, "forbidden")
	r = do(t, ts, "POST", "/fhir/$import", `{"resourceType":"Patient"}`+"\n"+`{"resourceType":"Organization"}`+"\n",
		append([]string{"Content-Type", ndjsonType, "Prefer", "respond-async"}, poc...)...)
	wantOutcome(t, r, http.StatusForbidden, "forbidden") // Patient is read-only for poc
	entries, _ := os.ReadDir(envOf(t, ts).jobsDir)
	if len(entries) != 0 {
		t.Errorf("refused kick-offs left %d job directories", len(entries))
	}
}

func parameters(inputs ...[2]string) map[string]any {
	params := []any{map[string]any{"name": "inputFormat", "valueCode": ndjsonType}}
	for _, in := range inputs {
		params = append(params, map[string]any{"name": "input", "part": []any{
			map[string]any{"name": "type", "valueCode": in[0]}, map[string]any{"name": "url", "valueUri": in[1]}}})
	}
	return map[string]any{"resourceType": "Parameters", "parameter": params}
}

// Inputs by URL are taken from the configured sources only.
func TestImportURLInputs(t *testing.T) {
	none := newTestServer(t, Config{})
	r := do(t, none, "POST", "/fhir/$import", parameters([2]string{"Patient", "https://data.example.org/exports/Patient.ndjson"}), "Prefer", "respond-async")
	if wantOutcome(t, r, http.StatusBadRequest, "not-supported"); !strings.Contains(string(r.body), "import-sources") {
		t.Errorf("the 400 does not say URL inputs need --import-sources: %s", r.body)
	}

	ts := newTestServer(t, Config{ImportSources: []string{"https://data.example.org/exports/"}})
	for _, url := range []string{"https://elsewhere.example/Patient.ndjson", "file:///etc/passwd", "https://data.example.org/exports/../private/x",
		"http://data.example.org/exports/Patient.ndjson", "https://data.example.org/exportsx/Patient.ndjson"} {
		r := do(t, ts, "POST", "/fhir/$import", parameters([2]string{"Patient", url}), "Prefer", "respond-async")
		wantOutcome(t, r, http.StatusBadRequest, "")
	}
	wantOutcome(t, do(t, ts, "POST", "/fhir/$import", parameters([2]string{"NotAType", "https://data.example.org/exports/x"}), "Prefer", "respond-async"),
		http.StatusBadRequest, "required")
	wantOutcome(t, do(t, ts, "POST", "/fhir/$import", parameters(), "Prefer", "respond-async"), http.StatusBadRequest, "required")
	r = do(t, ts, "POST", "/fhir/$import", parameters([2]string{"Patient", "https://data.example.org/exports/Patient.ndjson"}), "Prefer", "respond-async")
	wantStatus(t, r, http.StatusAccepted, "an input under the sources")
	pass := bearer(tokenFor(t, ts, "pass", nil, nil))
	r = do(t, ts, "POST", "/fhir/$import", parameters([2]string{"Patient", "https://data.example.org/exports/Patient.ndjson"}),
		append([]string{"Prefer", "respond-async"}, pass...)...)
	wantOutcome(t, r, http.StatusForbidden, "forbidden")
}

// A cancelled job never runs, its files go, and its status URL is then 404.
func TestImportCancel(t *testing.T) {
	ts := newTestServer(t, Config{})
	status := kickOff(t, ts, `{"resourceType":"Organization","id":"never","name":"A"}`+"\n")
	wantStatus(t, do(t, ts, "DELETE", status, nil), http.StatusAccepted, "cancel")
	wantOutcome(t, do(t, ts, "GET", status, nil), http.StatusNotFound, "not-found")
	wantOutcome(t, do(t, ts, "DELETE", status, nil), http.StatusNotFound, "not-found")
	if entries, _ := os.ReadDir(envOf(t, ts).jobsDir); len(entries) != 0 {
		t.Errorf("the cancelled job's files are still there")
	}
	startRunner(t, ts)
	time.Sleep(100 * time.Millisecond) // the runner polls every 20 ms
	wantStatus(t, do(t, ts, "GET", "/fhir/Organization/never", nil), http.StatusNotFound, "a cancelled job's resource")
}

func TestImportTooLarge(t *testing.T) {
	ts := newTestServer(t, Config{MaxImportBytes: 100})
	big := strings.Repeat(`{"resourceType":"Organization","name":"A"}`+"\n", 5)
	wantOutcome(t, do(t, ts, "POST", "/fhir/$import", big, "Content-Type", ndjsonType, "Prefer", "respond-async"),
		http.StatusRequestEntityTooLarge, "too-long")
	// Compressed, the body passes the limit on what is sent; decompressed, it is refused
	// while it streams, and its file goes.
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(strings.Repeat(big, 20)))
	zw.Close()
	if zipped.Len() >= 100 {
		t.Fatalf("the compressed body has %d bytes; the test needs fewer than the limit", zipped.Len())
	}
	wantOutcome(t, do(t, ts, "POST", "/fhir/$import", zipped.Bytes(), "Content-Type", ndjsonType, "Content-Encoding", "gzip", "Prefer", "respond-async"),
		http.StatusRequestEntityTooLarge, "too-long")
	if entries, _ := os.ReadDir(envOf(t, ts).jobsDir); len(entries) != 0 {
		t.Errorf("a refused body left its file")
	}
}

func TestImportInCapabilityStatement(t *testing.T) {
	ts := newTestServer(t, Config{})
	cs := do(t, ts, "GET", "/fhir/metadata", nil).json(t)
	rest := cs["rest"].([]any)[0].(map[string]any)
	ops, _ := rest["operation"].([]any)
	var names []string
	for _, o := range ops {
		names = append(names, o.(map[string]any)["name"].(string))
	}
	if !slices.Contains(names, "import") || !slices.Contains(names, "batch-file") {
		t.Errorf("system operations %v, want import and batch-file", names)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 123456: "123,456", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
