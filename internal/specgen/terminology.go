package main

import (
	"encoding/json"
	"strings"
)

// terminology holds the package's value sets and code systems by canonical URL.
type terminology struct {
	valueSets   map[string]valueSet
	codeSystems map[string]codeSystem
}

type valueSet struct {
	URL     string `json:"url"`
	Compose struct {
		Include []include `json:"include"`
		Exclude []include `json:"exclude"`
	} `json:"compose"`
}

type include struct {
	System   string                  `json:"system"`
	ValueSet []string                `json:"valueSet"`
	Concept  []struct{ Code string } `json:"concept"`
	Filter   []json.RawMessage       `json:"filter"`
}

type codeSystem struct {
	URL     string    `json:"url"`
	Content string    `json:"content"`
	Concept []concept `json:"concept"`
}

type concept struct {
	Code    string    `json:"code"`
	Concept []concept `json:"concept"`
}

func loadTerminology(pkg string) (*terminology, error) {
	vss, err := readAll[valueSet](pkg, "ValueSet-*.json")
	if err != nil {
		return nil, err
	}
	css, err := readAll[codeSystem](pkg, "CodeSystem-*.json")
	if err != nil {
		return nil, err
	}
	ts := &terminology{valueSets: map[string]valueSet{}, codeSystems: map[string]codeSystem{}}
	for _, v := range vss {
		ts.valueSets[v.URL] = v
	}
	for _, c := range css {
		ts.codeSystems[c.URL] = c
	}
	return ts, nil
}

// expand returns the codes of a value set by system, or false when the set cannot be
// expanded from the package alone (external systems such as BCP-13 mime types, UCUM,
// ISO 4217, filters, fragments).
func (ts *terminology) expand(url string, depth int) (map[string]map[string]bool, bool) {
	vs, ok := ts.valueSets[url]
	if !ok || depth > 8 {
		return nil, false
	}
	out := map[string]map[string]bool{}
	for _, inc := range vs.Compose.Include {
		if !ts.include(out, inc, depth, true) {
			return nil, false
		}
	}
	for _, exc := range vs.Compose.Exclude {
		if !ts.include(out, exc, depth, false) {
			return nil, false
		}
	}
	return out, len(out) > 0
}

// include adds (or, for an exclude, removes) the codes one compose entry selects.
func (ts *terminology) include(out map[string]map[string]bool, inc include, depth int, add bool) bool {
	if len(inc.Filter) > 0 || (inc.System != "" && len(inc.ValueSet) > 0) {
		return false
	}
	sel := map[string]map[string]bool{}
	for _, u := range inc.ValueSet {
		codes, ok := ts.expand(strings.SplitN(u, "|", 2)[0], depth+1)
		if !ok {
			return false
		}
		for sys, set := range codes {
			for c := range set {
				addCode(sel, sys, c)
			}
		}
	}
	if inc.System != "" && len(inc.Concept) > 0 {
		for _, c := range inc.Concept {
			addCode(sel, inc.System, c.Code)
		}
	} else if inc.System != "" {
		cs, ok := ts.codeSystems[inc.System]
		if !ok || cs.Content != "complete" {
			return false
		}
		addConcepts(sel, inc.System, cs.Concept)
	}
	for sys, set := range sel {
		for c := range set {
			if add {
				addCode(out, sys, c)
			} else {
				delete(out[sys], c)
			}
		}
	}
	return true
}

func addConcepts(out map[string]map[string]bool, sys string, cs []concept) {
	for _, c := range cs {
		addCode(out, sys, c.Code)
		addConcepts(out, sys, c.Concept)
	}
}

func addCode(out map[string]map[string]bool, sys, code string) {
	if out[sys] == nil {
		out[sys] = map[string]bool{}
	}
	out[sys][code] = true
}
