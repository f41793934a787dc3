package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// indexDump is every row of every index table, and the secondary indexes present.
func indexDump(t *testing.T, dir string) (rows []string, indexes []string) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "nims.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for i, tab := range indexTables {
		r, err := raw.Query(`SELECT ` + indexColumns[i] + ` FROM ` + tab)
		if err != nil {
			t.Fatal(err)
		}
		cols := strings.Count(indexColumns[i], ",") + 1
		for r.Next() {
			vals := make([]any, cols)
			ptrs := make([]any, cols)
			for j := range vals {
				ptrs[j] = &vals[j]
			}
			if err := r.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, fmt.Sprint(tab, vals))
		}
		r.Close()
	}
	slices.Sort(rows)
	r, err := raw.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
		var n string
		r.Scan(&n)
		indexes = append(indexes, n)
	}
	return rows, indexes
}

func namedPatient(kind store.OpKind, id, family, nhs string) store.Op {
	js := fmt.Sprintf(`{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":%q}],"name":[{"family":%q,"given":["Ann"]}],"gender":"female","birthDate":"1950-03-04"}`, nhs, family)
	r, err := fhir.Decode([]byte(js))
	if err != nil {
		panic(err)
	}
	op := store.NewWrite(kind, r, fhir.DefaultUniqueRules)
	op.ID = id
	return op
}

// A bulk load leaves exactly the index a load one write at a time leaves, through
// updates (of resources written in earlier transactions and in the same one), deletions
// and re-creations, and ends with every secondary index back.
func TestBulkLoadSameIndex(t *testing.T) {
	clock := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	script := [][]store.Op{
		{namedPatient(store.OpCreate, "a", "Ashby", "9000000009"), namedPatient(store.OpCreate, "b", "Baker", "9000000017")},
		{namedPatient(store.OpUpdate, "a", "Ashworth", "9000000009"), namedPatient(store.OpUpdate, "c", "Cole", "9000000025")},
		{namedPatient(store.OpUpdate, "b", "Barker", "9000000017"), namedPatient(store.OpUpdate, "b", "Brown", "9000000017")},
		{{Kind: store.OpDelete, Type: "Patient", ID: "c"}},
		{namedPatient(store.OpUpdate, "c", "Cole", "9000000025"), {Kind: store.OpDelete, Type: "Patient", ID: "a"}},
	}
	run := func(bulk bool) (string, []string, []string) {
		dir := t.TempDir()
		db := openTest(t, dir, Options{Now: now})
		if bulk {
			began, err := db.BeginBulkLoad(t.Context())
			if err != nil || !began {
				t.Fatalf("BeginBulkLoad on an empty store: %v, %v", began, err)
			}
		}
		for _, ops := range script {
			if _, err := db.Transaction(t.Context(), ops); err != nil {
				t.Fatal(err)
			}
		}
		if bulk {
			if err := db.EndBulkLoad(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		found := strings.Join(searchIDs(t, db, "Patient", "family=brown"), ",")
		db.Close()
		rows, indexes := indexDump(t, dir)
		return found, rows, indexes
	}
	f1, rows1, ix1 := run(false)
	f2, rows2, ix2 := run(true)
	if len(rows1) == 0 {
		t.Fatal("no index rows at all")
	}
	if !slices.Equal(rows1, rows2) {
		for _, r := range rows1 {
			if !slices.Contains(rows2, r) {
				t.Errorf("bulk load lacks %s", r)
			}
		}
		for _, r := range rows2 {
			if !slices.Contains(rows1, r) {
				t.Errorf("bulk load has stale %s", r)
			}
		}
	}
	if !slices.Equal(ix1, ix2) {
		t.Errorf("indexes after a bulk load %v, want %v", ix2, ix1)
	}
	if f1 != "b" || f2 != "b" {
		t.Errorf("family=brown found %q and %q, want b", f1, f2)
	}
}

// A store that holds resources is not bulk loaded; one whose bulk load died has its
// indexes back when next opened.
func TestBulkLoadGuards(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir, Options{})
	ctx := context.Background()
	if _, err := db.Apply(ctx, namedPatient(store.OpCreate, "a", "Ashby", "9000000009")); err != nil {
		t.Fatal(err)
	}
	if began, err := db.BeginBulkLoad(ctx); err != nil || began {
		t.Fatalf("BeginBulkLoad on a store with data: %v, %v; want false", began, err)
	}
	db.Close()
	_, want := indexDump(t, dir)

	dir2 := t.TempDir()
	db2 := openTest(t, dir2, Options{})
	if began, err := db2.BeginBulkLoad(ctx); err != nil || !began {
		t.Fatalf("BeginBulkLoad: %v, %v", began, err)
	}
	if _, err := db2.Apply(ctx, namedPatient(store.OpCreate, "a", "Ashby", "9000000009")); err != nil {
		t.Fatal(err)
	}
	db2.Close() // no EndBulkLoad: the process died
	if _, ix := indexDump(t, dir2); len(ix) >= len(want) {
		t.Fatalf("indexes %v during a bulk load; want fewer than %v", ix, want)
	}
	db3 := openTest(t, dir2, Options{})
	db3.Close()
	if _, ix := indexDump(t, dir2); !slices.Equal(ix, want) {
		t.Errorf("indexes after reopening %v, want %v", ix, want)
	}
}

// Removing a resource's entries reads its own rows through each table's (type, id) index,
// never a range of its type: SQLite chose the primary key's type prefix for tokens, a
// scan of every token of the type per update.
func TestRemoveUsesResourceIndex(t *testing.T) {
	db := openTest(t, t.TempDir(), Options{})
	for _, tab := range indexTables {
		rows, err := db.w.conn.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+clearSQL(tab), "Patient", "x")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var a, b, c int
			var d string
			if err := rows.Scan(&a, &b, &c, &d); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, d)
		}
		rows.Close()
		if len(plan) != 1 || !strings.Contains(plan[0], tab+"_resource (type=? AND id=?)") {
			t.Errorf("%s: plan %q", tab, plan)
		}
	}
}
