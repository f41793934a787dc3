package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

var historyTests = []test{
	{"HistoryLevels", testHistoryLevels},
	{"HistorySince", testHistorySince},
	{"HistoryPagingStableUnderWrites", testHistoryPagingStableUnderWrites},
	{"HistoryInvalid", testHistoryInvalid},
}

// writeLog applies ops in order and returns the records written (Existing and NoOp write
// nothing and are left out).
func writeLog(t *testing.T, s store.Store, ops ...store.Op) []store.Record {
	t.Helper()
	var out []store.Record
	for _, op := range ops {
		res := apply(t, s, op)
		switch res.Outcome {
		case store.Created, store.Updated, store.Deleted:
			out = append(out, res.Record)
		}
	}
	return out
}

// mixedWrites is a small history over two types: creates, updates and deletes.
func mixedWrites(t *testing.T, s store.Store) []store.Record {
	return writeLog(t, s,
		createOp(t, "Patient", "p1", "1"), createOp(t, "Patient", "p2", "1"),
		createOp(t, "Observation", "o1", "1"), updateOp(t, "Patient", "p1", "2"),
		createOp(t, "Patient", "p3", "1"), updateOp(t, "Observation", "o1", "2"),
		deleteOp("Patient", "p2"), updateOp(t, "Patient", "p1", "3"),
		updateOp(t, "Patient", "p2", "re-created"))
}

// expectHistory is the reference answer: records in scope, newest first.
func expectHistory(all []store.Record, q store.HistoryQuery) []store.Record {
	var out []store.Record
	for _, r := range all {
		if (q.Type == "" || r.Type == q.Type) && (q.ID == "" || r.ID == q.ID) && !r.LastUpdated.Before(q.Since) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b store.Record) int { return int(b.Seq - a.Seq) })
	return out
}

// historyAll pages through q and returns every record.
func historyAll(t *testing.T, s store.Store, q store.HistoryQuery) []store.Record {
	t.Helper()
	var out []store.Record
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("History never returned a last page")
		}
		page, err := s.History(ctx(t), q)
		if err != nil {
			t.Fatalf("History(%+v): %v", q, err)
		}
		if len(page.Records) > q.Count {
			t.Fatalf("History page has %d records, Count %d", len(page.Records), q.Count)
		}
		if page.Next != "" && len(page.Records) == 0 {
			t.Fatal("History returned an empty page with a Next cursor")
		}
		out = append(out, page.Records...)
		if page.Next == "" {
			return out
		}
		q.Cursor = page.Next
	}
}

func testHistoryLevels(t *testing.T, s store.Store) {
	all := mixedWrites(t, s)
	for _, q := range []store.HistoryQuery{
		{}, {Type: "Patient"}, {Type: "Observation"}, {Type: "Patient", ID: "p1"},
		{Type: "Patient", ID: "p2"}, {Type: "Patient", ID: "nope"}, {Type: "Flag"},
	} {
		want := expectHistory(all, q)
		for _, count := range []int{1, 2, 3, 100} {
			q.Count = count
			checkRecords(t, "History "+q.Type+"/"+q.ID, historyAll(t, s, q), want)
		}
	}
	page, err := s.History(ctx(t), store.HistoryQuery{Type: "Patient", ID: "p1", Count: 3})
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	if page.Next != "" {
		t.Fatalf("a page holding the whole history has Next %q, want empty", page.Next)
	}
}

func testHistorySince(t *testing.T, s store.Store) {
	early := mixedWrites(t, s)
	// Let the clock move on so that Since separates the two batches (the expected
	// answer is computed from the stored instants, so equal instants still pass).
	time.Sleep(3 * time.Millisecond)
	late := writeLog(t, s, updateOp(t, "Patient", "p3", "late"), createOp(t, "Patient", "p4", "late"),
		deleteOp("Observation", "o1"))
	all := append(early, late...)
	since := late[0].LastUpdated
	for _, q := range []store.HistoryQuery{
		{Since: since}, {Type: "Patient", Since: since}, {Type: "Patient", ID: "p3", Since: since},
		{Since: early[3].LastUpdated}, {Since: since.Add(time.Hour)}, {Since: time.Time{}},
		{Since: since.Add(time.Microsecond)}, // later than every version at since's millisecond
	} {
		q.Count = 2
		checkRecords(t, "History since "+fhir.FormatInstant(q.Since), historyAll(t, s, q), expectHistory(all, q))
	}
}

func testHistoryPagingStableUnderWrites(t *testing.T, s store.Store) {
	all := mixedWrites(t, s)
	fresh := 0
	for _, q := range []store.HistoryQuery{{Count: 2}, {Type: "Patient", Count: 2}, {Type: "Patient", ID: "p1", Count: 1}} {
		want := expectHistory(all, q)
		var got []store.Record
		for {
			p, err := s.History(ctx(t), q)
			if err != nil {
				t.Fatalf("History(%+v): %v", q, err)
			}
			got = append(got, p.Records...)
			if p.Next == "" {
				break
			}
			q.Cursor = p.Next
			fresh++
			// Writes between pages: new versions of resources already shown and of new ones.
			all = append(all, writeLog(t, s, updateOp(t, "Patient", "p1", "between"),
				createOp(t, "Patient", fmt.Sprintf("new%d", fresh), "new"), deleteOp("Patient", "p3"))...)
		}
		checkRecords(t, "History paged while writing "+q.Type+"/"+q.ID, got, want)
	}
}

func testHistoryInvalid(t *testing.T, s store.Store) {
	mixedWrites(t, s)
	for _, cur := range []string{"x", "!!!", "bm90LWEtY3Vyc29y", "0", "-1"} {
		_, err := s.History(ctx(t), store.HistoryQuery{Count: 2, Cursor: cur})
		wantKind(t, err, fhir.KindInvalid)
	}
	_, err := s.History(ctx(t), store.HistoryQuery{Count: 0})
	wantKind(t, err, fhir.KindInvalid)
	// A cursor belongs to the query it was issued for.
	page, err := s.History(ctx(t), store.HistoryQuery{Type: "Patient", Count: 1})
	if err != nil || page.Next == "" {
		t.Fatalf("History(Patient, Count 1) = %d records, next %q, %v; want a next page", len(page.Records), page.Next, err)
	}
	_, err = s.History(ctx(t), store.HistoryQuery{Type: "Observation", Count: 1, Cursor: page.Next})
	wantKind(t, err, fhir.KindInvalid)
}
