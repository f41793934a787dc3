package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

// db opens dir/audit.db directly, as someone tampering with the file would.
func db(t *testing.T, dir string) *sql.DB {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "audit.db")+"?_pragma=busy_timeout%3d10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func exec(t *testing.T, d *sql.DB, query string, args ...any) {
	t.Helper()
	res, err := d.Exec(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("%s changed nothing", query)
	}
}

// segAt reads and parses the stored segment holding event seq.
func segAt(t *testing.T, d *sql.DB, seq int64) *segment {
	t.Helper()
	s, err := scanSegment(d.QueryRow("SELECT "+segmentColumns+" FROM segments WHERE first <= ? ORDER BY first DESC LIMIT 1", seq))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// segParts returns copies of the bodies and hashes of s, to change and store with
// putSeg.
func segParts(s *segment) (bodies [][]byte, hashes [][32]byte) {
	for i := range s.n() {
		bodies = append(bodies, append([]byte(nil), s.body(i)...))
		hashes = append(hashes, s.hash(i))
	}
	return bodies, hashes
}

// putSeg stores bodies and hashes as the data of the segment starting at first, as
// someone who knows the format would.
func putSeg(t *testing.T, d *sql.DB, first int64, bodies [][]byte, hashes [][32]byte) {
	t.Helper()
	var arena, hs []byte
	var ends []int
	for i, b := range bodies {
		arena = append(arena, b...)
		ends = append(ends, len(arena))
		hs = append(hs, hashes[i][:]...)
	}
	exec(t, d, "UPDATE segments SET data = ? WHERE first = ?", appendSegmentData(nil, arena, 0, ends, hs), first)
}

// changeSeg applies change to the bodies and hashes of the segment holding seq.
func changeSeg(t *testing.T, d *sql.DB, seq int64, change func(bodies [][]byte, hashes [][32]byte) ([][]byte, [][32]byte)) {
	t.Helper()
	s := segAt(t, d, seq)
	bodies, hashes := change(segParts(s))
	putSeg(t, d, s.first, bodies, hashes)
}

// indexEntries returns the entries of the patient index's runs starting at run or later.
func indexEntries(t *testing.T, d *sql.DB, run int64) []indexEntry {
	t.Helper()
	rows, err := d.Query("SELECT run, data FROM patient_blocks WHERE run >= ? ORDER BY run, lo", run)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []indexEntry
	for rows.Next() {
		var (
			run  int64
			data []byte
		)
		if err := rows.Scan(&run, &data); err != nil {
			t.Fatal(err)
		}
		for r := newBlockReader(data, run); r.next(); {
			out = append(out, indexEntry{string(r.patient), r.seq})
		}
	}
	return out
}

// putRun replaces the patient index's runs from run on by the run run..last with
// entries, stored as the writer stores them.
func putRun(t *testing.T, d *sql.DB, run, last int64, entries []indexEntry) {
	t.Helper()
	for _, q := range []string{"DELETE FROM patient_runs WHERE run >= ?", "DELETE FROM patient_blocks WHERE run >= ?"} {
		if _, err := d.Exec(q, run); err != nil {
			t.Fatal(err)
		}
	}
	exec(t, d, "INSERT INTO patient_runs (run, last) VALUES (?, ?)", run, last)
	slices.SortFunc(entries, compareEntries)
	bw := blockWriter{run: run, emit: func(lo, data []byte) error {
		exec(t, d, "INSERT INTO patient_blocks (run, lo, data) VALUES (?, ?, ?)", run, string(lo), data)
		return nil
	}}
	for _, e := range entries {
		bw.add([]byte(e.patient), e.seq)
	}
	bw.flush()
}

// changeIndex applies change to the entries of the patient index of tamperLog, one run
// of its ten events once the log is closed.
func changeIndex(t *testing.T, d *sql.DB, change func([]indexEntry) []indexEntry) {
	t.Helper()
	putRun(t, d, 1, 10, change(indexEntries(t, d, 1)))
}

// tamperLog is the log the tamperings change: ten events (event i: request i, client
// gp-1, patient i, recorded at t0 + i minutes) in two segments, [1] and [2..10].
func tamperLog(t *testing.T, dir string) *Log {
	l := open(t, dir, Options{})
	var evs []Event
	for i := 1; i <= 10; i++ {
		evs = append(evs, Event{Time: t0.Add(time.Duration(i) * time.Minute), RequestID: fmt.Sprint("req-", i),
			ClientID: "gp-1", Interaction: "read", Patients: []string{fmt.Sprint("Patient/", i)}, Status: 200})
	}
	recordHeld(t, l, dir, evs)
	if s := segAt(t, db(t, dir), 10); s.first != 2 || s.last != 10 {
		t.Fatalf("segments end with [%d..%d], want [2..10]", s.first, s.last)
	}
	return l
}

// recordHeld records evs[0] while another connection holds the write lock, waits until
// the writer has taken it (and waits for the lock), records the rest and releases the
// lock: the writer then writes evs[0] alone and the rest as one batch.
func recordHeld(t testing.TB, l *Log, dir string, evs []Event) {
	t.Helper()
	lock, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	ctx := context.Background()
	conn, err := lock.Conn(ctx)
	if err == nil {
		_, err = conn.ExecContext(ctx, "BEGIN EXCLUSIVE")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	l.Record(evs[0])
	for {
		l.mu.Lock()
		idle := len(l.pending) == 0
		l.mu.Unlock()
		if idle {
			break
		}
		runtime.Gosched()
	}
	for _, e := range evs[1:] {
		l.Record(e)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	flush(t, l)
}

// tamperings change the log of tamperLog and name the first event Verify must find
// broken.
var tamperings = []struct {
	name   string
	online bool // done while the log is open, else between Close and Open
	change func(t *testing.T, d *sql.DB)
	seq    int64
}{
	{"body byte changed", false, func(t *testing.T, d *sql.DB) {
		changeSeg(t, d, 3, func(b [][]byte, h [][32]byte) ([][]byte, [][32]byte) {
			b[1][len(b[1])-1]++ // the last character of the patient of event 3
			return b, h
		})
	}, 3},
	{"middle event deleted", false, func(t *testing.T, d *sql.DB) {
		changeSeg(t, d, 5, func(b [][]byte, h [][32]byte) ([][]byte, [][32]byte) {
			return slices.Delete(b, 3, 4), slices.Delete(h, 3, 4)
		})
		exec(t, d, "UPDATE segments SET last = 9 WHERE first = 2")
	}, 5},
	{"middle event deleted, summary kept", false, func(t *testing.T, d *sql.DB) {
		changeSeg(t, d, 5, func(b [][]byte, h [][32]byte) ([][]byte, [][32]byte) {
			return slices.Delete(b, 3, 4), slices.Delete(h, 3, 4)
		})
	}, 5},
	{"bodies swapped", false, func(t *testing.T, d *sql.DB) {
		changeSeg(t, d, 4, func(b [][]byte, h [][32]byte) ([][]byte, [][32]byte) {
			b[2], b[5] = b[5], b[2] // events 4 and 7
			return b, h
		})
	}, 4},
	{"events reordered", false, func(t *testing.T, d *sql.DB) {
		changeSeg(t, d, 6, func(b [][]byte, h [][32]byte) ([][]byte, [][32]byte) {
			b[4], b[6] = b[6], b[4] // events 6 and 8, with their hashes
			h[4], h[6] = h[6], h[4]
			return b, h
		})
	}, 6},
	{"last hash edited", false, func(t *testing.T, d *sql.DB) {
		changeSeg(t, d, 10, func(b [][]byte, h [][32]byte) ([][]byte, [][32]byte) {
			h[8][0] ^= 1
			return b, h
		})
	}, 10},
	{"first event deleted", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "DELETE FROM segments WHERE first = 1")
	}, 1},
	{"segment unreadable", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "UPDATE segments SET data = substr(data, 1, 100) WHERE first = 2")
	}, 2},
	{"segment emptied", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "UPDATE segments SET data = ?, last = 1 WHERE first = 2", appendSegmentData(nil, nil, 0, nil, nil))
	}, 2},
	{"segment summary shortened", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "UPDATE segments SET last = 9 WHERE first = 2")
	}, 10},
	{"time range narrowed", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "UPDATE segments SET tmax = tmax - 1 WHERE first = 2")
	}, 10},
	{"time range widened", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "UPDATE segments SET tmin = tmin - 1 WHERE first = 2")
	}, 2},
	{"indexed client changed", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "UPDATE segment_clients SET client = 'someone-else' WHERE first = 2")
	}, 2},
	{"client unindexed", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "DELETE FROM segment_clients WHERE first = 1")
	}, 1},
	{"client indexed at no segment", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "INSERT INTO segment_clients (client, first) VALUES ('gp-1', 7)")
	}, 7},
	{"patient unindexed", false, func(t *testing.T, d *sql.DB) {
		changeIndex(t, d, func(es []indexEntry) []indexEntry {
			return slices.DeleteFunc(es, func(e indexEntry) bool { return e.seq == 8 })
		})
	}, 8},
	{"patient indexed falsely", false, func(t *testing.T, d *sql.DB) {
		changeIndex(t, d, func(es []indexEntry) []indexEntry { return append(es, indexEntry{"Patient/99", 6}) })
	}, 6},
	{"patient index entry changed", false, func(t *testing.T, d *sql.DB) {
		changeIndex(t, d, func(es []indexEntry) []indexEntry {
			for i := range es {
				if es[i].seq == 4 {
					es[i].patient = "Patient/77"
				}
			}
			return es
		})
	}, 4},
	{"patient index run shortened", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "UPDATE patient_runs SET last = 5")
	}, 6},
	{"patient index run removed", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "DELETE FROM patient_runs")
	}, 1},
	{"patient index block unreadable", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "UPDATE patient_blocks SET data = substr(data, 1, 5)")
	}, 1},
	{"patient index block filed under another patient", false, func(t *testing.T, d *sql.DB) {
		exec(t, d, "UPDATE patient_blocks SET lo = 'Patient/0'")
	}, 1},
	{"body byte changed while open", true, func(t *testing.T, d *sql.DB) {
		changeSeg(t, d, 7, func(b [][]byte, h [][32]byte) ([][]byte, [][32]byte) {
			b[5][len(b[5])-1]++
			return b, h
		})
	}, 7},
	{"newest event cut off while open", true, func(t *testing.T, d *sql.DB) {
		changeSeg(t, d, 10, func(b [][]byte, h [][32]byte) ([][]byte, [][32]byte) {
			return b[:8], h[:8]
		})
		exec(t, d, "UPDATE segments SET last = 9, tmax = tmax - 60000 WHERE first = 2")
	}, 10},
	{"chain rewritten consistently while open", true, func(t *testing.T, d *sql.DB) {
		// Whoever knows the hash can rehash everything after a change; only the
		// head held outside the file (here: by the running process) shows it.
		changeSeg(t, d, 3, func(b [][]byte, h [][32]byte) ([][]byte, [][32]byte) {
			b[1][len(b[1])-1]++
			prev := segAt(t, d, 1).hash(0)
			var c hasher
			for i := range b {
				h[i] = c.sum(int64(i+2), &prev, b[i])
				prev = h[i]
			}
			return b, h
		})
	}, 10},
}

