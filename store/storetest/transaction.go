package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

var transactionTests = []test{
	{"Transaction/AllOrNothing", testTransactionAllOrNothing},
	{"Transaction/BindsReferences", testTransactionBindsReferences},
	{"Transaction/ReferenceFailures", testTransactionReferenceFailures},
	{"Transaction/IndexesLastVersions", testTransactionIndexesLastVersions},
	{"Update/SkipUnchanged", testSkipUnchanged},
}

// withRef returns an Observation whose subject is ref.
func withRef(t *testing.T, id, ref string) store.Op {
	t.Helper()
	js := fmt.Appendf(nil, `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":%q}}`, ref)
	return newOp(t, store.OpCreate, "Observation", id, js)
}

// A failing op rolls back every op of the transaction, before and after it; the store is
// usable afterwards.
func testTransactionAllOrNothing(t *testing.T, s store.Store) {
	apply(t, s, createOp(t, "Patient", "taken", "a"))
	ops := []store.Op{createOp(t, "Patient", "p1", "b"), updateOp(t, "Patient", "taken", "c"), createOp(t, "Patient", "taken", "d")}
	_, err := s.Transaction(ctx(t), ops)
	wantKind(t, err, fhir.KindConflict)
	if _, err := s.Read(ctx(t), "Patient", "p1"); fhir.KindOf(err) != fhir.KindNotFound {
		t.Errorf("an op before the failure survived: %v", err)
	}
	if rec := read(t, s, "Patient", "taken"); rec.Version != 1 {
		t.Errorf("an update before the failure survived: version %d", rec.Version)
	}
	res, err := s.Transaction(ctx(t), []store.Op{createOp(t, "Patient", "p2", "e"), deleteOp("Patient", "taken")})
	if err != nil || len(res) != 2 || res[0].Outcome != store.Created || res[1].Outcome != store.Deleted {
		t.Fatalf("a good transaction: %+v, %v", res, err)
	}
	if len(changes(t, s)) != 3 {
		t.Errorf("change log has %d entries, want 3", len(changes(t, s)))
	}
}

// FullURLs bind to the ids the ops write (a conditional create to its match), and
// conditional references to their one match; the index follows the rewritten JSON.
func testTransactionBindsReferences(t *testing.T, s store.Store) {
	apply(t, s, createOp(t, "Patient", "known", "a", "urn:sys|K"))
	urnNew, urnKnown := "urn:uuid:aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "urn:uuid:bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
	pNew := createOp(t, "Patient", "new", "b")
	pNew.FullURL = urnNew
	pKnown := createOp(t, "Patient", "would-be", "c", "urn:sys|K")
	pKnown.FullURL = urnKnown
	pKnown.IfNoneExist = criteria(t, "Patient", "identifier=urn:sys|K")
	ops := []store.Op{withRef(t, "o1", urnNew), withRef(t, "o2", urnKnown), withRef(t, "o3", "Patient?identifier=urn:sys|K"), pNew, pKnown}
	res, err := s.Transaction(ctx(t), ops)
	if err != nil {
		t.Fatal(err)
	}
	if res[4].Outcome != store.Existing || res[4].Record.ID != "known" {
		t.Errorf("conditional create: %v %s, want Existing known", res[4].Outcome, res[4].Record.ID)
	}
	for id, want := range map[string]string{"o1": "Patient/new", "o2": "Patient/known", "o3": "Patient/known"} {
		rec := read(t, s, "Observation", id)
		if !strings.Contains(string(rec.JSON), `"reference":"`+want+`"`) {
			t.Errorf("%s: %s, want its subject rewritten to %s", id, rec.JSON, want)
		}
		q := criteria(t, "Observation", "subject="+want+"&_id="+id)
		q.Count = 10
		got, err := s.Search(ctx(t), q)
		if err != nil || len(got.Records) != 1 {
			t.Errorf("%s is not found by subject=%s: %v", id, want, err)
		}
	}
}

// A conditional reference with no or several matches, and an urn no op binds, fail the
// whole transaction.
func testTransactionReferenceFailures(t *testing.T, s store.Store) {
	apply(t, s, createOp(t, "Patient", "a", "a", "urn:sys|D"))
	apply(t, s, createOp(t, "Patient", "b", "b", "urn:sys|D"))
	for ref, kind := range map[string]fhir.Kind{
		"Patient?identifier=urn:sys|none":               fhir.KindPreconditionFailed,
		"Patient?identifier=urn:sys|D":                  fhir.KindPreconditionFailed,
		"urn:uuid:cccccccc-cccc-4ccc-8ccc-cccccccccccc": fhir.KindInvalid,
	} {
		_, err := s.Transaction(ctx(t), []store.Op{createOp(t, "Patient", "c", "c"), withRef(t, "o", ref)})
		wantKind(t, err, kind)
		if _, err := s.Read(ctx(t), "Patient", "c"); fhir.KindOf(err) != fhir.KindNotFound {
			t.Errorf("%s: the transaction's other op survived", ref)
		}
	}
}

// An update with SkipUnchanged of the JSON the resource already holds writes nothing; a
// changed one writes a version as usual.
func testSkipUnchanged(t *testing.T, s store.Store) {
	apply(t, s, createOp(t, "Patient", "p", "a"))
	same := updateOp(t, "Patient", "p", "a")
	same.SkipUnchanged = true
	if res := apply(t, s, same); res.Outcome != store.NoOp || res.Record.Version != 1 {
		t.Errorf("unchanged update: %v version %d, want NoOp at version 1", res.Outcome, res.Record.Version)
	}
	changed := updateOp(t, "Patient", "p", "b")
	changed.SkipUnchanged = true
	if res := apply(t, s, changed); res.Outcome != store.Updated || res.Record.Version != 2 {
		t.Errorf("changed update: %v version %d, want Updated at version 2", res.Outcome, res.Record.Version)
	}
	if n := len(changes(t, s)); n != 2 {
		t.Errorf("%d changes, want 2", n)
	}
}

// Within one transaction, a resource written twice is indexed as its last version only,
// and one deleted is not indexed at all.
func testTransactionIndexesLastVersions(t *testing.T, s store.Store) {
	ops := []store.Op{
		createOp(t, "Patient", "x", "a", "urn:s|A"),
		updateOp(t, "Patient", "x", "b", "urn:s|B"),
		createOp(t, "Patient", "y", "c", "urn:s|C"),
		deleteOp("Patient", "y"),
		createOp(t, "Patient", "z", "d", "urn:s|B"),
	}
	if _, err := s.Transaction(ctx(t), ops); err != nil {
		t.Fatal(err)
	}
	for ident, want := range map[string]string{"urn:s|A": "", "urn:s|B": "x z", "urn:s|C": ""} {
		q := criteria(t, "Patient", "identifier="+ident)
		q.Count = 10
		res, err := s.Search(ctx(t), q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range res.Records {
			got = append(got, r.ID)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("identifier=%s finds %v, want [%s]", ident, got, want)
		}
	}
}
