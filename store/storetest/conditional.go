package storetest

import (
	"testing"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

var conditionalTests = []test{
	{"IfNoneExist", testIfNoneExist},
	{"ConditionalUpdate", testConditionalUpdate},
	{"ConditionalDelete", testConditionalDelete},
	{"RequestKeyReplays", testRequestKeyReplays},
	{"RequestKeyNotKeptOnError", testRequestKeyNotKeptOnError},
}

func testIfNoneExist(t *testing.T, s store.Store) {
	q := criteria(t, "Patient", "identifier=sys|A")
	op := createOp(t, "Patient", "p1", "a", "sys|A")
	op.IfNoneExist = q
	created := applyOutcome(t, s, op, store.Created).Record
	if created.ID != "p1" || created.Version != 1 {
		t.Fatalf("conditional create wrote %s version %d, want p1 version 1", created.ID, created.Version)
	}
	before := len(changes(t, s))

	op = createOp(t, "Patient", "p2", "b", "sys|A")
	op.IfNoneExist = q
	res := applyOutcome(t, s, op, store.Existing)
	checkRecord(t, "Existing returns the match", res.Record, created)
	if _, err := s.Read(ctx(t), "Patient", "p2"); fhir.KindOf(err) != fhir.KindNotFound {
		t.Fatalf("Existing wrote Patient/p2 (Read err %v)", err)
	}
	if n := len(changes(t, s)); n != before {
		t.Fatalf("Existing wrote %d changes", n-before)
	}

	// By _id as well as by identifier; other types never match.
	op = createOp(t, "Patient", "p3", "c")
	op.IfNoneExist = criteria(t, "Patient", "_id=p1")
	checkRecord(t, "Existing by _id", applyOutcome(t, s, op, store.Existing).Record, created)
	op = createOp(t, "Observation", "o1", "o", "sys|A")
	op.IfNoneExist = criteria(t, "Observation", "identifier=sys|A")
	applyOutcome(t, s, op, store.Created)

	// Two matches fail.
	applyOutcome(t, s, createOp(t, "Patient", "p4", "d", "sys|A"), store.Created)
	op = createOp(t, "Patient", "p5", "e", "sys|A")
	op.IfNoneExist = q
	applyFails(t, s, op, fhir.KindPreconditionFailed)

	// Deleted resources do not match.
	applyOutcome(t, s, deleteOp("Patient", "p1"), store.Deleted)
	applyOutcome(t, s, deleteOp("Patient", "p4"), store.Deleted)
	applyOutcome(t, s, op, store.Created)
}

func testConditionalUpdate(t *testing.T, s store.Store) {
	q := criteria(t, "Patient", "identifier=sys|A")
	op := updateOp(t, "Patient", "new-id", "a", "sys|A")
	op.Condition = q
	created := applyOutcome(t, s, op, store.Created).Record
	if created.ID != "new-id" || created.Version != 1 {
		t.Fatalf("conditional update with no match wrote %s version %d, want new-id version 1", created.ID, created.Version)
	}

	// One match: that resource is updated; the op's ID is not used.
	op = updateOp(t, "Patient", "ignored", "b", "sys|A")
	op.Condition = q
	res := applyOutcome(t, s, op, store.Updated)
	if res.Record.ID != "new-id" || res.Record.Version != 2 {
		t.Fatalf("conditional update with one match wrote %s version %d, want new-id version 2", res.Record.ID, res.Record.Version)
	}
	checkStamped(t, res.Record, op.JSON)
	if _, err := s.Read(ctx(t), "Patient", "ignored"); fhir.KindOf(err) != fhir.KindNotFound {
		t.Fatalf("conditional update wrote the op's ID (Read err %v)", err)
	}
	op.IfMatch = 1
	applyFails(t, s, op, fhir.KindPreconditionFailed)

	// The client's own id (ClientID) must be the match's: FHIR answers 400 otherwise.
	op = updateOp(t, "Patient", "not-the-match", "b", "sys|A")
	op.Condition = q
	op.ClientID = true
	applyFails(t, s, op, fhir.KindInvalid)
	op.ID = "new-id"
	applyOutcome(t, s, op, store.Updated)

	// No match, and the op's ID names a live resource that does not match: conflict.
	applyOutcome(t, s, createOp(t, "Patient", "other", "o", "sys|O"), store.Created)
	op = updateOp(t, "Patient", "other", "x", "sys|X")
	op.Condition = criteria(t, "Patient", "identifier=sys|X")
	applyFails(t, s, op, fhir.KindConflict)

	// Several matches fail.
	applyOutcome(t, s, createOp(t, "Patient", "second", "c", "sys|A"), store.Created)
	op = updateOp(t, "Patient", "third", "d", "sys|A")
	op.Condition = q
	applyFails(t, s, op, fhir.KindPreconditionFailed)
}

func testConditionalDelete(t *testing.T, s store.Store) {
	q := criteria(t, "Patient", "identifier=sys|A")
	del := store.Op{Kind: store.OpDelete, Type: "Patient", Condition: q}
	applyOutcome(t, s, del, store.NoOp)

	applyOutcome(t, s, createOp(t, "Patient", "p1", "a", "sys|A"), store.Created)
	applyOutcome(t, s, createOp(t, "Patient", "p2", "b", "sys|A"), store.Created)
	applyFails(t, s, del, fhir.KindPreconditionFailed)

	applyOutcome(t, s, deleteOp("Patient", "p1"), store.Deleted)
	res := applyOutcome(t, s, del, store.Deleted)
	if res.Record.ID != "p2" || res.Record.Version != 2 || !res.Record.Deleted {
		t.Fatalf("conditional delete wrote %+v, want the marker Patient/p2 version 2", res.Record)
	}
	applyOutcome(t, s, del, store.NoOp)
}

func testRequestKeyReplays(t *testing.T, s store.Store) {
	op := createOp(t, "Patient", "p1", "a")
	op.RequestKey = "req-1"
	first := applyOutcome(t, s, op, store.Created)
	before := len(changes(t, s))

	// A retry, even one whose body differs (a new id generated), writes nothing.
	retry := createOp(t, "Patient", "p1-retry", "b")
	retry.RequestKey = "req-1"
	again := applyOutcome(t, s, retry, store.Created)
	if !again.Replayed || first.Replayed {
		t.Fatalf("Replayed = %v then %v, want false then true", first.Replayed, again.Replayed)
	}
	checkRecord(t, "replayed create", again.Record, first.Record)
	if _, err := s.Read(ctx(t), "Patient", "p1-retry"); fhir.KindOf(err) != fhir.KindNotFound {
		t.Fatalf("a replay wrote its resource (Read err %v)", err)
	}

	upd := updateOp(t, "Patient", "p1", "c")
	upd.RequestKey = "req-2"
	u1 := applyOutcome(t, s, upd, store.Updated)
	applyOutcome(t, s, updateOp(t, "Patient", "p1", "d"), store.Updated)
	u2 := applyOutcome(t, s, upd, store.Updated)
	if !u2.Replayed {
		t.Fatal("replayed update not marked Replayed")
	}
	checkRecord(t, "replayed update returns the first result, not the current version", u2.Record, u1.Record)

	del := deleteOp("Patient", "p1")
	del.RequestKey = "req-3"
	d1 := applyOutcome(t, s, del, store.Deleted)
	d2 := applyOutcome(t, s, del, store.Deleted)
	if !d2.Replayed {
		t.Fatal("replayed delete not marked Replayed")
	}
	checkRecord(t, "replayed delete", d2.Record, d1.Record)

	noop := deleteOp("Patient", "never")
	noop.RequestKey = "req-4"
	applyOutcome(t, s, noop, store.NoOp)
	if r := applyOutcome(t, s, noop, store.NoOp); !r.Replayed {
		t.Fatal("replayed no-op delete not marked Replayed")
	}
	if n := len(changes(t, s)); n != before+3 {
		t.Fatalf("change log has %d entries, want %d: replays wrote", n, before+3)
	}
}

func testRequestKeyNotKeptOnError(t *testing.T, s store.Store) {
	applyOutcome(t, s, createOp(t, "Patient", "p1", "a"), store.Created)
	op := createOp(t, "Patient", "p1", "b")
	op.RequestKey = "req-1"
	applyFails(t, s, op, fhir.KindConflict)
	// The failure was not recorded: the same key with a corrected op is applied.
	op = createOp(t, "Patient", "p2", "b")
	op.RequestKey = "req-1"
	if res := applyOutcome(t, s, op, store.Created); res.Replayed || res.Record.ID != "p2" {
		t.Fatalf("after a failure, key reuse gave %+v, want a fresh create of p2", res)
	}
}
