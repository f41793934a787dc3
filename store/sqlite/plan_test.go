package sqlite

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"testing"

	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// recorder is a runner that keeps every query it runs.
type recorder struct {
	runner
	queries []sqlPart
}

func (r *recorder) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	r.queries = append(r.queries, sqlPart{q, args})
	return r.runner.query(ctx, q, args...)
}

// recordSearch runs q as Search does and returns the result and the queries it ran.
func recordSearch(t *testing.T, db *DB, q *search.Query) (store.SearchResult, []sqlPart) {
	t.Helper()
	var after *searchCursor
	if q.Cursor != "" {
		c, ok := decodeSearchCursor(q.Cursor, q)
		if !ok {
			t.Fatalf("cursor %q does not decode", q.Cursor)
		}
		after = &c
	}
	tx, err := db.rdb.BeginTx(t.Context(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	rec := &recorder{runner: txRunner{tx, db.reads.searches}}
	s, err := newSearcher(t.Context(), rec, q, db.opts.Now())
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.result(after)
	if err != nil {
		t.Fatalf("Search(%s?%s): %v", q.Type, q.Encode().Encode(), err)
	}
	return res, rec.queries
}

// fullScan matches a plan line that reads a whole table or index: of the resources, the
// versions or an index table (aliased x0, x1, … by the compiler).
var fullScan = regexp.MustCompile(`^SCAN (r|v|x\d+t?|s\d+|resources|versions|tokens|texts|strings|dates|numbers|refs|uris)\b`)

// paramRange matches a plan line that reads every row of a parameter: fine for :contains
// and :text, wrong anywhere in the goal shapes.
var paramRange = regexp.MustCompile(`\(type=\? AND param=\?\)$`)

// explain returns the lines of EXPLAIN QUERY PLAN for q.
func explain(t *testing.T, db *DB, q sqlPart) []string {
	t.Helper()
	rows, err := db.rdb.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q.sql, q.args...)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", q.sql, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, detail)
	}
	return out
}

// planPatients is large enough that the COVID and date sets of token-date pass probeCap,
// so that the walk in id order is exercised.
const planPatients = 1200

// The goal shapes of issue 3 use indexes throughout: no statement a search runs reads a
// whole table or index, and each shape takes the plan it should.
func TestPlans(t *testing.T) {
	db := openTest(t, t.TempDir(), Options{})
	populate(t, db, planPatients)
	t.Run("indexes", func(t *testing.T) { testPlansUseIndexes(t, db) })
	t.Run("bound", func(t *testing.T) { testValuesAreBound(t, db) })
}

func testPlansUseIndexes(t *testing.T, db *DB) {
	want := map[string]string{ // a fragment of the page query that shows the plan taken
		"imm-by-patient":       "r.id IN (",
		"patient-by-nhs":       "r.id IN (",
		"chain":                "r.id IN (",
		"token-date":           "AND r.id > ? ORDER BY r.id LIMIT ?", // the walk in id order
		"include":              "r.id IN (",
		"has":                  "r.id IN (",
		"sort-date-by-patient": "MATERIALIZED",
		"revinclude":           "r.id IN (",
	}
	for _, shape := range searchShapes {
		t.Run(shape.name, func(t *testing.T) {
			q := parseQuery(t, shape.typ, shape.raw(planPatients/2))
			res, queries := recordSearch(t, db, q)
			if shape.name == "count" {
				if res.Total != planPatients || len(queries) != 1 || strings.Contains(queries[0].sql, "resources") {
					t.Errorf("count: Total %d with %d queries %v; want %d from the index alone", res.Total, len(queries), queries, planPatients)
				}
			} else if len(res.Records) == 0 {
				t.Errorf("%s found nothing", shape.name)
			}
			if frag := want[shape.name]; frag != "" && !slicesContainsFunc(queries, func(p sqlPart) bool { return strings.Contains(p.sql, frag) }) {
				t.Errorf("no query has %q: %v", frag, queries)
			}
			for _, qp := range queries {
				for _, line := range explain(t, db, qp) {
					if fullScan.MatchString(line) || paramRange.MatchString(line) {
						t.Errorf("%s reads a whole table: %q in the plan of\n%s", shape.name, line, qp.sql)
					}
				}
			}
		})
	}
}

// Values reach SQL as parameters only: a value that would break out of a string literal
// appears in no statement, and finds nothing rather than everything.
func testValuesAreBound(t *testing.T, db *DB) {
	const evil = `x' OR '1'='1`
	for _, raw := range []string{
		"family=" + evil, "identifier=" + evil, "name:contains=" + evil, "general-practitioner:text=" + evil,
		"general-practitioner:Organization.name=" + evil, "_has:Immunization:patient:lot-number=" + evil, "_id=" + evil,
	} {
		q := parseQuery(t, "Patient", strings.ReplaceAll(raw, "'", "%27"))
		res, queries := recordSearch(t, db, q)
		if len(res.Records) != 0 {
			t.Errorf("Patient?%s found %d", raw, len(res.Records))
		}
		for _, qp := range queries {
			if strings.Contains(qp.sql, "OR '1'") {
				t.Errorf("Patient?%s: the value is in the SQL: %s", raw, qp.sql)
			}
		}
	}
}

func slicesContainsFunc(ps []sqlPart, f func(sqlPart) bool) bool {
	for _, p := range ps {
		if f(p) {
			return true
		}
	}
	return false
}
