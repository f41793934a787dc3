package nhscsv

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

const (
	file1 = "FLU_Vaccinations_v5_RX809_20241015T17300000.csv"
	file2 = "FLU_Vaccinations_v5_RX809_20241016T09000000.csv"
)

func submit(t *testing.T, st store.Store, dir, name, content string) store.Job {
	t.Helper()
	j, err := Submit(t.Context(), st, dir, name, strings.NewReader(content), 1<<20, "supplier", BatchRequest{Permissions: "CUD"})
	if err != nil {
		t.Fatalf("Submit %s: %v", name, err)
	}
	return j
}

// Files are applied in the order they came (the second updates what the first created),
// a file sent twice is refused, and each job keeps a BUSACK line per row.
func TestBatchJobs(t *testing.T) {
	st, dir := openStore(t), t.TempDir()
	j1 := submit(t, st, dir, file1, file(with("UNIQUE_ID", "J-1"), with("UNIQUE_ID", "J-2"), with("UNIQUE_ID", "J-3", "NHS_NUMBER", "123")))
	j2 := submit(t, st, dir, file2, file(with("UNIQUE_ID", "J-1", "ACTION_FLAG", "update", "BATCH_NUMBER", "NEWLOT"), with("UNIQUE_ID", "J-2", "ACTION_FLAG", "delete")))
	if _, err := Submit(t.Context(), st, dir, strings.ToLower(file1), strings.NewReader(file(good())), 1<<20, "supplier", BatchRequest{Permissions: "C"}); fhir.KindOf(err) != fhir.KindConflict {
		t.Fatalf("the same file name again: %v, want KindConflict", err)
	}
	if _, err := Submit(t.Context(), st, dir, "flu.csv", strings.NewReader(file(good())), 1<<20, "supplier", BatchRequest{}); fhir.KindOf(err) != fhir.KindInvalid {
		t.Fatalf("a badly named file: %v, want KindInvalid", err)
	}
	r := &Runner{Store: st, Owner: "test", Dir: dir, Lease: time.Minute}
	for range 2 {
		if ran, err := r.RunOnce(t.Context()); !ran || err != nil {
			t.Fatalf("RunOnce: %v, %v", ran, err)
		}
	}
	if ran, _ := r.RunOnce(t.Context()); ran {
		t.Fatal("a third job was run")
	}
	for _, c := range []struct {
		job  store.Job
		rows int
		sum  Summary
	}{{j1, 3, Summary{Rows: 3, Created: 2, Failed: 1}}, {j2, 2, Summary{Rows: 2, Updated: 1, Deleted: 1}}} {
		j, err := st.GetJob(t.Context(), c.job.ID)
		if err != nil || j.State != store.JobCompleted {
			t.Fatalf("job %s: %s %v", c.job.ID, j.State, err)
		}
		var res BatchResult
		json.Unmarshal(j.Result, &res)
		res.Summary.MessageID = ""
		if res.Summary != c.sum {
			t.Errorf("job %s: %+v, want %+v", c.job.ID, res.Summary, c.sum)
		}
		ack, err := os.ReadFile(AckPath(dir, j.ID))
		if err != nil {
			t.Fatal(err)
		}
		if lines := ackLines(t, string(ack)); len(lines) != c.rows {
			t.Errorf("job %s: %d BUSACK lines, want %d", j.ID, len(lines), c.rows)
		}
	}
	rec, ok := record(t, st, "J-1")
	if !ok || rec.Version != 2 || !strings.Contains(string(rec.JSON), "NEWLOT") {
		t.Errorf("J-1 after both files: version %d, %s", rec.Version, rec.JSON)
	}
	if _, ok := record(t, st, "J-2"); ok {
		t.Error("J-2 was not deleted")
	}
}

// A job whose runner died half way (its lease expired) is applied again by the next:
// what the first run wrote is acknowledged, not written twice.
func TestBatchJobTakenOver(t *testing.T) {
	st, dir := openStore(t), t.TempDir()
	var rows []map[string]string
	for i := range 30 {
		rows = append(rows, with("UNIQUE_ID", "K-"+string(rune('A'+i%26))+string(rune('a'+i/26))))
	}
	j := submit(t, st, dir, file1, file(rows...))
	// The first run: half the file applied as that job would (same seed), then it dies.
	claimed, ok, err := st.ClaimJob(t.Context(), []string{KindBatch}, "dead", 10*time.Millisecond)
	if err != nil || !ok || claimed.ID != j.ID {
		t.Fatalf("claim: %v %v", ok, err)
	}
	fn, _ := ParseFileName(file1)
	var ack strings.Builder
	if _, err := Apply(context.Background(), st, fn, strings.NewReader(file(rows[:15]...)), &ack, Options{Permissions: "C", MessageID: j.ID, IDSeed: j.ID}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	r := &Runner{Store: st, Owner: "next", Dir: dir, Lease: time.Minute}
	if ran, err := r.RunOnce(t.Context()); !ran || err != nil {
		t.Fatalf("RunOnce: %v %v", ran, err)
	}
	done, _ := st.GetJob(t.Context(), j.ID)
	var res BatchResult
	json.Unmarshal(done.Result, &res)
	if done.State != store.JobCompleted || done.Attempts != 2 || res.Created != 15 || res.Unchanged != 15 || res.Failed != 0 {
		t.Errorf("taken over: %s, attempt %d, %+v", done.State, done.Attempts, res.Summary)
	}
	for _, row := range rows {
		if _, ok := record(t, st, row["UNIQUE_ID"]); !ok {
			t.Errorf("%s missing", row["UNIQUE_ID"])
		}
	}
	recs, err := st.Changes(t.Context(), 0, 1000)
	if err != nil || len(recs) != 30 {
		t.Errorf("%d versions written, want 30: %v", len(recs), err)
	}
}
