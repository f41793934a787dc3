package bulk

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
	"github.com/nimsproject/nims/store/sqlite"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func corpus(t *testing.T) []string {
	files, _ := filepath.Glob("../../shared/corpus/bulk-ndjson-10-patients/*.ndjson")
	if len(files) == 0 {
		t.Fatal("no Bulk Data files in ../shared/corpus")
	}
	return files
}

func lines(t *testing.T, files []string) int64 {
	var n int64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n += int64(strings.Count(strings.TrimSpace(string(b)), "\n") + 1)
	}
	return n
}

// The corpus Bulk Data set loads whole: Locations before the Immunizations whose
// conditional references (Location?identifier=…) name them. A second import changes
// nothing.
func TestImportCorpus(t *testing.T) {
	st := openStore(t)
	files := corpus(t)
	rep, err := Import(t.Context(), st, files, ImportOptions{BatchSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	if want := lines(t, files); rep.Loaded != want || rep.Failed != 0 {
		t.Fatalf("loaded %d, failed %d (%v); want %d loaded", rep.Loaded, rep.Failed, rep.Errors, want)
	}
	rec, err := st.Read(t.Context(), "Immunization", "04912b69-f775-5a9d-3e8b-9d06c28165ad")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(rec.JSON), "Location?identifier") || !strings.Contains(string(rec.JSON), `"reference":"Location/`) {
		t.Errorf("the conditional reference was not resolved: %s", rec.JSON)
	}
	again, err := Import(t.Context(), st, files, ImportOptions{})
	if err != nil || again.Loaded != 0 || again.Unchanged != rep.Loaded {
		t.Errorf("second import: loaded %d unchanged %d (%v), want 0 and %d", again.Loaded, again.Unchanged, err, rep.Loaded)
	}
}

// Bad lines are reported with their line numbers while the good ones load.
func TestImportBadLines(t *testing.T) {
	st := openStore(t)
	dir := t.TempDir()
	good := func(i int) string {
		return fmt.Sprintf(`{"resourceType":"Patient","id":"p%d","identifier":[{"system":"%s","value":"%s"}],"gender":"female"}`, i, fhir.SystemNHSNumber, []string{"9000000009", "9000000025", "9000000033"}[i%3])
	}
	content := strings.Join([]string{
		good(0),
		`{"resourceType":"Patient","id":"bad","gender":"woman"}`, // line 2: invalid code
		`not json`, // line 3
		``,         // line 4: blank, skipped
		good(1),    // line 5
		`{"resourceType":"Patient","id":"dup","identifier":[{"system":"` + fhir.SystemNHSNumber + `","value":"9000000009"}]}`, // line 6: NHS number of p0
		good(2), // line 7
	}, "\n") + "\n"
	file := filepath.Join(dir, "Patient.000.ndjson")
	os.WriteFile(file, []byte(content), 0o600)
	rep, err := Import(t.Context(), st, []string{file}, ImportOptions{BatchSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Loaded != 3 || rep.Failed != 3 {
		t.Fatalf("loaded %d failed %d, want 3 and 3: %v", rep.Loaded, rep.Failed, rep.Errors)
	}
	var got []int64
	for _, e := range rep.Errors {
		got = append(got, e.Line)
	}
	if fmt.Sprint(got) != "[2 3 6]" {
		t.Errorf("error lines %v, want [2 3 6]: %v", got, rep.Errors)
	}
}

// An import killed mid-file and started again ends with exactly the records of the file:
// one version each, none missing.
func TestImportResumes(t *testing.T) {
	st := openStore(t)
	dir := t.TempDir()
	var b strings.Builder
	const n = 1000
	for i := range n {
		fmt.Fprintf(&b, `{"resourceType":"Organization","id":"o%d","name":"Org %d"}`+"\n", i, i)
	}
	file := filepath.Join(dir, "Organization.000.ndjson")
	os.WriteFile(file, []byte(b.String()), 0o600)
	ckpt := filepath.Join(dir, "ckpt")
	ctx, cancel := context.WithCancel(t.Context())
	batches := 0
	rep, err := Import(ctx, st, []string{file}, ImportOptions{BatchSize: 100, CheckpointDir: ckpt, Progress: func(Progress) {
		if batches++; batches == 3 {
			cancel() // killed after the third batch
		}
	}})
	if err == nil || rep.Loaded != 300 {
		t.Fatalf("first run: loaded %d, err %v; want 300 and an error", rep.Loaded, err)
	}
	rep, err = Import(t.Context(), st, []string{file}, ImportOptions{BatchSize: 100, CheckpointDir: ckpt})
	if err != nil || rep.Loaded != n-300 || len(rep.Resumed) != 1 {
		t.Fatalf("second run: loaded %d resumed %v err %v; want %d from a checkpoint", rep.Loaded, rep.Resumed, err, n-300)
	}
	changes, err := st.Changes(t.Context(), 0, 10*n)
	if err != nil || len(changes) != n {
		t.Errorf("%d versions written, want exactly %d (%v)", len(changes), n, err)
	}
	rep, _ = Import(t.Context(), st, []string{file}, ImportOptions{CheckpointDir: ckpt})
	if rep.Loaded+rep.Unchanged != 0 {
		t.Errorf("a finished file was read again: %+v", rep)
	}
}
