package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

func searchIDs(t *testing.T, db *DB, typ, raw string) []string {
	t.Helper()
	res, err := db.Search(t.Context(), parseQuery(t, typ, raw))
	if err != nil {
		t.Fatalf("Search(%s?%s): %v", typ, raw, err)
	}
	var ids []string
	for _, r := range res.Records {
		ids = append(ids, r.ID)
	}
	return ids
}

// Resources written without index entries (as by a program whose table lacked the
// parameters) are found once Reindex has rebuilt them, batch by batch; _lastUpdated is
// the store's own and is indexed at once.
func TestReindex(t *testing.T) {
	db := openTest(t, t.TempDir(), Options{})
	const n = reindexBatchSize + 100
	for i := range n {
		js := fmt.Sprintf(`{"resourceType":"Patient","name":[{"family":"Reindexed"}],"gender":%q}`, []string{"male", "female"}[i%2])
		op := store.Op{Kind: store.OpCreate, Type: "Patient", ID: fmt.Sprintf("p%04d", i), JSON: []byte(js)}
		if _, err := db.Apply(t.Context(), op); err != nil {
			t.Fatal(err)
		}
	}
	op := store.Op{Kind: store.OpCreate, Type: "Organization", ID: "o1", JSON: []byte(`{"resourceType":"Organization","name":"Reindexed"}`)}
	if _, err := db.Apply(t.Context(), op); err != nil {
		t.Fatal(err)
	}
	if ids := searchIDs(t, db, "Patient", "family=reindexed&_count=1000"); len(ids) != 0 {
		t.Fatalf("before Reindex, family found %d", len(ids))
	}
	if ids := searchIDs(t, db, "Patient", "_lastUpdated=gt2000&_count=1000"); len(ids) != n {
		t.Fatalf("_lastUpdated found %d, want %d without any reindexing", len(ids), n)
	}
	var progress []int
	if err := db.Reindex(t.Context(), "Patient", func(done int) { progress = append(progress, done) }); err != nil {
		t.Fatal(err)
	}
	if want := []int{reindexBatchSize, n}; !slices.Equal(progress, want) {
		t.Errorf("progress %v, want %v", progress, want)
	}
	if ids := searchIDs(t, db, "Patient", "family=reindexed&gender=female&_count=1000"); len(ids) != n/2 {
		t.Errorf("after Reindex, family and gender found %d, want %d", len(ids), n/2)
	}
	if ids := searchIDs(t, db, "Organization", "name=reindexed"); len(ids) != 0 {
		t.Errorf("Reindex of Patient reindexed an Organization")
	}
	if err := db.Reindex(t.Context(), "", nil); err != nil {
		t.Fatal(err)
	}
	if ids := searchIDs(t, db, "Organization", "name=reindexed"); !slices.Equal(ids, []string{"o1"}) {
		t.Errorf("after Reindex of every type, Organization?name found %v", ids)
	}
	if ids := searchIDs(t, db, "Patient", "family=reindexed&_count=1000"); len(ids) != n {
		t.Errorf("a second Reindex changed what family finds: %d, want %d", len(ids), n)
	}
}

// Opening a database of schema 2 (tokens of identifier only) builds the whole index
// from the stored versions.
func TestMigrationBuildsIndex(t *testing.T) {
	dir := t.TempDir()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "nims.db"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	js, err := fhir.Stamp([]byte(`{"resourceType":"Patient","name":[{"family":"Migrated"}],"birthDate":"1970-05-06"}`), "p1", 1, at)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{migrations[0], migrations[1],
		`CREATE TABLE schema_version (version INTEGER NOT NULL)`, `INSERT INTO schema_version VALUES (2)`} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := raw.Exec(`INSERT INTO versions (type, id, version, last_updated, deleted, json, how) VALUES ('Patient', 'p1', 1, ?, 0, ?, 11)`, at.UnixMilli(), js); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO resources (type, id, version, seq, deleted) VALUES ('Patient', 'p1', 1, 1, 0)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db := openTest(t, dir, Options{})
	for _, q := range []string{"family=migrated", "birthdate=1970-05", "_lastUpdated=2024-03-01", "_id=p1"} {
		if ids := searchIDs(t, db, "Patient", q); !slices.Equal(ids, []string{"p1"}) {
			t.Errorf("after migration, Patient?%s found %v", q, ids)
		}
	}
}
