package search

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSort(t *testing.T) {
	name := testParam("name", TypeString)
	date := testParam("date", TypeDate)
	num := testParam("n", TypeNumber)
	ref := testParam("ref", TypeReference)
	objs := []map[string]any{
		res("Patient", "a", map[string][]Entry{"name": {{Text: "smith"}, {Text: "brown"}}, "date": {day(2020, 1, 1).entry()}, "n": {{Number: 2}}}),
		res("Patient", "b", map[string][]Entry{"name": {{Text: "jones"}}, "date": {year(2020).entry(), day(2021, 6, 1).entry()}, "n": {{Number: 10}}}),
		res("Patient", "c", map[string][]Entry{"name": {{Text: "jones"}}, "date": {day(2019, 1, 1).entry()}, "n": {{Number: -1}}, "ref": {{RefType: "Patient", RefID: "z"}}}),
		res("Patient", "d", map[string][]Entry{"name": {{Text: ""}}, "ref": {{System: nhsNumber, Code: "1"}}}),
		res("Patient", "e", map[string][]Entry{"name": {{Text: "adams"}}, "date": {day(2020, 12, 31).entry()}, "ref": {{URL: "http://x/Patient/1"}}}),
	}
	cases := []struct {
		name string
		keys []SortKey
		want string
	}{
		{"no keys: by id", nil, "a b c d e"},
		{"name: lowest of each, missing and empty last", []SortKey{{Param: name}}, "e a b c d"},
		{"-name: highest of each, missing last", []SortKey{{Param: name, Descending: true}}, "a b c e d"},
		{"name,date: ties by the next key", []SortKey{{Param: name}, {Param: date}}, "e a c b d"},
		{"name,-date", []SortKey{{Param: name}, {Param: date, Descending: true}}, "e a b c d"},
		{"date: by start, ties by id", []SortKey{{Param: date}}, "c a b e d"},
		{"-date: by end of the latest", []SortKey{{Param: date, Descending: true}}, "b e a c d"},
		{"n", []SortKey{{Param: num}}, "c a b d e"},
		{"-n", []SortKey{{Param: num, Descending: true}}, "b a c d e"},
		{"ref: identifiers give no value", []SortKey{{Param: ref}}, "c e a b d"},
		{"-ref", []SortKey{{Param: ref, Descending: true}}, "e c a b d"},
		{"a nil parameter gives no value", []SortKey{{}}, "a b c d e"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := slices.Clone(objs)
			rand.Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
			Sort(tc.keys, got)
			if ids(got) != tc.want {
				t.Errorf("Sort(%s) = %q, want %q", tc.name, ids(got), tc.want)
			}
			got = slices.Clone(objs)
			slices.SortFunc(got, func(a, b map[string]any) int {
				switch {
				case Less(tc.keys, a, b):
					return -1
				case Less(tc.keys, b, a):
					return 1
				}
				return 0
			})
			if ids(got) != tc.want {
				t.Errorf("sorting with Less(%s) = %q, want %q", tc.name, ids(got), tc.want)
			}
		})
	}
}

// TestLessTotal checks that Less is a strict total order over resources with distinct
// ids, whatever their values: irreflexive, asymmetric, total and transitive.
func TestLessTotal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	p1 := testParam("s", TypeString)
	p2 := testParam("d", TypeDate)
	var objs []map[string]any
	for i := range 60 {
		es := map[string][]Entry{}
		for range rng.IntN(3) {
			es["s"] = append(es["s"], Entry{Text: string(rune('a' + rng.IntN(3)))})
		}
		for range rng.IntN(3) {
			lo := int64(rng.IntN(4))
			es["d"] = append(es["d"], Entry{Low: lo, High: lo + 1 + int64(rng.IntN(3))})
		}
		typ := "Patient"
		if i%7 == 0 {
			typ = "Group"
		}
		objs = append(objs, res(typ, string(rune('A'+i%40)), es))
	}
	for _, keys := range [][]SortKey{nil, {{Param: p1}}, {{Param: p2, Descending: true}}, {{Param: p1, Descending: true}, {Param: p2}}} {
		for _, a := range objs {
			if Less(keys, a, a) {
				t.Fatalf("Less(%v, %s, itself) = true", keys, resourceRef(a))
			}
			for _, b := range objs {
				if resourceRef(a) == resourceRef(b) {
					continue
				}
				ab, ba := Less(keys, a, b), Less(keys, b, a)
				if ab == ba {
					t.Fatalf("Less(%s, %s) = %v and Less(%s, %s) = %v: want exactly one", resourceRef(a), resourceRef(b), ab, resourceRef(b), resourceRef(a), ba)
				}
				if !ab {
					continue
				}
				for _, c := range objs {
					if Less(keys, b, c) && !Less(keys, a, c) {
						t.Fatalf("Less is not transitive: %s < %s < %s", resourceRef(a), resourceRef(b), resourceRef(c))
					}
				}
			}
		}
	}
}
