package bulk

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// crashing is a store whose process dies after a number of transactions: the next one
// commits, but its caller never hears so, and nothing it asks afterwards arrives.
type crashing struct {
	store.Store
	after int64
	n     atomic.Int64
	dead  atomic.Bool
}

var errDied = &fhir.Error{Kind: fhir.KindUnavailable, Details: "the process died"}

func (c *crashing) Transaction(ctx context.Context, ops []store.Op) ([]store.Result, error) {
	if c.dead.Load() {
		return nil, errDied
	}
	res, err := c.Store.Transaction(ctx, ops)
	if c.n.Add(1) > c.after {
		c.dead.Store(true)
		return nil, errDied
	}
	return res, err
}

func (c *crashing) UpdateJob(ctx context.Context, j store.Job) (store.Job, error) {
	if c.dead.Load() {
		return store.Job{}, errDied
	}
	return c.Store.UpdateJob(ctx, j)
}

// queueImport stores an import job of the NDJSON content, as the API does for a body.
func queueImport(t *testing.T, st store.Store, dir, id, content string, types ...string) {
	t.Helper()
	if err := os.MkdirAll(InputDir(dir, id), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(InputDir(dir, id), "body.ndjson"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	queueJob(t, st, id, ImportRequest{Request: "http://nims.test/fhir/$import", Inputs: []ImportInput{{File: "body.ndjson"}}, Types: types})
}

func queueJob(t *testing.T, st store.Store, id string, req ImportRequest) {
	t.Helper()
	body, _ := json.Marshal(req)
	if _, err := st.CreateJob(t.Context(), store.Job{ID: id, Kind: KindImport, Client: "test", Request: body}); err != nil {
		t.Fatal(err)
	}
}

// count is the number of live resources of typ, by search.
func count(t *testing.T, st store.Store, typ string) int64 {
	t.Helper()
	q, err := search.Parse(typ, url.Values{"_summary": {"count"}}, search.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Search(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	return res.Total
}

func jobResult(t *testing.T, st store.Store, id string) (store.Job, ImportResult) {
	t.Helper()
	j, err := st.GetJob(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var res ImportResult
	if j.State == store.JobCompleted {
		if err := json.Unmarshal(j.Result, &res); err != nil {
			t.Fatalf("result %s: %v", j.Result, err)
		}
	}
	return j, res
}

// A runner killed mid-file (its store gone after a batch committed but before its
// checkpoint was written) leaves its lease to expire; a second runner takes the job over
// and ends with exactly the file's records: none missing, none written twice, the
// resources without an id included.
func TestRunnerTakesOverAfterCrash(t *testing.T) {
	st := openStore(t)
	dir := t.TempDir()
	var b strings.Builder
	const n = 1000
	for i := range n {
		if i%10 == 0 {
			fmt.Fprintf(&b, `{"resourceType":"Organization","name":"No id %d"}`+"\n", i)
			continue
		}
		fmt.Fprintf(&b, `{"resourceType":"Organization","id":"o%d","name":"Org %d"}`+"\n", i, i)
	}
	queueImport(t, st, dir, "job1", b.String(), "Organization")

	dying := &crashing{Store: st, after: 3}
	first := &Runner{Store: dying, Owner: "first", Dir: dir, Lease: 300 * time.Millisecond, Import: ImportOptions{BatchSize: 100}, Log: quiet}
	if ran, err := first.RunOnce(t.Context()); !ran || err == nil {
		t.Fatalf("first runner: ran %v, err %v; want it to die at work", ran, err)
	}
	if j, _ := jobResult(t, st, "job1"); j.State != store.JobRunning || j.Owner != "first" {
		t.Fatalf("after the crash the job is %s owned by %q, want running, held by the first runner", j.State, j.Owner)
	}

	second := &Runner{Store: st, Owner: "second", Dir: dir, Lease: time.Minute, Import: ImportOptions{BatchSize: 100}, Log: quiet}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ran, err := second.RunOnce(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if ran {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second runner never got the job")
		}
		time.Sleep(50 * time.Millisecond)
	}
	j, res := jobResult(t, st, "job1")
	if j.State != store.JobCompleted || j.Attempts != 2 || j.Owner != "second" {
		t.Fatalf("job %s, attempt %d, owner %s; want completed by the second runner at attempt 2 (%s)", j.State, j.Attempts, j.Owner, j.Error)
	}
	if got := count(t, st, "Organization"); got != n {
		t.Errorf("%d Organizations found, want %d", got, n)
	}
	changes, err := st.Changes(t.Context(), 0, 10*n)
	if err != nil || len(changes) != n {
		t.Errorf("%d versions written, want exactly %d (%v)", len(changes), n, err)
	}
	// 300 checkpointed by the first runner, 100 committed and replayed unchanged, 600 new.
	if res.Loaded+res.Unchanged != n || res.Unchanged != 100 || res.Failed != 0 || res.Types["Organization"].Loaded != res.Loaded {
		t.Errorf("result %+v; want %d resources, 100 of them unchanged", res, n)
	}
	if _, err := os.Stat(JobDir(dir, "job1")); !os.IsNotExist(err) {
		t.Errorf("the job's files are still there: %v", err)
	}
}

// Bad lines are reported by input and line while the good ones load; a type outside the
// job's is refused like a bad line.
func TestRunnerReportsLineErrors(t *testing.T) {
	st := openStore(t)
	dir := t.TempDir()
	content := `{"resourceType":"Organization","id":"a","name":"A"}
{"resourceType":"Organization","id":"b","active":"yes"}
not json
{"resourceType":"Patient","id":"p","gender":"female"}
{"resourceType":"Organization","id":"c","name":"C"}
`
	queueImport(t, st, dir, "job2", content, "Organization")
	r := &Runner{Store: st, Owner: "w", Dir: dir, Log: quiet}
	if ran, err := r.RunOnce(t.Context()); !ran || err != nil {
		t.Fatalf("RunOnce: %v %v", ran, err)
	}
	j, res := jobResult(t, st, "job2")
	if j.State != store.JobCompleted || res.Loaded != 2 || res.Failed != 3 {
		t.Fatalf("job %s (%s): %+v; want completed, 2 loaded, 3 failed", j.State, j.Error, res)
	}
	var lines []string
	for _, e := range res.Errors {
		lines = append(lines, fmt.Sprintf("%s:%d:%s", e.Input, e.Line, e.Issues[0].Code))
	}
	if got, want := strings.Join(lines, " "), "request body:2:structure request body:3:structure request body:4:forbidden"; got != want {
		t.Errorf("errors %s, want %s", got, want)
	}
	if count(t, st, "Patient") != 0 {
		t.Error("a Patient was written by a job allowed Organizations only")
	}
}

// URL inputs are fetched from the sources only, redirects included.
func TestRunnerFetchesFromSources(t *testing.T) {
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/exports/Organization.ndjson":
			io.WriteString(w, `{"resourceType":"Organization","id":"f1","name":"Fetched"}`+"\n")
		case "/exports/elsewhere":
			http.Redirect(w, r, "/private/Organization.ndjson", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer files.Close()
	st := openStore(t)
	dir := t.TempDir()
	r := &Runner{Store: st, Owner: "w", Dir: dir, Sources: Sources{files.URL + "/exports/"}, Log: quiet}

	queueJob(t, st, "ok", ImportRequest{Inputs: []ImportInput{{Type: "Organization", URL: files.URL + "/exports/Organization.ndjson"}}, Types: []string{"Organization"}})
	queueJob(t, st, "redirected", ImportRequest{Inputs: []ImportInput{{Type: "Organization", URL: files.URL + "/exports/elsewhere"}}, Types: []string{"Organization"}})
	queueJob(t, st, "missing", ImportRequest{Inputs: []ImportInput{{Type: "Organization", URL: files.URL + "/exports/none.ndjson"}}, Types: []string{"Organization"}})
	r.MaxAttempts = 1
	for range 6 {
		r.RunOnce(t.Context())
	}
	if j, res := jobResult(t, st, "ok"); j.State != store.JobCompleted || res.Loaded != 1 {
		t.Errorf("ok: %s %q %+v", j.State, j.Error, res)
	}
	if j, _ := jobResult(t, st, "missing"); j.State != store.JobFailed || !strings.Contains(j.Error, "404") {
		t.Errorf("missing: %s %q, want failed saying 404", j.State, j.Error)
	}
	if j, _ := jobResult(t, st, "redirected"); j.State != store.JobFailed || !strings.Contains(j.Error, "redirects outside") || j.Attempts != 1 {
		t.Errorf("redirected outside the sources: %s %q, want failed", j.State, j.Error)
	}
	if count(t, st, "Organization") != 1 {
		t.Error("want exactly the one fetched Organization")
	}
}

func TestSourcesCheck(t *testing.T) {
	s := Sources{"https://data.example.org/exports/", "https://files.example.net:8443/nims"}
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://data.example.org/exports/Patient.ndjson", true},
		{"https://DATA.example.org/exports/a/b.ndjson", true},
		{"https://files.example.net:8443/nims/x.ndjson", true},
		{"https://files.example.net:8443/nims", true},
		{"https://files.example.net:8443/nimsother/x.ndjson", false},
		{"https://files.example.net/nims/x.ndjson", false},
		{"http://data.example.org/exports/Patient.ndjson", false},
		{"https://data.example.org/other/Patient.ndjson", false},
		{"https://data.example.org.evil.test/exports/Patient.ndjson", false},
		{"https://data.example.org/exports/../secret", false},
		{"https://data.example.org/exports/%2e%2e/secret", false},
		{"https://data.example.org/exports/a%2Fb", false},
		{"https://user:pw@data.example.org/exports/a", false},
		{"file:///etc/passwd", false},
		{"/exports/Patient.ndjson", false},
	} {
		if err := s.Check(tc.url); (err == nil) != tc.ok {
			t.Errorf("Check(%q) = %v, want ok %v", tc.url, err, tc.ok)
		}
	}
	if err := (Sources{}).Check("https://data.example.org/exports/a"); fhir.KindOf(err) != fhir.KindInvalid {
		t.Errorf("no sources: %v, want KindInvalid", err)
	}
}
