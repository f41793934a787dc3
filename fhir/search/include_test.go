package search

import "testing"

func TestIncludeTargets(t *testing.T) {
	p := testParam("subject", TypeReference, "Patient", "Group")
	obj := res("Immunization", "i", map[string][]Entry{"subject": {
		{RefType: "Patient", RefID: "1"},
		{RefType: "Group", RefID: "g"},
		{URL: "http://elsewhere.org/Patient/2"},
		{System: nhsNumber, Code: "111"},
	}})
	cases := []struct {
		name string
		inc  Include
		want string
	}{
		{"every local reference", Include{Type: "Immunization", Param: p}, "Patient/1 Group/g"},
		{"to one target type", Include{Type: "Immunization", Param: p, TargetType: "Group"}, "Group/g"},
		{"of another type", Include{Type: "Observation", Param: p}, ""},
		{"not a reference parameter", Include{Type: "Immunization", Param: testParam("subject", TypeToken)}, ""},
		{"no parameter", Include{Type: "Immunization"}, ""},
	}
	for _, tc := range cases {
		var got []string
		for _, e := range IncludeTargets(tc.inc, obj) {
			got = append(got, e.RefType+"/"+e.RefID)
		}
		if joinIDs(got) != tc.want {
			t.Errorf("IncludeTargets(%s) = %q, want %q", tc.name, joinIDs(got), tc.want)
		}
	}
}

func TestIncludes(t *testing.T) {
	objs := chainFixture()
	r := NewMemResolver(objs)
	get := func(typ, id string) map[string]any {
		obj, ok := r.Resolve(typ, id)
		if !ok {
			t.Fatalf("fixture has no %s/%s", typ, id)
		}
		return obj
	}
	incPatient := Include{Type: "Immunization", Param: immPatient}
	incGP := Include{Type: "Patient", Param: patGP}
	revImm := Include{Type: "Immunization", Param: immPatient}
	revProv := Include{Type: "Provenance", Param: provTarget}
	iter := func(inc Include) Include { inc.Iterate = true; return inc }
	cases := []struct {
		name    string
		q       Query
		matches []map[string]any
		limit   int
		want    string
		trunc   bool
	}{
		{"_include", Query{Include: []Include{incPatient}},
			[]map[string]any{get("Immunization", "i1"), get("Immunization", "i5"), get("Immunization", "i2")}, 0,
			"Patient/p1 Patient/p2", false},
		{"dangling references include nothing", Query{Include: []Include{incPatient}},
			[]map[string]any{get("Immunization", "i4")}, 0, "", false},
		{"_include without :iterate stops after one step", Query{Include: []Include{incPatient, incGP}},
			[]map[string]any{get("Immunization", "i1")}, 0, "Patient/p1", false},
		{"_include:iterate follows included resources", Query{Include: []Include{incPatient, iter(incGP)}},
			[]map[string]any{get("Immunization", "i1"), get("Immunization", "i3")}, 0,
			"Patient/p1 Patient/p3 Organization/o1 Practitioner/pr1", false},
		{"_revinclude", Query{RevInclude: []Include{revImm}},
			[]map[string]any{get("Patient", "p1"), get("Patient", "p4")}, 0, "Immunization/i1 Immunization/i5", false},
		{"_revinclude restricted to a target type", Query{RevInclude: []Include{{Type: "Immunization", Param: immPatient, TargetType: "Group"}}},
			[]map[string]any{get("Patient", "p1")}, 0, "", false},
		{"_revinclude then _revinclude:iterate", Query{RevInclude: []Include{revImm, iter(revProv)}},
			[]map[string]any{get("Patient", "p1")}, 0, "Immunization/i1 Immunization/i5 Provenance/v2", false},
		{"_revinclude without :iterate stops", Query{RevInclude: []Include{revImm, revProv}},
			[]map[string]any{get("Patient", "p1")}, 0, "Immunization/i1 Immunization/i5", false},
		{"_include and _revinclude, matches excluded", Query{Include: []Include{incPatient}, RevInclude: []Include{revImm}},
			[]map[string]any{get("Immunization", "i1"), get("Patient", "p1")}, 0, "Immunization/i5", false},
		{"de-duplicated", Query{Include: []Include{incPatient, incPatient}},
			[]map[string]any{get("Immunization", "i1"), get("Immunization", "i5")}, 0, "Patient/p1", false},
		{"capped", Query{RevInclude: []Include{revImm}},
			[]map[string]any{get("Patient", "p1")}, 1, "Immunization/i1", true},
		{"exactly at the cap", Query{RevInclude: []Include{revImm}},
			[]map[string]any{get("Patient", "p1")}, 2, "Immunization/i1 Immunization/i5", false},
		{"no includes", Query{}, []map[string]any{get("Patient", "p1")}, 0, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, trunc := Includes(&tc.q, tc.matches, r, tc.limit)
			if refs(got) != tc.want || trunc != tc.trunc {
				t.Errorf("Includes = %q, %v; want %q, %v", refs(got), trunc, tc.want, tc.trunc)
			}
		})
	}
	if got, _ := Includes(&Query{Include: []Include{incPatient}}, []map[string]any{get("Immunization", "i1")}, nil, 0); len(got) != 0 {
		t.Errorf("Includes without a resolver = %q, want none", refs(got))
	}
}

// TestIncludesCycles: A → B → A, and a longer ring, must end and include each once.
func TestIncludesCycles(t *testing.T) {
	next := testParam("next", TypeReference, "Node")
	node := func(id string, to ...string) map[string]any {
		var es []Entry
		for _, t := range to {
			es = append(es, Entry{RefType: "Node", RefID: t})
		}
		return res("Node", id, map[string][]Entry{"next": es})
	}
	objs := []map[string]any{node("a", "b"), node("b", "a"), node("c", "d"), node("d", "e"), node("e", "c", "c"), node("self", "self")}
	r := NewMemResolver(objs)
	inc := Include{Type: "Node", Param: next, Iterate: true}
	rev := Include{Type: "Node", Param: next, Iterate: true}
	cases := []struct {
		name  string
		q     Query
		match string
		want  string
	}{
		{"A → B → A", Query{Include: []Include{inc}}, "a", "Node/b"},
		{"ring of three", Query{Include: []Include{inc}}, "c", "Node/d Node/e"},
		{"ring of three, reversed", Query{RevInclude: []Include{rev}}, "c", "Node/e Node/d"},
		{"both ways", Query{Include: []Include{inc}, RevInclude: []Include{rev}}, "d", "Node/e Node/c"},
		{"a self-reference", Query{Include: []Include{inc}, RevInclude: []Include{rev}}, "self", ""},
	}
	for _, tc := range cases {
		m, _ := r.Resolve("Node", tc.match)
		got, trunc := Includes(&tc.q, []map[string]any{m}, r, 0)
		if refs(got) != tc.want || trunc {
			t.Errorf("%s: Includes = %q, %v; want %q, false", tc.name, refs(got), trunc, tc.want)
		}
	}
}

func refs(objs []map[string]any) string {
	var out []string
	for _, o := range objs {
		out = append(out, resourceRef(o))
	}
	return joinIDs(out)
}
