package search

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// The official R4 definitions of the programme's types, beside the repository (the
// shared corpus). The tests below check the table against them when they are there; the
// repository's tests pass without them.
const corpusDefinitions = "../../../shared/corpus/definitions/search-parameters-r4-nims-types.json"

type officialParam struct {
	ID         string   `json:"id"`
	Code       string   `json:"code"`
	Type       string   `json:"type"`
	Base       []string `json:"base"`
	Expression string   `json:"expression"`
	Target     []string `json:"target"`
}

func loadCorpus(t *testing.T) map[string]officialParam {
	t.Helper()
	data, err := os.ReadFile(corpusDefinitions)
	if err != nil {
		t.Skipf("the official definitions are not beside the repository: %v", err)
	}
	var b struct {
		Entry []struct {
			Resource officialParam `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	out := map[string]officialParam{}
	for _, e := range b.Entry {
		out[e.Resource.ID] = e.Resource
	}
	return out
}

// unsupportedCommon are the parameters of every type that the table leaves out.
var unsupportedCommon = map[string]string{
	"_text":    "full-text search of the narrative is not supported",
	"_content": "full-text search of the whole resource is not supported",
	"_query":   "the server defines no named queries",
}

// Every official definition of the programme's types has a table entry of the same
// type, naming that definition, with the definition's expression for the type.
func TestTableHasEveryOfficialDefinition(t *testing.T) {
	defs := loadCorpus(t)
	for _, d := range defs {
		if why, ok := unsupportedCommon[d.Code]; ok {
			t.Logf("%s left out: %s", d.Code, why)
			continue
		}
		for _, base := range d.Base {
			rt := base
			if base == "Resource" || base == "DomainResource" {
				rt = "Patient" // the common parameters are the same *Param on every type
			} else if !ownTable[base] {
				continue // a shared definition (clinical-patient …) of a type beyond the programme's
			}
			p := LookupParam(rt, d.Code)
			if p == nil {
				t.Errorf("%s: no %s.%s in the table", d.ID, rt, d.Code)
				continue
			}
			if p.Type.String() != d.Type {
				t.Errorf("%s.%s is a %s parameter, the definition %s says %s", rt, d.Code, p.Type, d.ID, d.Type)
			}
			if want := definitionBase + d.ID; p.Definition != want {
				t.Errorf("%s.%s: Definition %q, want %q", rt, d.Code, p.Definition, want)
			}
			if want := branchesFor(d.Expression, base); p.Expression != want && d.Expression != "" {
				t.Errorf("%s.%s: Expression %q, the definition's is %q", rt, d.Code, p.Expression, want)
			}
			for _, tg := range p.Targets {
				if !slices.Contains(d.Target, tg) {
					t.Errorf("%s.%s: target %s is not among the definition's %v", rt, d.Code, tg, d.Target)
				}
			}
		}
	}
}

// Every Definition the table sets names an official SearchParameter whose base holds the
// type. The corpus holds the definitions of the programme's types (and the shared ones
// that cover them): a definition of a type it documents ("Patient-…") must be in it; the
// definitions of the other types are checked when the corpus has them.
func TestTableDefinitionsExist(t *testing.T) {
	defs := loadCorpus(t)
	documented := map[string]bool{}
	for id := range defs {
		if typ, _, ok := strings.Cut(id, "-"); ok {
			documented[typ] = true
		}
	}
	checked := 0
	for _, r := range tableRows() {
		if r.def == "" {
			continue
		}
		d, ok := defs[r.def]
		typ, _, _ := strings.Cut(r.def, "-")
		switch {
		case ok:
			if !slices.Contains(d.Base, r.typ) {
				t.Errorf("%s.%s: definition %s is for %v", r.typ, r.name, r.def, d.Base)
			}
			if d.Code != r.name {
				t.Errorf("%s.%s: definition %s is the parameter %q", r.typ, r.name, r.def, d.Code)
			}
			checked++
		case documented[typ]:
			t.Errorf("%s.%s: no official SearchParameter %s", r.typ, r.name, r.def)
		}
	}
	t.Logf("%d definitions checked against the corpus", checked)
}

// branchesFor is the part of a shared definition's expression for one base type.
func branchesFor(expr, base string) string {
	if base == "Resource" || base == "DomainResource" {
		return expr
	}
	var out []string
	for _, b := range strings.Split(expr, " | ") {
		b = strings.TrimSpace(b)
		if strings.HasPrefix(strings.TrimPrefix(b, "("), base+".") {
			out = append(out, b)
		}
	}
	return strings.Join(out, " | ")
}
