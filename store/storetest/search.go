package storetest

import (
	"fmt"
	"testing"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

var searchTests = []test{
	{"SearchMatchesReference", testSearchMatchesReference},
	{"SearchDifferential", testSearchDifferential},
	{"SearchPagingWhileWriting", testSearchPagingWhileWriting},
}

// searchFixtures writes resources whose identifiers exercise every token form, including
// deleted, updated and re-created resources, and returns the ids written per type.
func searchFixtures(t *testing.T, s store.Store) map[string][]string {
	const s1, s2 = "https://sys.example/one", "https://sys.example/two"
	writeLog(t, s,
		createOp(t, "Patient", "a", "a", s1+"|A", s2+"|B"),
		createOp(t, "Patient", "b", "b", s1+"|B"),
		createOp(t, "Patient", "c", "c", "|A"),
		createOp(t, "Patient", "d", "d", s2+"|"),
		createOp(t, "Patient", "e", "e", s1+"|A"),
		deleteOp("Patient", "e"),
		createOp(t, "Patient", "f", "f", s1+"|OLD"),
		updateOp(t, "Patient", "f", "f2", s1+"|NEW"),
		createOp(t, "Patient", "g", "g", s1+"|OLD"),
		deleteOp("Patient", "g"),
		updateOp(t, "Patient", "g", "g2", s1+"|A"),
		createOp(t, "Patient", "h", "h"),
		createOp(t, "Patient", "i", "i", s1+"|a|b,c", s1+"|a"),
		createOp(t, "Patient", "j", "j", s1+"|A", s1+"|A"),
		createOp(t, "Observation", "a", "o", s1+"|A"),
	)
	return map[string][]string{
		"Patient":     {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "never"},
		"Observation": {"a"},
	}
}

var searchCases = []struct{ typ, criteria string }{
	{"Patient", "identifier=https://sys.example/one|A"},
	{"Patient", "identifier=A"},
	{"Patient", "identifier=|A"},
	{"Patient", "identifier=https://sys.example/one|"},
	{"Patient", "identifier=https://sys.example/two|"},
	{"Patient", "identifier=B"},
	{"Patient", "identifier=a"},
	{"Patient", "identifier=https://sys.example/one|OLD"},
	{"Patient", "identifier=https://sys.example/one|NEW"},
	{"Patient", `identifier=https://sys.example/one|a\|b\,c`},
	{"Patient", "identifier=https://sys.example/one|A,https://sys.example/one|B"},
	{"Patient", "identifier=https://sys.example/two|B,|A"},
	{"Patient", "identifier=https://sys.example/one|A&identifier=https://sys.example/two|B"},
	{"Patient", "identifier=https://sys.example/one|A&identifier=B"},
	{"Patient", "identifier=https://sys.example/three|A"},
	{"Patient", "identifier=nothing"},
	{"Patient", "_id=a"},
	{"Patient", "_id=a,b,e,never"},
	{"Patient", "_id=e"},
	{"Patient", "_id=|a"},
	{"Patient", "_id=https://sys.example/one|a"},
	{"Patient", "_id=https://sys.example/one|"},
	{"Patient", "_id=a,b&identifier=https://sys.example/one|A"},
	{"Patient", "_id=b&identifier=https://sys.example/one|A"},
	{"Observation", "identifier=https://sys.example/one|A"},
	{"Observation", "_id=a"},
	{"Flag", "identifier=A"},
}

// testSearchMatchesReference checks the criteria conditional interactions use: every page of the search, at a page size of 100 and of 1, against search.Match.
func testSearchMatchesReference(t *testing.T, s store.Store) {
	ids := searchFixtures(t, s)
	// The live resources as stored, decoded for search.Match.
	type live struct {
		rec store.Record
		obj map[string]any
	}
	byType := map[string][]live{}
	for typ, list := range ids {
		for _, id := range list {
			rec, err := s.Read(ctx(t), typ, id)
			if err != nil {
				if k := fhir.KindOf(err); k != fhir.KindGone && k != fhir.KindNotFound {
					t.Fatalf("Read(%s/%s): %v", typ, id, err)
				}
				continue
			}
			r, err := fhir.Decode(rec.JSON)
			if err != nil {
				t.Fatalf("stored %s/%s does not decode: %v", typ, id, err)
			}
			byType[typ] = append(byType[typ], live{rec, r.Object})
		}
	}
	for _, tc := range searchCases {
		q := criteria(t, tc.typ, tc.criteria)
		var want []store.Record
		for _, l := range byType[tc.typ] { // ids are listed in order
			if search.Match(q, l.obj) {
				want = append(want, l.rec)
			}
		}
		for _, count := range []int{100, 1} {
			q.Count = count
			var got []store.Record
			for _, p := range pages(t, s, q) {
				got = append(got, p.res.Records...)
			}
			checkRecords(t, fmt.Sprintf("Search(%s?%s, _count=%d)", tc.typ, tc.criteria, count), got, want)
		}
	}
}
