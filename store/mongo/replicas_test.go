package mongo

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
	"github.com/nimsproject/nims/store/storetest"
)

// replicas is one store seen through several handles on one database, as several nims
// serve replicas see it: each call goes to the next handle in turn. The handles share
// nothing in memory (no per-resource locks, no change-log hint), so every race the
// write suites provoke between calls is settled by the database alone.
type replicas struct {
	dbs  []*DB
	next atomic.Uint64
}

func (r *replicas) pick() *DB { return r.dbs[r.next.Add(1)%uint64(len(r.dbs))] }

func (r *replicas) Apply(ctx context.Context, op store.Op) (store.Result, error) {
	return r.pick().Apply(ctx, op)
}
func (r *replicas) Transaction(ctx context.Context, ops []store.Op) ([]store.Result, error) {
	return r.pick().Transaction(ctx, ops)
}
func (r *replicas) Read(ctx context.Context, typ, id string) (store.Record, error) {
	return r.pick().Read(ctx, typ, id)
}
func (r *replicas) VRead(ctx context.Context, typ, id string, v int64) (store.Record, error) {
	return r.pick().VRead(ctx, typ, id, v)
}
func (r *replicas) History(ctx context.Context, q store.HistoryQuery) (store.HistoryPage, error) {
	return r.pick().History(ctx, q)
}
func (r *replicas) Search(ctx context.Context, q *search.Query) (store.SearchResult, error) {
	return r.pick().Search(ctx, q)
}
func (r *replicas) Reindex(ctx context.Context, typ string, progress func(int)) error {
	return r.pick().Reindex(ctx, typ, progress)
}
func (r *replicas) Changes(ctx context.Context, after int64, limit int) ([]store.Record, error) {
	return r.pick().Changes(ctx, after, limit)
}
func (r *replicas) Ping(ctx context.Context) error { return r.pick().Ping(ctx) }
func (r *replicas) Close() error                   { return nil } // openTest closes each
func (r *replicas) CreateJob(ctx context.Context, j store.Job) (store.Job, error) {
	return r.pick().CreateJob(ctx, j)
}
func (r *replicas) ClaimJob(ctx context.Context, kinds []string, owner string, lease time.Duration) (store.Job, bool, error) {
	return r.pick().ClaimJob(ctx, kinds, owner, lease)
}
func (r *replicas) UpdateJob(ctx context.Context, j store.Job) (store.Job, error) {
	return r.pick().UpdateJob(ctx, j)
}
func (r *replicas) GetJob(ctx context.Context, id string) (store.Job, error) {
	return r.pick().GetJob(ctx, id)
}
func (r *replicas) DeleteJob(ctx context.Context, id string) error {
	return r.pick().DeleteJob(ctx, id)
}

// TestStoreReplicas runs the write suites through three handles on one database.
func TestStoreReplicas(t *testing.T) {
	storetest.RunWrites(t, func(t *testing.T) store.Store {
		clock := storetest.Clock()
		first := openTest(t, Options{Now: clock})
		r := &replicas{dbs: []*DB{first}}
		for range 2 {
			r.dbs = append(r.dbs, openTest(t, Options{Now: clock, Database: first.opts.Database}))
		}
		return r
	})
}

// abandon makes abandonAfter short for one test.
func abandon(t *testing.T, d time.Duration) {
	old := abandonAfter
	abandonAfter = d
	t.Cleanup(func() { abandonAfter = old })
}

func patientJSON(note string) []byte {
	return []byte(`{"resourceType":"Patient","gender":"` + note + `"}`)
}

func mustApply(t *testing.T, db *DB, op store.Op) store.Result {
	t.Helper()
	res, err := db.Apply(context.Background(), op)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return res
}

// A writer that died after inserting its version and before committing it: the version
// stays invisible; a writer that meets it within abandonAfter waits, and one that meets
// it later finishes it, so nothing a client may have been told about is lost.
func TestAbandonedWriteIsFinished(t *testing.T) {
	db := openTest(t, Options{})
	ctx := context.Background()
	mustApply(t, db, store.Op{Kind: store.OpCreate, Type: "Patient", ID: "p1", JSON: patientJSON("male")})
	js, err := fhir.Stamp(patientJSON("female"), "p1", 2, db.now())
	if err != nil {
		t.Fatal(err)
	}
	dead := versionDoc{ID: versionID("Patient", "p1", 2), Type: "Patient", RID: "p1", V: 2, LU: db.now().UnixMilli(),
		JSON: js, How: 10 * int32(store.OpUpdate), Wall: time.Now().UnixMilli()}
	if _, err := db.versions.InsertOne(ctx, dead); err != nil {
		t.Fatal(err)
	}
	if rec, err := db.Read(ctx, "Patient", "p1"); err != nil || rec.Version != 1 {
		t.Fatalf("Read = v%d, %v; want version 1: a version in flight is not visible", rec.Version, err)
	}
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	db.opts.Timeout = 300 * time.Millisecond
	_, err = db.Apply(short, store.Op{Kind: store.OpUpdate, Type: "Patient", ID: "p1", JSON: patientJSON("other")})
	if fhir.KindOf(err) != fhir.KindConflict {
		t.Fatalf("update while a fresh write is in flight: %v, want KindConflict (busy; retry)", err)
	}
	abandon(t, 0)
	res := mustApply(t, db, store.Op{Kind: store.OpUpdate, Type: "Patient", ID: "p1", JSON: patientJSON("unknown")})
	if res.Record.Version != 3 {
		t.Fatalf("update after the abandoned write wrote version %d, want 3", res.Record.Version)
	}
	v2, err := db.VRead(ctx, "Patient", "p1", 2)
	if err != nil || string(v2.JSON) != string(js) {
		t.Fatalf("VRead(2) = %s, %v; want the abandoned version, finished", v2.JSON, err)
	}
	changes, err := db.Changes(ctx, 0, 10)
	if err != nil || len(changes) != 3 || changes[1].Version != 2 || changes[2].Version != 3 {
		t.Fatalf("Changes = %d entries, %v; want versions 1, 2, 3 in order", len(changes), err)
	}
}

