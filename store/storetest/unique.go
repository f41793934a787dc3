package storetest

import (
	"testing"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

var uniqueTests = []test{
	{"UniqueKeyClash", testUniqueKeyClash},
	{"UniqueKeyKeptAndChanged", testUniqueKeyKeptAndChanged},
	{"UniqueKeyReleasedOnDelete", testUniqueKeyReleasedOnDelete},
}

const nhsSystem = "https://fhir.nhs.uk/Id/nhs-number"

func nhsKey(n string) store.UniqueKey {
	return store.UniqueKey{Key: "Patient|" + nhsSystem + "|" + n, Diagnostics: "NHS number " + n + " is already registered"}
}

// withKeys returns op claiming keys.
func withKeys(op store.Op, keys ...store.UniqueKey) store.Op {
	op.Unique = keys
	return op
}

// wantDuplicate applies op and checks it fails as a clash on key.
func wantDuplicate(t *testing.T, s store.Store, op store.Op, key store.UniqueKey) {
	t.Helper()
	fe := applyFails(t, s, op, fhir.KindUnprocessable)
	if len(fe.Issues) == 0 || fe.Issues[0].Code != "duplicate" || fe.Issues[0].Diagnostics != key.Diagnostics {
		t.Fatalf("clash on %s: issues %+v, want code duplicate with diagnostics %q", key.Key, fe.Issues, key.Diagnostics)
	}
}

func testUniqueKeyClash(t *testing.T, s store.Store) {
	k := nhsKey("9000000009")
	other := store.UniqueKey{Key: "Patient|local|1", Diagnostics: "local 1 taken"}
	applyOutcome(t, s, withKeys(createOp(t, "Patient", "p1", "a"), k), store.Created)
	before := len(changes(t, s))

	wantDuplicate(t, s, withKeys(createOp(t, "Patient", "p2", "b"), other, k), k)
	_, err := s.Read(ctx(t), "Patient", "p2")
	wantKind(t, err, fhir.KindNotFound)
	// The failed op claimed nothing: its other key is still free.
	applyOutcome(t, s, withKeys(createOp(t, "Patient", "p3", "c"), other), store.Created)

	// Update-as-create and update of another resource clash too.
	wantDuplicate(t, s, withKeys(updateOp(t, "Patient", "p4", "d"), k), k)
	wantDuplicate(t, s, withKeys(updateOp(t, "Patient", "p3", "c2"), other, k), k)
	if n := len(changes(t, s)); n != before+1 {
		t.Fatalf("change log has %d entries, want %d: failed ops wrote", n, before+1)
	}
	if rec := read(t, s, "Patient", "p3"); rec.Version != 1 {
		t.Fatalf("Patient/p3 version %d after a failed update, want 1", rec.Version)
	}
}

func testUniqueKeyKeptAndChanged(t *testing.T, s store.Store) {
	k1, k2 := nhsKey("1111111111"), nhsKey("2222222222")
	applyOutcome(t, s, withKeys(createOp(t, "Patient", "p1", "a"), k1), store.Created)
	// A resource keeps its own key across updates.
	applyOutcome(t, s, withKeys(updateOp(t, "Patient", "p1", "b"), k1), store.Updated)
	applyOutcome(t, s, withKeys(updateOp(t, "Patient", "p1", "c"), k1, k1), store.Updated)
	wantDuplicate(t, s, withKeys(createOp(t, "Patient", "p2", "x"), k1), k1)

	// Changing keys releases the old one and claims the new one.
	applyOutcome(t, s, withKeys(updateOp(t, "Patient", "p1", "d"), k2), store.Updated)
	applyOutcome(t, s, withKeys(createOp(t, "Patient", "p2", "x"), k1), store.Created)
	wantDuplicate(t, s, withKeys(createOp(t, "Patient", "p3", "y"), k2), k2)

	// An update that claims no keys releases all of them.
	applyOutcome(t, s, updateOp(t, "Patient", "p1", "e"), store.Updated)
	applyOutcome(t, s, withKeys(createOp(t, "Patient", "p3", "y"), k2), store.Created)

	// A failed update leaves the keys as they were.
	k3 := nhsKey("3333333333")
	op := withKeys(updateOp(t, "Patient", "p3", "z"), k3)
	op.IfMatch = 9
	applyFails(t, s, op, fhir.KindPreconditionFailed)
	wantDuplicate(t, s, withKeys(createOp(t, "Patient", "p4", "w"), k2), k2)
	applyOutcome(t, s, withKeys(createOp(t, "Patient", "p4", "w"), k3), store.Created)
}

func testUniqueKeyReleasedOnDelete(t *testing.T, s store.Store) {
	k := nhsKey("9000000009")
	applyOutcome(t, s, withKeys(createOp(t, "Patient", "p1", "a"), k), store.Created)
	applyOutcome(t, s, deleteOp("Patient", "p1"), store.Deleted)
	applyOutcome(t, s, withKeys(createOp(t, "Patient", "p2", "b"), k), store.Created)
	// Re-creating the deleted resource with the key now held elsewhere clashes.
	wantDuplicate(t, s, withKeys(updateOp(t, "Patient", "p1", "c"), k), k)
	applyOutcome(t, s, deleteOp("Patient", "p2"), store.Deleted)
	applyOutcome(t, s, withKeys(updateOp(t, "Patient", "p1", "c"), k), store.Created)
}
