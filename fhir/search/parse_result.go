package search

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/nimsproject/nims/fhir"
)

// The search result parameters (https://hl7.org/fhir/R4/search.html#return): they shape
// the Bundle, not which resources match.

type resultParser func(p *parser, mod string, vals []string)

var resultParams map[string]resultParser

// resultParamMods are the result parameters that take a modifier (:iterate).
var resultParamMods = map[string]bool{"_include": true, "_revinclude": true}

func init() {
	// In init: the parsers refer to the parser methods, which refer back to the map.
	resultParams = map[string]resultParser{
		"_sort":       (*parser).sortParam,
		"_count":      (*parser).countParam,
		"_total":      (*parser).totalParam,
		"_summary":    (*parser).summaryParam,
		"_elements":   (*parser).elementsParam,
		"_include":    (*parser).includeParam,
		"_revinclude": (*parser).includeParam,
		"_cursor":     (*parser).cursorParam,
	}
}

// once returns the single value of a parameter that may appear only once.
func (p *parser) once(vals []string) (string, bool) {
	if len(vals) > 1 {
		p.fail(invalidf("search parameter %s may appear only once", p.key))
		return "", false
	}
	if vals[0] == "" {
		p.fail(invalidf("search parameter %s has no value", p.key))
		return "", false
	}
	return vals[0], true
}

// sortParam reads _sort=key,-key,…: table parameters of a type with an order (not
// reference, composite or special), - for descending. search.html#sort
func (p *parser) sortParam(_ string, vals []string) {
	v, ok := p.once(vals)
	if !ok {
		return
	}
	for _, k := range strings.Split(v, ",") {
		name, desc := strings.CutPrefix(k, "-")
		if name == "" {
			p.fail(invalidf("_sort has an empty key in %s", echo(v)))
			return
		}
		prm := LookupParam(p.typ, name)
		if prm == nil {
			p.fail(unsupportedf("_sort: %s is not a search parameter of %s", echo(name), p.typ))
			return
		}
		switch prm.Type {
		case TypeReference, TypeComposite, TypeSpecial:
			p.fail(unsupportedf("_sort: sorting by %s, a %s parameter, is not supported", name, prm.Type))
			return
		}
		if slices.ContainsFunc(p.q.Sort, func(s SortKey) bool { return s.Param == prm }) {
			p.fail(invalidf("_sort names %s more than once", name))
			return
		}
		p.q.Sort = append(p.q.Sort, SortKey{Param: prm, Descending: desc})
	}
}

// countParam reads _count: a page size from 0, capped at MaxCount. _count=0 asks for
// the total only (search.html#count), which is _summary=count.
func (p *parser) countParam(_ string, vals []string) {
	v, ok := p.once(vals)
	if !ok {
		return
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			p.fail(invalidf("_count must be a whole number from 0, not %s", echo(v)))
			return
		}
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		n = math.MaxInt // only digits, so err is overflow: a count past any cap
	}
	if n == 0 {
		p.countOnly = true
		return
	}
	p.q.Count = capCount(n, p.opts.MaxCount)
}

var totalModes = map[string]TotalMode{"none": TotalNone, "estimate": TotalEstimate, "accurate": TotalAccurate}

func (p *parser) totalParam(_ string, vals []string) {
	if v, ok := p.once(vals); ok {
		m, known := totalModes[v]
		if !known {
			p.fail(invalidf("_total must be none, estimate or accurate, not %s", echo(v)))
		}
		p.q.Total = m
	}
}

var summaryModes = map[string]SummaryMode{
	"true": SummaryTrue, "text": SummaryText, "data": SummaryData, "count": SummaryCount, "false": SummaryFalse,
}

func (p *parser) summaryParam(_ string, vals []string) {
	if v, ok := p.once(vals); ok {
		m, known := summaryModes[v]
		if !known {
			p.fail(invalidf("_summary must be true, text, data, count or false, not %s", echo(v)))
		}
		p.q.Summary = m
	}
}