// A transaction whose owner died before deciding: its versions are removed by the next
// writer once abandonAfter has passed, and the abort decision is final.
func TestAbandonedTransactionIsUndone(t *testing.T) {
	db := openTest(t, Options{})
	ctx := context.Background()
	mustApply(t, db, store.Op{Kind: store.OpCreate, Type: "Patient", ID: "p1", JSON: patientJSON("male")})
	js, _ := fhir.Stamp(patientJSON("female"), "p1", 2, db.now())
	dead := versionDoc{ID: versionID("Patient", "p1", 2), Type: "Patient", RID: "p1", V: 2, LU: db.now().UnixMilli(),
		JSON: js, How: 10 * int32(store.OpUpdate), Txn: "deadtxn", Wall: time.Now().Add(-time.Hour).UnixMilli()}
	if _, err := db.versions.InsertOne(ctx, dead); err != nil {
		t.Fatal(err)
	}
	res := mustApply(t, db, store.Op{Kind: store.OpUpdate, Type: "Patient", ID: "p1", JSON: patientJSON("unknown")})
	if res.Record.Version != 2 {
		t.Fatalf("update wrote version %d, want 2: the undecided transaction's version is removed", res.Record.Version)
	}
	if err := db.decide(ctx, "deadtxn", true); err == nil {
		t.Fatal("the dead transaction could still commit after it was aborted")
	}
	var d decisionDoc
	if err := db.txns.FindOne(ctx, bson.D{{Key: "_id", Value: "deadtxn#decision"}}).Decode(&d); err != nil || d.Commit {
		t.Fatalf("decision = %+v, %v; want abort", d, err)
	}
}

// Open refuses a database nims migrate has not prepared, and says what to run.
func TestOpenNeedsMigrate(t *testing.T) {
	uri := serverURI(t)
	_, err := Open(context.Background(), uri, Options{Database: "nims_never_migrated"})
	var fe *fhir.Error
	if !errors.As(err, &fe) || fe.Kind != fhir.KindUnavailable || !strings.Contains(fe.Error(), "nims migrate") {
		t.Fatalf("Open of an unmigrated database: %v; want KindUnavailable naming nims migrate", err)
	}
}

// Idempotency records older than the TTL are purged; newer ones still replay.
func TestRequestKeysPurged(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	db := openTest(t, Options{Now: func() time.Time { return now }, RequestKeyTTL: time.Hour})
	ctx := context.Background()
	op := store.Op{Kind: store.OpCreate, Type: "Patient", ID: "p1", JSON: patientJSON("male"), RequestKey: "old"}
	mustApply(t, db, op)
	now = now.Add(2 * time.Hour)
	op2 := store.Op{Kind: store.OpCreate, Type: "Patient", ID: "p2", JSON: patientJSON("male"), RequestKey: "new"}
	mustApply(t, db, op2)
	if err := db.purge(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.requests.CountDocuments(ctx, bson.D{{Key: "_id", Value: "old"}}); n != 0 {
		t.Fatal("a record older than the TTL was kept")
	}
	if res := mustApply(t, db, op2); !res.Replayed {
		t.Fatal("a record within the TTL no longer replays")
	}
}

// A database migrated by an older nims is refused until nims migrate brings it up to date.
func TestOpenNeedsCurrentSchema(t *testing.T) {
	uri := serverURI(t)
	name := freshDatabase(t, uri)
	ctx := context.Background()
	db := openTest(t, Options{Database: name})
	setSchemaVersion(t, db, schemaVersion-1)
	_, err := Open(ctx, uri, Options{Database: name})
	if fhir.KindOf(err) != fhir.KindUnavailable || !strings.Contains(err.Error(), "nims migrate") {
		t.Fatalf("Open of a database at schema version %d: %v; want KindUnavailable naming nims migrate", schemaVersion-1, err)
	}
	if err := Migrate(ctx, uri, Options{Database: name}); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, uri, Options{Database: name})
	if err != nil {
		t.Fatalf("Open after nims migrate: %v", err)
	}
	again.Close()
}

// An older nims does not migrate, and so mark as its own, a database a newer one migrated.
func TestMigrateRefusesNewerSchema(t *testing.T) {
	uri := serverURI(t)
	name := freshDatabase(t, uri)
	ctx := context.Background()
	db := openTest(t, Options{Database: name})
	setSchemaVersion(t, db, schemaVersion+1)
	if err := Migrate(ctx, uri, Options{Database: name}); fhir.KindOf(err) != fhir.KindConflict {
		t.Fatalf("Migrate of a database at schema version %d: %v; want a conflict", schemaVersion+1, err)
	}
	var meta struct {
		Version int `bson:"version"`
	}
	if err := db.db.Collection("meta").FindOne(ctx, bson.D{{Key: "_id", Value: "schema"}}).Decode(&meta); err != nil || meta.Version != schemaVersion+1 {
		t.Fatalf("schema version after the refused Migrate: %d, %v; want %d", meta.Version, err, schemaVersion+1)
	}
}

// setSchemaVersion marks db's database as migrated to schema version v.
func setSchemaVersion(t *testing.T, db *DB, v int) {
	t.Helper()
	if _, err := db.db.Collection("meta").UpdateOne(context.Background(), bson.D{{Key: "_id", Value: "schema"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "version", Value: v}}}}); err != nil {
		t.Fatal(err)
	}
}
