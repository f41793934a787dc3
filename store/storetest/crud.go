package storetest

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

var crudTests = []test{
	{"CreateStampsAndReads", testCreateStampsAndReads},
	{"ReadMissing", testReadMissing},
	{"UpdateAddsVersions", testUpdateAddsVersions},
	{"UpdateAsCreate", testUpdateAsCreate},
	{"IfMatch", testIfMatch},
	{"Delete", testDelete},
	{"DeleteMissing", testDeleteMissing},
	{"CreateConflict", testCreateConflict},
	{"TypesAreSeparate", testTypesAreSeparate},
}

func testCreateStampsAndReads(t *testing.T, s store.Store) {
	op := createOp(t, "Patient", "p1", "first", "https://fhir.nhs.uk/Id/nhs-number|9000000009")
	res := applyOutcome(t, s, op, store.Created)
	rec := res.Record
	if rec.Type != "Patient" || rec.ID != "p1" || rec.Version != 1 || rec.Deleted || rec.Seq <= 0 || res.Replayed {
		t.Fatalf("Apply(create) = %+v, want Patient/p1 version 1, live, seq > 0, not replayed", res)
	}
	checkStamped(t, rec, op.JSON)
	if rec.Op != store.OpCreate || !rec.Created {
		t.Errorf("create recorded Op %d Created %v, want OpCreate, true", rec.Op, rec.Created)
	}

	var doc struct {
		ID   string `json:"id"`
		Meta struct {
			VersionID   string            `json:"versionId"`
			LastUpdated string            `json:"lastUpdated"`
			Profile     []string          `json:"profile"`
			Security    []json.RawMessage `json:"security"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(rec.JSON, &doc); err != nil {
		t.Fatalf("stored JSON does not decode: %v", err)
	}
	if doc.ID != "p1" || doc.Meta.VersionID != "1" || doc.Meta.LastUpdated != fhir.FormatInstant(rec.LastUpdated) {
		t.Fatalf("stamped id/meta = %q %q %q, want p1 1 %q", doc.ID, doc.Meta.VersionID, doc.Meta.LastUpdated, fhir.FormatInstant(rec.LastUpdated))
	}
	if len(doc.Meta.Profile) != 1 || len(doc.Meta.Security) != 1 {
		t.Fatalf("client meta.profile/security lost: %s", rec.JSON)
	}

	checkRecord(t, "Read", read(t, s, "Patient", "p1"), rec)
	got, err := s.VRead(ctx(t), "Patient", "p1", 1)
	if err != nil {
		t.Fatalf("VRead(1): %v", err)
	}
	checkRecord(t, "VRead(1)", got, rec)
}

func testReadMissing(t *testing.T, s store.Store) {
	applyOutcome(t, s, createOp(t, "Patient", "p1", "a"), store.Created)
	_, err := s.Read(ctx(t), "Patient", "nope")
	wantKind(t, err, fhir.KindNotFound)
	_, err = s.Read(ctx(t), "Observation", "p1")
	wantKind(t, err, fhir.KindNotFound)
	_, err = s.VRead(ctx(t), "Patient", "nope", 1)
	wantKind(t, err, fhir.KindNotFound)
	_, err = s.VRead(ctx(t), "Patient", "p1", 2)
	wantKind(t, err, fhir.KindNotFound)
	_, err = s.VRead(ctx(t), "Patient", "p1", 0)
	wantKind(t, err, fhir.KindNotFound)
}

func testUpdateAddsVersions(t *testing.T, s store.Store) {
	var recs []store.Record
	ops := []store.Op{createOp(t, "Patient", "p1", "v1"), updateOp(t, "Patient", "p1", "v2"), updateOp(t, "Patient", "p1", "v3")}
	for i, op := range ops {
		want := store.Updated
		if i == 0 {
			want = store.Created
		}
		res := applyOutcome(t, s, op, want)
		if res.Record.Version != int64(i+1) {
			t.Fatalf("write %d: version %d, want %d", i, res.Record.Version, i+1)
		}
		if i > 0 && res.Record.Seq <= recs[i-1].Seq {
			t.Fatalf("write %d: seq %d not after %d", i, res.Record.Seq, recs[i-1].Seq)
		}
		checkStamped(t, res.Record, op.JSON)
		recs = append(recs, res.Record)
	}
	checkRecord(t, "Read", read(t, s, "Patient", "p1"), recs[2])
	for _, want := range recs {
		got, err := s.VRead(ctx(t), "Patient", "p1", want.Version)
		if err != nil {
			t.Fatalf("VRead(%d): %v", want.Version, err)
		}
		checkRecord(t, "VRead", got, want)
	}
}

func testUpdateAsCreate(t *testing.T, s store.Store) {
	op := updateOp(t, "Patient", "client-chosen", "v1")
	res := applyOutcome(t, s, op, store.Created)
	if res.Record.ID != "client-chosen" || res.Record.Version != 1 {
		t.Fatalf("update-as-create = %s version %d, want client-chosen version 1", res.Record.ID, res.Record.Version)
	}
	checkStamped(t, res.Record, op.JSON)
	checkRecord(t, "Read", read(t, s, "Patient", "client-chosen"), res.Record)
	// How each version was written is kept, for history entries.
	up := applyOutcome(t, s, updateOp(t, "Patient", "client-chosen", "v2"), store.Updated).Record
	page, err := s.History(ctx(t), store.HistoryQuery{Type: "Patient", ID: "client-chosen", Count: 10})
	if err != nil || len(page.Records) != 2 {
		t.Fatalf("History: %v, %d records", err, len(page.Records))
	}
	for _, c := range []struct {
		rec     store.Record
		op      store.OpKind
		created bool
	}{{res.Record, store.OpUpdate, true}, {up, store.OpUpdate, false}, {page.Records[1], store.OpUpdate, true}, {page.Records[0], store.OpUpdate, false}} {
		if c.rec.Op != c.op || c.rec.Created != c.created {
			t.Errorf("version %d: Op %d Created %v, want %d %v", c.rec.Version, c.rec.Op, c.rec.Created, c.op, c.created)
		}
	}
}

func testIfMatch(t *testing.T, s store.Store) {
	applyOutcome(t, s, createOp(t, "Patient", "p1", "v1"), store.Created)
	op := updateOp(t, "Patient", "p1", "v2")
	op.IfMatch = 1
	applyOutcome(t, s, op, store.Updated)
	op = updateOp(t, "Patient", "p1", "stale")
	op.IfMatch = 1
	applyFails(t, s, op, fhir.KindPreconditionFailed)
	if rec := read(t, s, "Patient", "p1"); rec.Version != 2 {
		t.Fatalf("after a failed If-Match, version = %d, want 2", rec.Version)
	}
	op = updateOp(t, "Patient", "nope", "v1")
	op.IfMatch = 1
	applyFails(t, s, op, fhir.KindNotFound)
	if _, err := s.Read(ctx(t), "Patient", "nope"); fhir.KindOf(err) != fhir.KindNotFound {
		t.Fatalf("If-Match on a missing resource created it (Read err %v)", err)
	}
	del := deleteOp("Patient", "p1")
	del.IfMatch = 1
	applyFails(t, s, del, fhir.KindPreconditionFailed)
	del.IfMatch = 2
	if res := applyOutcome(t, s, del, store.Deleted); res.Record.Version != 3 {
		t.Fatalf("delete with If-Match 2 wrote version %d, want 3", res.Record.Version)
	}
	del = deleteOp("Patient", "nope")
	del.IfMatch = 1
	applyFails(t, s, del, fhir.KindNotFound)

	// On a deleted resource, If-Match names the deletion marker's version.
	op = updateOp(t, "Patient", "p1", "v4")
	op.IfMatch = 2
	applyFails(t, s, op, fhir.KindPreconditionFailed)
	op.IfMatch = 3
	if res := applyOutcome(t, s, op, store.Created); res.Record.Version != 4 {
		t.Fatalf("re-create with If-Match 3 wrote version %d, want 4", res.Record.Version)
	}
}

func testDelete(t *testing.T, s store.Store) {
	v1 := applyOutcome(t, s, createOp(t, "Patient", "p1", "v1"), store.Created).Record
	v2 := applyOutcome(t, s, updateOp(t, "Patient", "p1", "v2"), store.Updated).Record
	res := applyOutcome(t, s, deleteOp("Patient", "p1"), store.Deleted)
	marker := res.Record
	if marker.Type != "Patient" || marker.ID != "p1" || marker.Version != 3 || !marker.Deleted || marker.JSON != nil || marker.Seq <= v2.Seq {
		t.Fatalf("deletion marker = %+v, want Patient/p1 version 3, deleted, no JSON, seq after %d", marker, v2.Seq)
	}

	got, err := s.Read(ctx(t), "Patient", "p1")
	wantKind(t, err, fhir.KindGone)
	checkRecord(t, "Read after delete (marker)", got, marker)
	got, err = s.VRead(ctx(t), "Patient", "p1", 3)
	wantKind(t, err, fhir.KindGone)
	checkRecord(t, "VRead of the marker", got, marker)
	for _, want := range []store.Record{v1, v2} {
		got, err := s.VRead(ctx(t), "Patient", "p1", want.Version)
		if err != nil {
			t.Fatalf("VRead(%d) after delete: %v", want.Version, err)
		}
		checkRecord(t, "VRead after delete", got, want)
	}
	page, err := s.History(ctx(t), store.HistoryQuery{Type: "Patient", ID: "p1", Count: 10})
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	checkRecords(t, "instance history after delete", page.Records, []store.Record{marker, v2, v1})

	again := applyOutcome(t, s, deleteOp("Patient", "p1"), store.NoOp)
	checkRecord(t, "second delete returns the marker", again.Record, marker)

	op := updateOp(t, "Patient", "p1", "v4")
	v4 := applyOutcome(t, s, op, store.Created).Record
	if v4.Version != 4 || v4.Deleted {
		t.Fatalf("re-create after delete wrote version %d (deleted %v), want 4", v4.Version, v4.Deleted)
	}
	checkStamped(t, v4, op.JSON)
	checkRecord(t, "Read after re-create", read(t, s, "Patient", "p1"), v4)
}

func testDeleteMissing(t *testing.T, s store.Store) {
	res := applyOutcome(t, s, deleteOp("Patient", "never"), store.NoOp)
	if !reflect.DeepEqual(res.Record, store.Record{}) {
		t.Fatalf("delete of a never-existing resource returned %+v, want the zero Record", res.Record)
	}
	if n := len(changes(t, s)); n != 0 {
		t.Fatalf("delete of a never-existing resource wrote %d changes", n)
	}
}

func testCreateConflict(t *testing.T, s store.Store) {
	v1 := applyOutcome(t, s, createOp(t, "Patient", "p1", "v1"), store.Created).Record
	applyFails(t, s, createOp(t, "Patient", "p1", "again"), fhir.KindConflict)
	checkRecord(t, "Read after a conflicting create", read(t, s, "Patient", "p1"), v1)

	// An id whose resource was deleted is still in use: its history stays with it, and
	// only an update may re-create it.
	applyOutcome(t, s, deleteOp("Patient", "p1"), store.Deleted)
	applyFails(t, s, createOp(t, "Patient", "p1", "again"), fhir.KindConflict)
	if n := len(changes(t, s)); n != 2 {
		t.Fatalf("failed creates wrote to the change log: %d entries, want 2", n)
	}
}

func testTypesAreSeparate(t *testing.T, s store.Store) {
	p := applyOutcome(t, s, createOp(t, "Patient", "x", "patient"), store.Created).Record
	o := applyOutcome(t, s, createOp(t, "Observation", "x", "observation"), store.Created).Record
	if o.Version != 1 {
		t.Fatalf("Observation/x got version %d, want 1", o.Version)
	}
	applyOutcome(t, s, deleteOp("Observation", "x"), store.Deleted)
	checkRecord(t, "Patient/x", read(t, s, "Patient", "x"), p)
}

// checkRecords compares two lists of records.
func checkRecords(t *testing.T, what string, got, want []store.Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d records, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := sameRecord(got[i], want[i]); d != "" {
			t.Fatalf("%s: record %d: %s", what, i, d)
		}
	}
}
