package search

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The Match tests build their entries by hand: a test parameter's Extract returns the
// []Entry stored in the resource under the parameter's name, so the semantics are tested
// apart from the parameter table.

// testParam is a parameter of type typ whose entries are obj[name].
func testParam(name string, typ ParamType, targets ...string) *Param {
	return &Param{Name: name, Type: typ, Targets: targets, Extract: func(obj map[string]any) []Entry {
		es, _ := obj[name].([]Entry)
		return es
	}}
}

// res builds a resource of typ with id and, per parameter name, its entries.
func res(typ, id string, entries map[string][]Entry) map[string]any {
	obj := map[string]any{"resourceType": typ, "id": id}
	for k, v := range entries {
		obj[k] = v
	}
	return obj
}

// one is a query on typ with the single filter f.
func one(typ string, f Filter) *Query { return &Query{Type: typ, Filters: []Filter{f}} }

// matchCase is one row of a table test: the filter's values and modifier against
// entries (nil: the resource has none).
type matchCase struct {
	name    string
	mod     Modifier
	values  []Value
	entries []Entry
	want    bool
}

func runMatchCases(t *testing.T, typ ParamType, m Matcher, cases []matchCase) {
	t.Helper()
	p := testParam("p", typ)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := res("Patient", "x", map[string][]Entry{"p": tc.entries})
			q := one("Patient", Filter{Param: p, Modifier: tc.mod, Values: tc.values})
			if got := m.Match(q, obj); got != tc.want {
				t.Errorf("Match(%s %v, %v) = %v, want %v", describe(tc.mod, tc.values), tc.values, tc.entries, got, tc.want)
			}
		})
	}
}

func describe(mod Modifier, vs []Value) string {
	var parts []string
	for _, v := range vs {
		parts = append(parts, v.Raw)
	}
	return fmt.Sprintf("mod %d %q", mod, strings.Join(parts, ","))
}

func TestMatchType(t *testing.T) {
	q := &Query{Type: "Patient"}
	if !Match(q, res("Patient", "a", nil)) {
		t.Errorf("Match(Patient?, Patient) = false, want true")
	}
	if Match(q, res("Observation", "a", nil)) {
		t.Errorf("Match(Patient?, Observation) = true, want false")
	}
}

func TestMatchFiltersAreANDValuesOR(t *testing.T) {
	p := testParam("code", TypeToken)
	obj := res("Patient", "a", map[string][]Entry{"code": {{Code: "A"}, {Code: "B"}}})
	v := func(c string) Value { return Value{Raw: c, Code: c, AnySystem: true} }
	cases := []struct {
		name    string
		filters []Filter
		want    bool
	}{
		{"A", []Filter{{Param: p, Values: []Value{v("A")}}}, true},
		{"A,Z", []Filter{{Param: p, Values: []Value{v("A"), v("Z")}}}, true},
		{"Z,Y", []Filter{{Param: p, Values: []Value{v("Z"), v("Y")}}}, false},
		{"A&B", []Filter{{Param: p, Values: []Value{v("A")}}, {Param: p, Values: []Value{v("B")}}}, true},
		{"A&Z", []Filter{{Param: p, Values: []Value{v("A")}}, {Param: p, Values: []Value{v("Z")}}}, false},
		{"none", nil, true},
	}
	for _, tc := range cases {
		q := &Query{Type: "Patient", Filters: tc.filters}
		if got := Match(q, obj); got != tc.want {
			t.Errorf("Match(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMatchMissing(t *testing.T) {
	for _, typ := range []ParamType{TypeToken, TypeString, TypeDate, TypeReference, TypeNumber, TypeQuantity, TypeURI} {
		t.Run(typ.String(), func(t *testing.T) {
			runMatchCases(t, typ, Matcher{}, []matchCase{
				{"missing=true, none", ModMissing, []Value{{Missing: true}}, nil, true},
				{"missing=true, some", ModMissing, []Value{{Missing: true}}, []Entry{{Code: "x"}}, false},
				{"missing=false, none", ModMissing, []Value{{Missing: false}}, nil, false},
				{"missing=false, some", ModMissing, []Value{{Missing: false}}, []Entry{{Code: "x"}}, true},
				{"missing=true,false", ModMissing, []Value{{Missing: true}, {Missing: false}}, nil, true},
			})
		})
	}
}

func TestMatchUnsupportedTypesMatchNothing(t *testing.T) {
	runMatchCases(t, TypeComposite, Matcher{}, []matchCase{
		{"composite", ModNone, []Value{{Code: "x"}}, []Entry{{Code: "x"}}, false},
	})
}

// fixedNow is the "now" of the date ap tests.
var fixedNow = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
