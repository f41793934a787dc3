package storetest

import (
	"testing"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

var changesTests = []test{
	{"ChangesInCommitOrder", testChangesInCommitOrder},
}

func testChangesInCommitOrder(t *testing.T, s store.Store) {
	if got := changes(t, s); len(got) != 0 {
		t.Fatalf("a new store has %d changes", len(got))
	}
	want := mixedWrites(t, s)
	// Writes that write nothing add nothing.
	exists := createOp(t, "Patient", "px", "x")
	exists.IfNoneExist = criteria(t, "Patient", "_id=p1")
	applyOutcome(t, s, exists, store.Existing)
	applyOutcome(t, s, deleteOp("Patient", "never"), store.NoOp)
	applyFails(t, s, createOp(t, "Patient", "p1", "dup"), fhir.KindConflict)
	want = append(want, writeLog(t, s, deleteOp("Patient", "p1"))...)

	checkRecords(t, "Changes", changes(t, s), want)
	for i := 1; i < len(want); i++ {
		if want[i].Seq <= want[i-1].Seq {
			t.Fatalf("Apply results: seq %d after %d, want increasing", want[i].Seq, want[i-1].Seq)
		}
	}
	for _, limit := range []int{1, 2, 4} {
		var got []store.Record
		var after int64
		for {
			page, err := s.Changes(ctx(t), after, limit)
			if err != nil {
				t.Fatalf("Changes(%d, %d): %v", after, limit, err)
			}
			if len(page) > limit {
				t.Fatalf("Changes(%d, %d) returned %d entries", after, limit, len(page))
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1].Seq
		}
		checkRecords(t, "Changes paged", got, want)
	}
	last := want[len(want)-1].Seq
	if page, err := s.Changes(ctx(t), last, 10); err != nil || len(page) != 0 {
		t.Fatalf("Changes after the last seq = %d entries, %v; want none", len(page), err)
	}
	page, err := s.Changes(ctx(t), want[2].Seq, 100)
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	checkRecords(t, "Changes from the middle", page, want[3:])
}