func TestVerifyDetectsTampering(t *testing.T) {
	for _, tc := range tamperings {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			l := tamperLog(t, dir)
			verify(t, l, 10)
			if !tc.online {
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
			}
			tc.change(t, db(t, dir))
			if !tc.online {
				l = open(t, dir, Options{})
			}
			n, err := l.Verify(context.Background())
			var be *BrokenError
			if !errors.As(err, &be) || be.Seq != tc.seq || n != tc.seq-1 {
				t.Fatalf("Verify = %d, %v; want %d, a BrokenError at event %d", n, err, tc.seq-1, tc.seq)
			}
			t.Log(err)
			// Whatever was changed, the log still takes events.
			l.Record(Event{Interaction: "read", Patients: []string{"Patient/1"}, Status: 200})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := l.Flush(ctx); err != nil {
				t.Fatalf("Flush after the change: %v", err)
			}
		})
	}
}

// The patient index covers the events up to its watermark; Verify checks the newer ones
// against nothing, and Search finds them by reading them.
func TestPatientIndexWatermark(t *testing.T) {
	dir := t.TempDir()
	l := open(t, dir, Options{})
	for i := range 30 {
		l.Record(Event{Interaction: "read", Patients: []string{fmt.Sprint("Patient/", i%3)}, Status: 200})
	}
	flush(t, l)
	d := db(t, dir)
	count := func() (through int64, entries int) {
		t.Helper()
		if err := d.QueryRow("SELECT coalesce(max(last), 0) FROM patient_runs").Scan(&through); err != nil {
			t.Fatal(err)
		}
		return through, len(indexEntries(t, d, 0))
	}
	if through, entries := count(); through != 0 || entries != 0 {
		t.Fatalf("before Close: index through %d with %d entries; want none yet", through, entries)
	}
	verify(t, l, 30)
	for _, desc := range []bool{false, true} {
		recs, _, err := l.Search(context.Background(), Query{Patient: "Patient/1", Descending: desc})
		if err != nil || len(recs) != 10 {
			t.Fatalf("Search by patient before the index covers it: %d, %v; want 10", len(recs), err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if through, entries := count(); through != 30 || entries != 30 {
		t.Fatalf("after Close: index through %d with %d entries; want 30, 30", through, entries)
	}

	// A crash before the index catches up: the next Open recovers the entries.
	putRun(t, d, 1, 20, slices.DeleteFunc(indexEntries(t, d, 1), func(e indexEntry) bool { return e.seq > 20 }))
	l = open(t, dir, Options{})
	verify(t, l, 30)
	if len(l.w.pending) != 10 {
		t.Fatalf("pending after Open = %d entries, want 10", len(l.w.pending))
	}
	l.Record(Event{Interaction: "read", Patients: []string{"Patient/1"}, Status: 200})
	flush(t, l)
	recs, _, err := l.Search(context.Background(), Query{Patient: "Patient/1", Count: 5, Descending: true})
	if got := seqs(recs); err != nil || !slices.Equal(got, []int64{31, 29, 26, 23, 20}) {
		t.Fatalf("Search across the watermark = %v, %v", got, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if through, entries := count(); through != 31 || entries != 31 {
		t.Fatalf("after the second Close: index through %d with %d entries; want 31, 31", through, entries)
	}
	l = open(t, dir, Options{})
	verify(t, l, 31)
}

// The chain's hash is defined in chain.go's comment; this pins it to the definition.
func TestHashDefinition(t *testing.T) {
	var c hasher
	var genesis [32]byte
	h := c.sum(12, &genesis, []byte(`{"time":"x"}`))
	got := hexHash(&h)
	// python3 -c 'import hashlib,struct; print(hashlib.sha256(struct.pack(">q", 12) + bytes(32) + b"{\"time\":\"x\"}").hexdigest())'
	const want = "a3be71ac787d459516d98593c30efb0ff69ff8f5212637007d5a4d4c77bf29b1"
	if got != want {
		t.Fatalf("sum = %s, want %s", got, want)
	}
}

// A log past two generations of the patient index: the runs of a complete generation
// are merged into one, searches by patient page across generations, runs and the
// unindexed newest events, and Verify checks it all.
func TestPatientIndexGenerations(t *testing.T) {
	if testing.Short() {
		t.Skip("records 140,000 events")
	}
	dir := t.TempDir()
	l := open(t, dir, Options{})
	const n = 2<<genBits + 5000
	patients := []string{"Patient/a", "Patient/b", "Patient/c", "Patient/10", "Patient/1"}
	for i := range n {
		// Patient/1 and Patient/10 share a prefix; every 7th event has two patients.
		e := Event{Interaction: "read", Patients: []string{patients[i%len(patients)]}, Status: 200}
		if i%7 == 0 {
			e.Patients = append(e.Patients, "Patient/x")
		}
		l.Record(e)
	}
	flush(t, l)
	verify(t, l, n)
	d := db(t, dir)
	runs := func() (out []indexRun) {
		rows, err := d.Query("SELECT run, last FROM patient_runs ORDER BY run")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var r indexRun
			rows.Scan(&r.run, &r.last)
			out = append(out, r)
		}
		return out
	}
	if rs := runs(); len(rs) < 2 || rs[0] != (indexRun{1, 1<<genBits - 1}) {
		t.Fatalf("runs = %v; want generation 0 merged and runs after it", rs)
	}
	want := func(p string) []int64 { // the seqs of p's events, ascending
		var out []int64
		for i := range n {
			if patients[i%len(patients)] == p || (p == "Patient/x" && i%7 == 0) {
				out = append(out, int64(i+1))
			}
		}
		return out
	}
	for _, p := range []string{"Patient/1", "Patient/x"} {
		for _, desc := range []bool{false, true} {
			var got []int64
			q := Query{Patient: p, Count: 1000, Descending: desc}
			for {
				recs, next, err := l.Search(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range recs {
					if !slices.Contains(r.Event.Patients, p) {
						t.Fatalf("Search(%s) returned event %d of %v", p, r.Seq, r.Event.Patients)
					}
				}
				got = append(got, seqs(recs)...)
				if next == 0 {
					break
				}
				q.After = next
			}
			w := want(p)
			if desc {
				slices.Reverse(w)
			}
			if !slices.Equal(got, w) {
				t.Errorf("Search(%s, descending %v): %d events, want %d", p, desc, len(got), len(w))
			}
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if rs := runs(); len(rs) < 3 || rs[1] != (indexRun{1 << genBits, 2<<genBits - 1}) || rs[2].run != 2<<genBits || rs[len(rs)-1].last != n {
		t.Fatalf("runs after Close = %v; want generations 0 and 1 merged, and runs after them up to the last event", rs)
	}
	l = open(t, dir, Options{})
	verify(t, l, n)
	// A change deep in a merged generation is found at its event.
	exec(t, d, "DELETE FROM patient_blocks WHERE run = ? AND lo = (SELECT max(lo) FROM patient_blocks WHERE run = ?)", 1<<genBits, 1<<genBits)
	if _, err := l.Verify(context.Background()); err == nil {
		t.Fatal("Verify after deleting a block = nil")
	} else if be := (*BrokenError)(nil); !errors.As(err, &be) || be.Seq < 1<<genBits || be.Seq >= 2<<genBits {
		t.Fatalf("Verify after deleting a block of generation 1 = %v", err)
	}
}

// sortPending orders entries as compareEntries does, whatever prefix they share.
func TestSortPending(t *testing.T) {
	var w writer
	ps := []string{"Patient/1", "Patient/10", "Patient/1\x00", "Patient/2", "Patient/100000000000", "Patient/10000000000", "Patient/", "Q"}
	for i := range 200 {
		w.pending = append(w.pending, indexEntry{ps[(i*7)%len(ps)], int64(200 - i + (i%3)<<genBits)})
	}
	for _, pending := range [][]indexEntry{w.pending, w.pending[:len(w.pending)-1]} { // with and without "Q"
		w.pending = pending
		w.sortPending()
		want := slices.Clone(pending)
		slices.SortFunc(want, compareEntries)
		if !slices.Equal(w.sorted, want) {
			t.Fatalf("sortPending = %v\nwant %v", w.sorted, want)
		}
	}
}

// Searches by patient that page through the runs of the index find each event once, in
// order, when the runs they page through are merged between two pages.
func TestSearchDuringMerge(t *testing.T) {
	defer func(n int) { searchRunPage, afterRunPage = n, nil }(searchRunPage)
	searchRunPage = 1
	dir := t.TempDir()
	l := open(t, dir, Options{})
	const n = 30
	for i := range n {
		l.Record(Event{Interaction: "read", Patients: []string{fmt.Sprint("Patient/", i%3)}, Status: 200})
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Five runs of six events, as five flushes would have left them.
	d := db(t, dir)
	all := indexEntries(t, d, 1)
	runs := func(lo, hi int64) []indexEntry {
		return slices.DeleteFunc(slices.Clone(all), func(e indexEntry) bool { return e.seq < lo || e.seq > hi })
	}
	split := func() {
		for run := int64(1); run <= n; run += 6 {
			putRun(t, d, run, run+5, runs(run, run+5))
		}
	}
	var want []int64 // the events of Patient/1
	for seq := int64(2); seq <= n; seq += 3 {
		want = append(want, seq)
	}
	l = open(t, dir, Options{})
	for _, desc := range []bool{false, true} {
		for mergeAfter := 1; mergeAfter <= 4; mergeAfter++ {
			split()
			pages := 0
			afterRunPage = func() {
				if pages++; pages == mergeAfter {
					putRun(t, d, 1, n, runs(1, n)) // as the writer merges a generation
				}
			}
			recs, _, err := l.Search(context.Background(), Query{Patient: "Patient/1", Descending: desc})
			got := seqs(recs)
			if desc {
				slices.Reverse(got)
			}
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("search (descending %v) with the runs merged after page %d = %v, %v; want %v", desc, mergeAfter, got, err, want)
			}
		}
	}
	afterRunPage = nil
	verify(t, l, n)
}
