package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

var concurrencyTests = []test{
	{"ConcurrentConditionalCreate", testConcurrentConditionalCreate},
	{"ConcurrentUniqueKey", testConcurrentUniqueKey},
	{"ConcurrentIfMatchUpdates", testConcurrentIfMatchUpdates},
	{"ConcurrentCreates", testConcurrentCreates},
}

// parallel runs fn(0..n-1) in n goroutines released together, and waits for all.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

func testConcurrentConditionalCreate(t *testing.T, s store.Store) {
	const rounds, clients = 20, 20
	for round := range rounds {
		ident := fmt.Sprintf("https://sys.example/race|%d", round)
		q := criteria(t, "Patient", "identifier="+ident)
		results := make([]store.Result, clients)
		errs := make([]error, clients)
		ops := make([]store.Op, clients)
		for i := range ops {
			ops[i] = createOp(t, "Patient", fmt.Sprintf("r%d-c%d", round, i), "racer", ident)
			ops[i].IfNoneExist = q
		}
		parallel(clients, func(i int) { results[i], errs[i] = s.Apply(ctx(t), ops[i]) })
		var created []string
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d client %d: %v", round, i, err)
			}
			if results[i].Outcome == store.Created {
				created = append(created, results[i].Record.ID)
			}
		}
		if len(created) != 1 {
			t.Fatalf("round %d: %d conditional creates created (%v), want exactly 1", round, len(created), created)
		}
		for i, r := range results {
			if r.Record.ID != created[0] || (r.Outcome != store.Created && r.Outcome != store.Existing) {
				t.Fatalf("round %d client %d: %v %s, want Existing %s", round, i, r.Outcome, r.Record.ID, created[0])
			}
		}
		q.Count = 10
		if got, err := s.Search(ctx(t), q); err != nil || len(got.Records) != 1 {
			t.Fatalf("round %d: Search found %d resources (%v), want 1", round, len(got.Records), err)
		}
	}
}

func testConcurrentUniqueKey(t *testing.T, s store.Store) {
	const rounds, clients = 5, 20
	for round := range rounds {
		key := nhsKey(fmt.Sprintf("%010d", round))
		errs := make([]error, clients)
		ops := make([]store.Op, clients)
		for i := range ops {
			ops[i] = withKeys(createOp(t, "Patient", fmt.Sprintf("r%d-c%d", round, i), "racer"), key)
		}
		parallel(clients, func(i int) { _, errs[i] = s.Apply(ctx(t), ops[i]) })
		won := 0
		for i, err := range errs {
			if err == nil {
				won++
				continue
			}
			if fe := wantKind(t, err, fhir.KindUnprocessable); fe.Issues[0].Code != "duplicate" {
				t.Fatalf("round %d client %d: issue code %q, want duplicate", round, i, fe.Issues[0].Code)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d creates claimed the same key, want exactly 1", round, won)
		}
	}
}

func testConcurrentIfMatchUpdates(t *testing.T, s store.Store) {
	const clients, updates = 16, 8
	applyOutcome(t, s, createOp(t, "Patient", "hot", "v1"), store.Created)
	ops := make([][]store.Op, clients)
	for c := range ops {
		for u := range updates {
			ops[c] = append(ops[c], updateOp(t, "Patient", "hot", fmt.Sprintf("client-%d-update-%d", c, u)))
		}
	}
	var mu sync.Mutex
	notes := map[int64]string{} // version → the note of the update that wrote it
	parallel(clients, func(c int) {
		for u := 0; u < updates; {
			cur, err := s.Read(ctx(t), "Patient", "hot")
			if err != nil {
				t.Errorf("client %d: Read: %v", c, err)
				return
			}
			note := fmt.Sprintf("client-%d-update-%d", c, u)
			op := ops[c][u]
			op.IfMatch = cur.Version
			res, err := s.Apply(ctx(t), op)
			if fhir.KindOf(err) == fhir.KindPreconditionFailed {
				continue // lost the race: read again
			}
			if err != nil {
				t.Errorf("client %d: Apply: %v", c, err)
				return
			}
			if res.Record.Version != cur.Version+1 {
				t.Errorf("client %d: If-Match %d wrote version %d", c, cur.Version, res.Record.Version)
			}
			mu.Lock()
			if prev, dup := notes[res.Record.Version]; dup {
				t.Errorf("version %d written twice (%s and %s)", res.Record.Version, prev, note)
			}
			notes[res.Record.Version] = note
			mu.Unlock()
			u++
		}
	})
	if t.Failed() {
		return
	}
	last := int64(1 + clients*updates)
	if rec := read(t, s, "Patient", "hot"); rec.Version != last {
		t.Fatalf("final version %d, want %d", rec.Version, last)
	}
	for v := int64(2); v <= last; v++ {
		rec, err := s.VRead(ctx(t), "Patient", "hot", v)
		if err != nil {
			t.Fatalf("VRead(%d): %v", v, err)
		}
		if note, ok := notes[v]; !ok || noteOf(rec.JSON) != note {
			t.Fatalf("version %d holds %s, want the update acknowledged as %q", v, rec.JSON, note)
		}
	}
}

func testConcurrentCreates(t *testing.T, s store.Store) {
	const clients, each = 16, 40
	recs := make([][]store.Record, clients)
	ops := make([][]store.Op, clients)
	for c := range ops {
		for i := range each {
			ops[c] = append(ops[c], createOp(t, "Patient", fmt.Sprintf("c%d-%d", c, i), "x", fmt.Sprintf("https://sys.example/c|%d-%d", c, i)))
		}
	}
	parallel(clients, func(c int) {
		for i, op := range ops[c] {
			res, err := s.Apply(ctx(t), op)
			if err != nil {
				t.Errorf("client %d create %d: %v", c, i, err)
				return
			}
			recs[c] = append(recs[c], res.Record)
		}
	})
	if t.Failed() {
		return
	}
	seqs := map[int64]bool{}
	for _, list := range recs {
		for _, want := range list {
			checkRecord(t, "Read after concurrent creates", read(t, s, want.Type, want.ID), want)
			if seqs[want.Seq] {
				t.Fatalf("seq %d given twice", want.Seq)
			}
			seqs[want.Seq] = true
		}
	}
	if n := len(changes(t, s)); n != clients*each {
		t.Fatalf("change log has %d entries, want %d", n, clients*each)
	}
}
