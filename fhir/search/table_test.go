package search

import (
	"compress/gzip"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/nimsproject/nims/fhir"
)

func TestTableBuilds(t *testing.T) {
	if _, err := buildTable(tableRows()); err != nil {
		t.Fatal(err)
	}
	for _, rt := range fhir.ResourceTypes() {
		for _, p := range AllParams(rt) {
			if p.Extract == nil || p.Expression == "" {
				t.Errorf("%s.%s: no extractor or expression", rt, p.Name)
			}
			if p.Definition != "" && !strings.HasPrefix(p.Definition, definitionBase) {
				t.Errorf("%s.%s: definition %q is not an R4 SearchParameter", rt, p.Name, p.Definition)
			}
			for _, tg := range p.Targets {
				if !fhir.IsResourceType(tg) {
					t.Errorf("%s.%s: target %q is not a resource type", rt, p.Name, tg)
				}
			}
			if LookupParam(rt, p.Name) != p {
				t.Errorf("LookupParam(%q, %q) is not the AllParams entry", rt, p.Name)
			}
		}
	}
}

// The programme's types carry every R4 parameter (counted without the six common ones)
// and their programme parameters (Definition "").
func TestTableCounts(t *testing.T) {
	tests := []struct {
		typ       string
		official  int
		programme []string
	}{
		{"Patient", 23, []string{"ethnicity"}},
		{"Immunization", 16, []string{"-immunization.target"}},
		{"Flag", 6, []string{"category", "code", "status"}},
		{"Communication", 15, nil},
		{"Organization", 13, nil},
		{"Group", 10, nil},
		{"Subscription", 6, nil},
		{"AuditEvent", 18, nil},
		{"Practitioner", 17, nil},
	}
	for _, tc := range tests {
		official := 0
		var programme []string
		for _, p := range AllParams(tc.typ) {
			switch {
			case strings.HasPrefix(p.Definition, definitionBase+"Resource-"):
			case p.Definition == "":
				programme = append(programme, p.Name)
			default:
				official++
			}
		}
		if official != tc.official || !slices.Equal(programme, tc.programme) {
			t.Errorf("%s: %d official parameters and programme %v; want %d and %v", tc.typ, official, programme, tc.official, tc.programme)
		}
	}
}

func TestEveryTypeHasTheCommonParameters(t *testing.T) {
	types := fhir.ResourceTypes()
	if len(types) != 146 {
		t.Fatalf("%d resource types, want 146", len(types))
	}
	for _, rt := range types {
		for _, name := range []string{"_id", "_lastUpdated", "_tag", "_profile", "_security", "_source"} {
			if LookupParam(rt, name) == nil {
				t.Errorf("LookupParam(%q, %q) = nil", rt, name)
			}
		}
		if has := LookupParam(rt, "identifier") != nil; has == slices.Contains(noIdentifier, rt) {
			t.Errorf("%s: identifier parameter %v, but identifier element %v", rt, has, !slices.Contains(noIdentifier, rt))
		}
	}
	if p := LookupParam("Observation", "patient"); p == nil || p.Type != TypeReference {
		t.Errorf("Observation has no patient reference parameter")
	}
	if LookupParam("Patient", "age") != nil || LookupParam("Patient", "nonsense") != nil || LookupParam("Nonsense", "_id") != nil {
		t.Errorf("LookupParam found a parameter the table does not have")
	}
	if AllParams("Nonsense") != nil {
		t.Errorf("AllParams of an unknown type is not nil")
	}
}

// Every element a table path names exists in the R4 structure it walks: the
// hand-written paths are checked against the spec the validator embeds (../r4spec.json.gz,
// written by internal/specgen).
func TestTablePathsExistInR4(t *testing.T) {
	structs := loadR4Structures(t)
	checked := 0
	for _, r := range tableRows() {
		if r.extract != nil {
			continue
		}
		p, err := compilePath(r.expr)
		if err != nil {
			t.Errorf("%s.%s: %v", r.typ, r.name, err)
			continue
		}
		for _, b := range p.branches {
			if b.head != "" && b.head != r.typ {
				t.Errorf("%s.%s: branch for %s", r.typ, r.name, b.head)
			}
			start := r.typ
			if start == "Resource" {
				start = "Patient"
			}
			if err := walkR4(structs, start, b.steps); err != "" {
				t.Errorf("%s.%s: %q: %s", r.typ, r.name, r.expr, err)
			}
			checked++
		}
	}
	t.Logf("%d paths checked", checked)

	var withIdentifier []string
	for _, rt := range fhir.ResourceTypes() {
		if slices.ContainsFunc(structs[rt], func(e r4Elem) bool { return e.Name == "identifier" }) {
			withIdentifier = append(withIdentifier, rt)
		} else if !slices.Contains(noIdentifier, rt) {
			t.Errorf("%s has no identifier element but is not in noIdentifier", rt)
		}
	}
	for _, rt := range noIdentifier {
		if slices.Contains(withIdentifier, rt) {
			t.Errorf("%s has an identifier element but is in noIdentifier", rt)
		}
	}
}

type r4Elem struct {
	Name  string   `json:"n"`
	Types []string `json:"t"`
	Node  string   `json:"node"`
}

func loadR4Structures(t *testing.T) map[string][]r4Elem {
	t.Helper()
	f, err := os.Open("../r4spec.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Structures map[string][]r4Elem `json:"structures"`
	}
	if err := json.NewDecoder(zr).Decode(&spec); err != nil {
		t.Fatal(err)
	}
	return spec.Structures
}

// walkR4 follows steps from structure start; it returns what is wrong, or "".
func walkR4(structs map[string][]r4Elem, start string, steps []pathStep) string {
	types := []string{start}
	for _, st := range steps {
		switch {
		case st.name != "":
			var next []string
			for _, typ := range types {
				for _, e := range structs[typ] {
					if e.Name == st.name+"[x]" && !st.choice {
						return st.name + " is a choice element missing from choiceElements"
					}
					if e.Name == st.name || e.Name == st.name+"[x]" {
						if e.Node != "" {
							next = append(next, e.Node)
						}
						next = append(next, e.Types...)
					}
				}
			}
			if len(next) == 0 {
				return "no element " + st.name + " in " + strings.Join(types, ", ")
			}
			types = next
		case st.as != "":
			if !slices.Contains(types, st.as) {
				return st.as + " is not among " + strings.Join(types, ", ")
			}
			types = []string{st.as}
		case st.cond != nil && st.cond.isType != "":
			if !slices.Equal(types, []string{"Reference"}) {
				return "resolve() on " + strings.Join(types, ", ")
			}
		case st.cond != nil:
			if !slices.ContainsFunc(structs[types[0]], func(e r4Elem) bool { return e.Name == st.cond.field }) {
				return "no element " + st.cond.field + " to filter on in " + types[0]
			}
		}
	}
	return ""
}
