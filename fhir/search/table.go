package search

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/nimsproject/nims/fhir"
)

// The parameter table: every search parameter the server supports, one row each, for
// every R4 resource type. Each row names the parameter, its type, the FHIRPath of its
// official definition (the branch for that resource type) and the id of that definition
// (https://hl7.org/fhir/R4/searchparameter-registry.html); the table compiles the FHIRPath
// with path.go and picks the extractor for the type, so that the expression shown in
// /metadata is the one the index runs. Rows whose FHIRPath the evaluator cannot run carry
// a hand-written extract function; the programme's own parameters have no definition id.
//
// Coverage: the R4 parameters of Patient, Practitioner, Immunization, Flag, Communication,
// Organization, Group, Subscription and AuditEvent (table_<type>.go); for every other
// type, identifier and its Patient-compartment parameters (table_other.go); and for every
// type the common parameters below.

// paramRow is one parameter of one resource type as the table is written.
type paramRow struct {
	typ, name string
	kind      ParamType
	expr      string // FHIRPath, the official one when def is set
	def       string // id of the official SearchParameter; "" for the programme's own
	targets   string // reference: space-separated target types; "*" for any (but Parameters)
	// extract, when set, replaces evaluating expr (which then only documents it).
	extract func(name string, obj map[string]any) []Entry
}

// definitionBase is the canonical base of the official R4 SearchParameters.
const definitionBase = "http://hl7.org/fhir/SearchParameter/"

// commonRows are the parameters of every resource type
// (https://hl7.org/fhir/R4/search.html#all). _text, _content (full text) and _query
// (named queries) are not supported.
var commonRows = []paramRow{
	{typ: "Resource", name: "_id", kind: TypeToken, expr: "Resource.id", def: "Resource-id"},
	{typ: "Resource", name: "_lastUpdated", kind: TypeDate, expr: "Resource.meta.lastUpdated", def: "Resource-lastUpdated"},
	{typ: "Resource", name: "_tag", kind: TypeToken, expr: "Resource.meta.tag", def: "Resource-tag"},
	{typ: "Resource", name: "_profile", kind: TypeURI, expr: "Resource.meta.profile", def: "Resource-profile"},
	{typ: "Resource", name: "_security", kind: TypeToken, expr: "Resource.meta.security", def: "Resource-security"},
	{typ: "Resource", name: "_source", kind: TypeURI, expr: "Resource.meta.source", def: "Resource-source"},
}

// paramTable is the built table: by resource type, the parameters by name and sorted.
type paramTable struct {
	byName map[string]map[string]*Param
	sorted map[string][]*Param
}

var loadTable = sync.OnceValue(func() *paramTable {
	t, err := buildTable(tableRows())
	if err != nil {
		panic(err) // the rows are fixed at compile time; TestTableBuilds reports this
	}
	return t
})

// tableRows returns every row: the common ones (once, for all types) first.
func tableRows() []paramRow {
	rows := slices.Clone(commonRows)
	for _, part := range [][]paramRow{patientRows, practitionerRows, immunizationRows, flagRows,
		communicationRows, organizationRows, groupRows, subscriptionRows, auditEventRows, otherRows()} {
		rows = append(rows, part...)
	}
	return rows
}

func buildTable(rows []paramRow) (*paramTable, error) {
	types := fhir.ResourceTypes()
	if len(types) == 0 {
		return nil, fmt.Errorf("search: the R4 resource types are not available")
	}
	t := &paramTable{byName: map[string]map[string]*Param{}, sorted: map[string][]*Param{}}
	for _, rt := range types {
		t.byName[rt] = map[string]*Param{}
	}
	for _, r := range rows {
		p, err := newParam(r, types)
		if err != nil {
			return nil, err
		}
		targets := []string{r.typ}
		if r.typ == "Resource" {
			targets = types
		}
		for _, rt := range targets {
			m, ok := t.byName[rt]
			if !ok {
				return nil, fmt.Errorf("search: %s.%s: unknown resource type", r.typ, r.name)
			}
			if _, dup := m[r.name]; dup {
				return nil, fmt.Errorf("search: %s.%s: defined twice", rt, r.name)
			}
			m[r.name] = p
		}
	}
	for rt, m := range t.byName {
		ps := make([]*Param, 0, len(m))
		for _, p := range m {
			ps = append(ps, p)
		}
		slices.SortFunc(ps, func(a, b *Param) int { return strings.Compare(a.Name, b.Name) })
		t.sorted[rt] = ps
	}
	return t, nil
}

// newParam compiles one row.
func newParam(r paramRow, types []string) (*Param, error) {
	p := &Param{Name: r.name, Type: r.kind, Expression: r.expr}
	if r.def != "" {
		p.Definition = definitionBase + r.def
	}
	switch {
	case r.targets == "*":
		// Any type but Parameters, which is never stored and so never referred to: the
		// list of the R4 definitions that target "any".
		p.Targets = slices.DeleteFunc(slices.Clone(types), func(t string) bool { return t == "Parameters" })
	case r.targets != "":
		p.Targets = strings.Fields(r.targets)
	}
	if (r.kind == TypeReference) != (len(p.Targets) > 0) {
		return nil, fmt.Errorf("search: %s.%s: targets are for reference parameters, which need them", r.typ, r.name)
	}
	name := r.name
	if r.extract != nil {
		f := r.extract
		p.Extract = func(obj map[string]any) []Entry { return f(name, obj) }
		return p, nil
	}
	path, err := compilePath(r.expr)
	if err != nil {
		return nil, fmt.Errorf("search: %s.%s: %w", r.typ, r.name, err)
	}
	entries := entriesFor[r.kind]
	if entries == nil {
		return nil, fmt.Errorf("search: %s.%s: no extractor for %s parameters", r.typ, r.name, r.kind)
	}
	p.Extract = func(obj map[string]any) []Entry { return entries(name, path.eval(obj)) }
	if r.kind == TypeReference {
		p.Extract = func(obj map[string]any) []Entry {
			items := path.eval(obj)
			return containedIdentifiers(referenceEntries(name, items), name, obj, items)
		}
	}
	return p, nil
}

// entriesFor is the extractor of each parameter type (path_extract.go).
var entriesFor = map[ParamType]func(string, []pathItem) []Entry{
	TypeToken:     tokenEntries,
	TypeString:    stringEntries,
	TypeDate:      dateEntries,
	TypeReference: referenceEntries,
	TypeNumber:    numberEntries,
	TypeQuantity:  quantityEntries,
	TypeURI:       uriEntries,
}

// LookupParam returns the parameter name of resource type typ, or nil when the table has
// none.
func LookupParam(typ, name string) *Param {
	return loadTable().byName[typ][name]
}

// AllParams returns the parameters of resource type typ, sorted by name; nil for a type
// that is not an R4 resource type. The slice is shared: do not modify it.
func AllParams(typ string) []*Param {
	return loadTable().sorted[typ]
}

// ExtractAll returns the index entries of every parameter of the table for a resource of
// type typ, in the order of AllParams.
func ExtractAll(typ string, obj map[string]any) []Entry {
	ps := AllParams(typ)
	parts := make([][]Entry, len(ps))
	n := 0
	for i, p := range ps {
		parts[i] = p.Extract(obj)
		n += len(parts[i])
	}
	// One allocation of the exact size: an Entry is 152 bytes and a Patient has dozens.
	out := make([]Entry, 0, n)
	for _, part := range parts {
		out = append(out, part...)
	}
	return out
}