// elementsParam reads _elements=name,…: top-level element names, kept sorted and
// without repeats (so the self link is canonical); repetitions add up.
func (p *parser) elementsParam(_ string, vals []string) {
	for _, v := range vals {
		for _, name := range strings.Split(v, ",") {
			if !elementName(name) {
				p.fail(invalidf("_elements: %s is not an element name", echo(name)))
				return
			}
			if !slices.Contains(p.q.Elements, name) {
				p.q.Elements = append(p.q.Elements, name)
			}
		}
	}
	slices.Sort(p.q.Elements)
}

// elementName reports whether s is a FHIR element name: a letter, then letters and
// digits (choice elements appear with their type: valueQuantity).
func elementName(s string) bool {
	if s == "" || len(s) > 64 || !(s[0] >= 'a' && s[0] <= 'z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// includeParam reads _include and _revinclude: Type:param, Type:param:TargetType or
// Type:*, with :iterate (R4's name; :recurse is the STU3 one, still sent by clients).
// search.html#include
func (p *parser) includeParam(mod string, vals []string) {
	rev := strings.HasPrefix(p.key, "_revinclude")
	iterate := false
	switch mod {
	case "":
	case "iterate", "recurse":
		iterate = true
	default:
		p.fail(invalidf("search parameter %s: the only modifier of _include and _revinclude is :iterate", echo(p.key)))
		return
	}
	for _, v := range vals {
		inc, err := p.include(v, rev, iterate)
		if err != nil {
			p.fail(err)
			continue
		}
		list := &p.q.Include
		if rev {
			list = &p.q.RevInclude
		}
		if !slices.Contains(*list, inc) {
			*list = append(*list, inc)
		}
	}
}

func (p *parser) include(v string, rev, iterate bool) (Include, *fhir.Error) {
	name := "_include"
	if rev {
		name = "_revinclude"
	}
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return Include{}, invalidf("%s takes Type:parameter, Type:parameter:TargetType or Type:*, not %s", name, echo(v))
	}
	inc := Include{Type: parts[0], Iterate: iterate}
	if !fhir.IsResourceType(inc.Type) {
		return Include{}, invalidf("%s: %s is not a resource type", name, echo(inc.Type))
	}
	// Without :iterate an _include starts from the matches, and a _revinclude must
	// point at them: anything else could include nothing.
	if !rev && !iterate && inc.Type != p.typ {
		return Include{}, invalidf("%s=%s: a search of %s includes from %s; use %s:iterate to include from other types", name, echo(v), p.typ, p.typ, name)
	}
	if parts[1] == "*" {
		if len(parts) == 3 {
			return Include{}, invalidf("%s=%s: Type:* takes no target type", name, echo(v))
		}
		inc.Wildcard = true
		return inc, nil
	}
	inc.Param = LookupParam(inc.Type, parts[1])
	if inc.Param == nil {
		return Include{}, unsupportedf("%s: %s is not a search parameter of %s", name, echo(parts[1]), inc.Type)
	}
	if inc.Param.Type != TypeReference {
		return Include{}, invalidf("%s: %s of %s is not a reference parameter", name, parts[1], inc.Type)
	}
	if len(parts) == 3 {
		inc.TargetType = parts[2]
		if !fhir.IsResourceType(inc.TargetType) || !refersTo(inc.Param, inc.TargetType) {
			return Include{}, invalidf("%s: %s of %s does not refer to %s", name, parts[1], inc.Type, echo(inc.TargetType))
		}
	}
	if rev && !iterate && !refersTo(inc.Param, p.typ) || rev && !iterate && inc.TargetType != "" && inc.TargetType != p.typ {
		return Include{}, invalidf("%s=%s: %s of %s does not refer to %s", name, echo(v), parts[1], inc.Type, p.typ)
	}
	return inc, nil
}

// cursorParam passes _cursor through: its meaning is the store's (a position in the
// result), and a stale or forged one is the store's to reject.
func (p *parser) cursorParam(_ string, vals []string) {
	if v, ok := p.once(vals); ok {
		p.q.Cursor = v
	}
}
