package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// open opens a log in dir whose clock is fixed at t0, closed at the end of the test.
func open(t testing.TB, dir string, opts Options) *Log {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func flush(t testing.TB, l *Log) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func verify(t testing.TB, l *Log, want int64) {
	t.Helper()
	n, err := l.Verify(context.Background())
	if err != nil || n != want {
		t.Fatalf("Verify = %d, %v; want %d, nil", n, err, want)
	}
}

func TestConcurrentRecord(t *testing.T) {
	l := open(t, t.TempDir(), Options{QueueSize: 256, MaxBatch: 64})
	const goroutines, each = 50, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				l.Record(Event{ClientID: fmt.Sprint("client-", g), Interaction: "read", Type: "Immunization",
					Entities: []string{fmt.Sprintf("Immunization/%d-%d", g, i)}, Patients: []string{fmt.Sprint("Patient/", g)}, Status: 200})
			}
		})
	}
	wg.Wait()
	flush(t, l)
	recorded, written, dropped := l.Stats()
	if recorded != goroutines*each || written != recorded || dropped != 0 {
		t.Fatalf("Stats() = %d, %d, %d; want %d, %[4]d, 0", recorded, written, dropped, goroutines*each)
	}
	verify(t, l, goroutines*each)
	recs, _, err := l.Search(context.Background(), Query{Patient: "Patient/7", Count: 1000})
	if err != nil || len(recs) != each {
		t.Fatalf("Search by patient: %d events, %v; want %d", len(recs), err, each)
	}
}

// A queue far smaller than the load: Record must block, not drop.
func TestBackpressure(t *testing.T) {
	l := open(t, t.TempDir(), Options{QueueSize: 3, MaxBatch: 2})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				l.Record(Event{Interaction: "read", Status: 200})
			}
		})
	}
	wg.Wait()
	flush(t, l)
	if recorded, written, dropped := l.Stats(); recorded != 200 || written != 200 || dropped != 0 {
		t.Fatalf("Stats() = %d, %d, %d; want 200, 200, 0", recorded, written, dropped)
	}
	verify(t, l, 200)
}

func TestCloseFlushesAndReopenContinuesChain(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		l.Record(Event{Interaction: "read", Patients: []string{"Patient/1"}, Status: 200})
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, written, _ := l.Stats(); written != 100 {
		t.Fatalf("written after Close = %d, want 100", written)
	}
	_, head := l.Head()

	l = open(t, dir, Options{})
	verify(t, l, 100)
	if seq, hash := l.Head(); seq != 100 || hash != head {
		t.Fatalf("Head() after reopen = %d, %s; want 100, %s", seq, hash, head)
	}
	l.Record(Event{Interaction: "create", Patients: []string{"Patient/1"}, Status: 201})
	flush(t, l)
	verify(t, l, 101)
	recs, _, err := l.Search(context.Background(), Query{After: 100})
	if err != nil || len(recs) != 1 || recs[0].Seq != 101 || recs[0].Prev != head {
		t.Fatalf("event after reopen = %+v, %v; want seq 101 chained to %s", recs, err, head)
	}
}

func TestRecordAfterClose(t *testing.T) {
	l := open(t, t.TempDir(), Options{})
	l.Record(Event{Interaction: "read", Status: 200})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l.Record(Event{Interaction: "read", Status: 200})
	l.Record(Event{Interaction: "read", Status: 200})
	if recorded, written, dropped := l.Stats(); recorded != 1 || written != 1 || dropped != 2 {
		t.Fatalf("Stats() = %d, %d, %d; want 1, 1, 2", recorded, written, dropped)
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Errorf("Flush after Close = %v, want nil (nothing pending)", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, _, err := l.Search(context.Background(), Query{}); err == nil {
		t.Error("Search after Close succeeded")
	}
}

func TestFlushContext(t *testing.T) {
	l := open(t, t.TempDir(), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l.Record(Event{Interaction: "read", Status: 200})
	// Either the writer already made it durable, or Flush gives up with ctx.
	if err := l.Flush(ctx); err != nil && !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("Flush(cancelled) = %v", err)
	}
	flush(t, l)
}

// A failing disk must stall the log, not lose events: commits are retried until they
// succeed, and only Close gives up, saying so.
func TestWriteFailure(t *testing.T) {
	dir := t.TempDir()
	l := open(t, dir, Options{})
	d := db(t, dir)
	const create = `CREATE TABLE segments (first INTEGER PRIMARY KEY, last INTEGER NOT NULL, tmin INTEGER NOT NULL,
		tmax INTEGER NOT NULL, data BLOB NOT NULL); CREATE INDEX segments_summary ON segments (first, last, tmin, tmax)`
	exec := func(q string) {
		if _, err := d.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("DROP TABLE segments") // every commit now fails

	l.Record(Event{Interaction: "read", Patients: []string{"Patient/1"}, Status: 200})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := l.Flush(ctx)
	if err == nil || !strings.Contains(err.Error(), "no such table") {
		t.Fatalf("Flush while writes fail = %v, want the write failure", err)
	}
	if recorded, written, dropped := l.Stats(); recorded != 1 || written != 0 || dropped != 0 {
		t.Fatalf("Stats() while writes fail = %d, %d, %d; want 1, 0, 0", recorded, written, dropped)
	}

	exec(create) // the disk recovers: the retry writes the event
	flush(t, l)
	verify(t, l, 1)

	exec("DROP TABLE segments")
	l.Record(Event{Interaction: "read", Patients: []string{"Patient/2"}, Status: 200})
	if err := l.Close(); err == nil {
		t.Fatal("Close with an unwritable event = nil, want an error")
	}
	if recorded, written, dropped := l.Stats(); recorded != 2 || written != 1 || dropped != 1 {
		t.Fatalf("Stats() after Close = %d, %d, %d; want 2, 1, 1", recorded, written, dropped)
	}
	if err := l.Flush(context.Background()); err == nil {
		t.Error("Flush after losing an event = nil, want an error")
	}
}

// Two processes appending to one file (nims serve and a nims auth command, say) keep one
// chain: a writer whose commit finds another's events re-reads the head and retries.
func TestTwoWriters(t *testing.T) {
	dir := t.TempDir()
	a, b := open(t, dir, Options{}), open(t, dir, Options{})
	var wg sync.WaitGroup
	for _, l := range []*Log{a, b} {
		wg.Go(func() {
			for range 300 {
				l.Record(Event{Interaction: "read", Patients: []string{"Patient/1"}, Status: 200})
			}
			flush(t, l)
		})
	}
	wg.Wait()
	verify(t, a, 600)
	verify(t, b, 600)
	// Each finds all the events of the patient, those the other wrote included.
	for _, l := range []*Log{a, b} {
		for _, desc := range []bool{false, true} {
			recs, _, err := l.Search(context.Background(), Query{Patient: "Patient/1", Count: 1000, Descending: desc})
			if got := seqs(recs); err != nil || len(got) != 600 || (desc && !slices.IsSortedFunc(got, func(x, y int64) int { return int(y - x) })) ||
				(!desc && !slices.IsSorted(got)) {
				t.Fatalf("Search by patient (descending %v): %d events, %v; want 600 in order", desc, len(got), err)
			}
		}
	}
}
