package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// test is one behaviour, run against a fresh store.
type test struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// Run runs the whole suite. open must return a new, empty store for each call.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	run(t, open, suite()...)
}

// suite is every group of the suite, in the order Run runs them.
func suite() [][]test {
	return [][]test{crudTests, uniqueTests, conditionalTests, historyTests, changesTests,
		searchTests, transactionTests, concurrencyTests, jobTests}
}

// RunWrites runs the groups about writes and their races (CRUD, unique keys,
// conditional interactions, the change log, transactions, concurrency, jobs): for a
// backend shared by several processes, run with a store that spreads its calls over
// several handles, as replicas would.
func RunWrites(t *testing.T, open func(t *testing.T) store.Store) {
	run(t, open, crudTests, uniqueTests, conditionalTests, changesTests, transactionTests, concurrencyTests, jobTests)
}

// RunOnly runs the tests of the suite named: for a backend with several strategies for
// one behaviour, to run the tests of that behaviour under each. A name the suite does not
// have fails the test, so that a renamed test is not silently dropped.
func RunOnly(t *testing.T, open func(t *testing.T) store.Store, names ...string) {
	var only []test
	for _, name := range names {
		found := false
		for _, g := range suite() {
			for _, tc := range g {
				if tc.name == name {
					only, found = append(only, tc), true
				}
			}
		}
		if !found {
			t.Errorf("storetest has no test %q", name)
		}
	}
	run(t, open, only)
}

func run(t *testing.T, open func(t *testing.T) store.Store, groups ...[]test) {
	for _, g := range groups {
		for _, tc := range g {
			t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
		}
	}
}

// resource builds a compact resource of type typ. note distinguishes versions; idents are
// "system|value" ("|value" for no system, "system|" for no value). It carries meta members
// the store must keep, a client id and versionId the store must replace, and a decimal
// written with a trailing zero that must come back byte for byte.
func resource(typ, note string, idents ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"resourceType":%s,"id":"client-id","meta":{"versionId":"77",`+
		`"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-%s"],`+
		`"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]}`,
		quote(typ), typ)
	if len(idents) > 0 {
		b.WriteString(`,"identifier":[`)
		for i, id := range idents {
			if i > 0 {
				b.WriteByte(',')
			}
			sys, val, _ := strings.Cut(id, "|")
			var parts []string
			if sys != "" {
				parts = append(parts, `"system":`+quote(sys))
			}
			if val != "" {
				parts = append(parts, `"value":`+quote(val))
			}
			b.WriteString("{" + strings.Join(parts, ",") + "}")
		}
		b.WriteByte(']')
	}
	fmt.Fprintf(&b, `,"text":{"status":"generated","div":%s},"extension":[{"url":"https://example.org/x","valueDecimal":1.50}]}`,
		quote(`<div xmlns="http://www.w3.org/1999/xhtml">`+note+`</div>`))
	return []byte(b.String())
}

