package api

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nimsproject/nims/audit"
	"github.com/nimsproject/nims/bulk/nhscsv"
)

const batchName = "FLU_Vaccinations_v5_RX809_20241015T17300000.csv"

// startBatchRunner applies the batch files of ts's store, as nims serve does.
func startBatchRunner(t *testing.T, env *testEnv) {
	t.Helper()
	r := &nhscsv.Runner{Store: env.store, Owner: "test-batch", Dir: env.jobsDir, Lease: 5 * time.Second, Poll: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// A supplier uploads a batch file: 202, applied, and the status URL gives its BUSACK
// report, a line per row; the same name again is 409; the vaccine type must be the
// client's; another client cannot see the report.
func TestBatchFileUpload(t *testing.T) {
	ts := newTestServer(t, Config{})
	env := envOf(t, ts)
	startBatchRunner(t, env)
	body, err := os.ReadFile("../bulk/nhscsv/testdata/" + batchName)
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Count(strings.TrimSpace(string(body)), "\n")
	flu := bearer(tokenFor(t, ts, "poc", nil, []string{"FLU.CRUDS"}))
	covid := bearer(tokenFor(t, ts, "poc", nil, []string{"COVID.CRUDS"}))
	upload := func(name string, headers ...string) response {
		return do(t, ts, "POST", "/fhir/$batch-file?file="+url.QueryEscape(name), body, append([]string{"Content-Type", "text/csv"}, headers...)...)
	}
	wantOutcome(t, upload(batchName, covid...), http.StatusForbidden, "forbidden")
	wantOutcome(t, upload("flu.csv", flu...), http.StatusBadRequest, "invalid")
	wantStatus(t, do(t, ts, "POST", "/fhir/$batch-file?file="+batchName, body, append([]string{"Content-Type", "application/fhir+json"}, flu...)...), http.StatusUnsupportedMediaType, "JSON body")
	r := upload(batchName, flu...)
	if r.status != http.StatusAccepted {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	status := strings.TrimPrefix(r.header.Get("Content-Location"), ts.URL)
	wantOutcome(t, upload(batchName, flu...), http.StatusConflict, "duplicate")
	other := bearer(tokenFor(t, ts, "loader", nil, nil)) // another client
	wantOutcome(t, do(t, ts, "GET", status, nil, other...), http.StatusNotFound, "not-found")
	var ack response
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ack = do(t, ts, "GET", status, nil, flu...); ack.status != http.StatusAccepted {
			break
		}
	}
	if ack.status != http.StatusOK || !strings.HasPrefix(ack.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("status: %d %s", ack.status, ack.body)
	}
	lines := strings.Split(strings.TrimSpace(string(ack.body)), "\n")
	if len(lines) != rows+1 || !strings.HasPrefix(lines[0], "MESSAGE_HEADER_ID|") {
		t.Errorf("BUSACK report of %d lines for %d rows:\n%s", len(lines), rows, ack.body)
	}
	if !strings.Contains(ack.header.Get("X-Batch-Summary"), "failed=0") {
		t.Errorf("summary %q", ack.header.Get("X-Batch-Summary"))
	}
	found := do(t, ts, "GET", "/fhir/Immunization?_summary=count&-immunization.target=FLU", nil, flu...)
	if total, _ := found.json(t)["total"].(float64); total == 0 {
		t.Errorf("no flu records after the file: %s", found.body)
	}
	if err := env.audit.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if recs, _, err := env.audit.Search(t.Context(), audit.Query{Interaction: IBatchFile}); err != nil || len(recs) < 4 {
		t.Errorf("audit of uploads: %d events, %v", len(recs), err)
	}
}