// noteOf returns the note a resource built by resource carries, or "".
func noteOf(js []byte) string {
	var doc struct {
		Text struct {
			Div string `json:"div"`
		} `json:"text"`
	}
	if json.Unmarshal(js, &doc) != nil {
		return ""
	}
	s, _ := strings.CutPrefix(doc.Text.Div, `<div xmlns="http://www.w3.org/1999/xhtml">`)
	s, _ = strings.CutSuffix(s, `</div>`)
	return s
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// newOp returns an op for js with its index entries extracted as the service layer does.
func newOp(t *testing.T, kind store.OpKind, typ, id string, js []byte) store.Op {
	t.Helper()
	op := store.Op{Kind: kind, Type: typ, ID: id, JSON: js}
	if js != nil {
		r, err := fhir.Decode(js)
		if err != nil {
			t.Fatalf("fixture does not decode: %v", err)
		}
		op.Entries = search.ExtractAll(typ, r.Object)
	}
	return op
}

func createOp(t *testing.T, typ, id, note string, idents ...string) store.Op {
	t.Helper()
	return newOp(t, store.OpCreate, typ, id, resource(typ, note, idents...))
}

func updateOp(t *testing.T, typ, id, note string, idents ...string) store.Op {
	t.Helper()
	return newOp(t, store.OpUpdate, typ, id, resource(typ, note, idents...))
}

func deleteOp(typ, id string) store.Op {
	return store.Op{Kind: store.OpDelete, Type: typ, ID: id}
}

func opName(k store.OpKind) string {
	switch k {
	case store.OpCreate:
		return "create"
	case store.OpUpdate:
		return "update"
	case store.OpDelete:
		return "delete"
	}
	return fmt.Sprintf("op(%d)", k)
}

func criteria(t *testing.T, typ, raw string) *search.Query {
	t.Helper()
	q, err := search.ParseCriteria(typ, raw)
	if err != nil {
		t.Fatalf("ParseCriteria(%q, %q): %v", typ, raw, err)
	}
	return q
}

func ctx(t *testing.T) context.Context { return t.Context() }

// apply applies op and fails the test on error.
func apply(t *testing.T, s store.Store, op store.Op) store.Result {
	t.Helper()
	res, err := s.Apply(ctx(t), op)
	if err != nil {
		t.Fatalf("Apply(%s %s/%s): %v", opName(op.Kind), op.Type, op.ID, err)
	}
	return res
}

// applyOutcome applies op and checks its outcome.
func applyOutcome(t *testing.T, s store.Store, op store.Op, want store.Outcome) store.Result {
	t.Helper()
	res := apply(t, s, op)
	if res.Outcome != want {
		t.Fatalf("Apply(%s %s/%s).Outcome = %v, want %v", opName(op.Kind), op.Type, op.ID, res.Outcome, want)
	}
	return res
}

// applyFails applies op and checks that it fails with kind.
func applyFails(t *testing.T, s store.Store, op store.Op, kind fhir.Kind) *fhir.Error {
	t.Helper()
	res, err := s.Apply(ctx(t), op)
	if err == nil {
		t.Fatalf("Apply(%s %s/%s) = %v, want error %v", opName(op.Kind), op.Type, op.ID, res.Outcome, kind)
	}
	return wantKind(t, err, kind)
}

// wantKind checks that err is a *fhir.Error of kind.
func wantKind(t *testing.T, err error, kind fhir.Kind) *fhir.Error {
	t.Helper()
	var fe *fhir.Error
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *fhir.Error", err, err)
	}
	if fe.Kind != kind {
		t.Fatalf("error %v has kind %v, want %v", err, fe.Kind, kind)
	}
	return fe
}

func read(t *testing.T, s store.Store, typ, id string) store.Record {
	t.Helper()
	rec, err := s.Read(ctx(t), typ, id)
	if err != nil {
		t.Fatalf("Read(%s/%s): %v", typ, id, err)
	}
	return rec
}

// changes returns the whole change log.
func changes(t *testing.T, s store.Store) []store.Record {
	t.Helper()
	var all []store.Record
	var after int64
	for {
		recs, err := s.Changes(ctx(t), after, 100)
		if err != nil {
			t.Fatalf("Changes(%d): %v", after, err)
		}
		if len(recs) == 0 {
			return all
		}
		all = append(all, recs...)
		after = recs[len(recs)-1].Seq
	}
}

// sameRecord reports the first difference between two records, or "".
func sameRecord(got, want store.Record) string {
	switch {
	case got.Type != want.Type || got.ID != want.ID:
		return fmt.Sprintf("resource %s/%s, want %s/%s", got.Type, got.ID, want.Type, want.ID)
	case got.Version != want.Version:
		return fmt.Sprintf("version %d, want %d", got.Version, want.Version)
	case !got.LastUpdated.Equal(want.LastUpdated):
		return fmt.Sprintf("lastUpdated %v, want %v", got.LastUpdated, want.LastUpdated)
	case got.Deleted != want.Deleted:
		return fmt.Sprintf("deleted %v, want %v", got.Deleted, want.Deleted)
	case string(got.JSON) != string(want.JSON):
		return fmt.Sprintf("JSON\n%s\nwant\n%s", got.JSON, want.JSON)
	case got.Seq != want.Seq:
		return fmt.Sprintf("seq %d, want %d", got.Seq, want.Seq)
	}
	return ""
}

func checkRecord(t *testing.T, what string, got, want store.Record) {
	t.Helper()
	if d := sameRecord(got, want); d != "" {
		t.Fatalf("%s: %s", what, d)
	}
}

// checkStamped checks that rec holds in exactly as fhir.Stamp sets it for rec's id,
// version and instant, and that the instant is UTC at millisecond precision.
func checkStamped(t *testing.T, rec store.Record, in []byte) {
	t.Helper()
	if rec.LastUpdated.Location() != time.UTC || !rec.LastUpdated.Equal(rec.LastUpdated.Truncate(time.Millisecond)) {
		t.Fatalf("LastUpdated %v is not UTC at millisecond precision", rec.LastUpdated)
	}
	want, err := fhir.Stamp(in, rec.ID, rec.Version, rec.LastUpdated)
	if err != nil {
		t.Fatalf("Stamp: %v", err)
	}
	if string(rec.JSON) != string(want) {
		t.Fatalf("stored JSON\n%s\nwant\n%s", rec.JSON, want)
	}
}
