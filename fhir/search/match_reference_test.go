package search

import "testing"

const nhsNumber = "https://fhir.nhs.uk/Id/nhs-number"

func TestMatchReference(t *testing.T) {
	entries := []Entry{
		{RefType: "Patient", RefID: "1", Text: "jane smith"},
		{URL: "http://other.org/fhir/Practitioner/9"},
		{System: nhsNumber, Code: "9434765919"},
	}
	ref := func(typ, id string) []Value { return []Value{{Raw: typ + "/" + id, RefType: typ, RefID: id}} }
	url := func(u string) []Value { return []Value{{Raw: u, URL: u}} }
	ident := func(raw, sys, code string) []Value { return []Value{tok(raw, sys, code)} }
	cases := []matchCase{
		{"Type/id", ModNone, ref("Patient", "1"), entries, true},
		{"other type", ModNone, ref("Group", "1"), entries, false},
		{"other id", ModNone, ref("Patient", "2"), entries, false},
		{"id alone, any type", ModNone, ref("", "1"), entries, true},
		{"id alone, other id", ModNone, ref("", "9"), entries, false},
		{"absolute URL ending in Type/id", ModNone, url("https://nims.example/fhir/Patient/1"), entries, true},
		{"absolute URL with history", ModNone, url("https://nims.example/fhir/Patient/1/_history/3"), entries, true},
		{"absolute URL of another id", ModNone, url("https://nims.example/fhir/Patient/2"), entries, false},
		{"absolute URL equal to the entry", ModNone, url("http://other.org/fhir/Practitioner/9"), entries, true},
		{"absolute URL: an absolute entry is not local", ModNone, url("http://elsewhere.org/Practitioner/9"), entries, false},
		{"absolute URL not ending in a reference", ModNone, url("http://other.org/fhir/Practitioner"), entries, false},
		{"the identifier is not a reference", ModNone, ref("", "9434765919"), entries, false},
		{"OR", ModNone, append(ref("Patient", "2"), ref("Patient", "1")...), entries, true},
		{":identifier system|value", ModIdentifier, ident(nhsNumber+"|9434765919", nhsNumber, "9434765919"), entries, true},
		{":identifier value", ModIdentifier, ident("9434765919", "", "9434765919"), entries, true},
		{":identifier other system", ModIdentifier, ident(sys1+"|9434765919", sys1, "9434765919"), entries, false},
		{":identifier system|", ModIdentifier, ident(nhsNumber+"|", nhsNumber, ""), entries, true},
		{":identifier does not see references", ModIdentifier, ident("1", "", "1"), entries, false},
		{":text display", ModText, []Value{{Raw: "smith", Text: "smith"}}, entries, true},
		{"no entries", ModNone, ref("Patient", "1"), nil, false},
	}
	runMatchCases(t, TypeReference, Matcher{}, cases)

	p := testParam("p", TypeReference, "Patient", "Group", "Practitioner")
	obj := res("Immunization", "x", map[string][]Entry{"p": entries})
	for _, tc := range []struct {
		name   string
		target string
		value  Value
		want   bool
	}{
		{":Patient with id", "Patient", Value{RefID: "1"}, true},
		{":Patient with Type/id", "Patient", Value{RefType: "Patient", RefID: "1"}, true},
		{":Group with id", "Group", Value{RefID: "1"}, false},
		{":Practitioner with the URL", "Practitioner", Value{URL: "http://other.org/fhir/Practitioner/9"}, true},
		{":Patient with the URL", "Patient", Value{URL: "http://other.org/fhir/Practitioner/9"}, false},
	} {
		q := one("Immunization", Filter{Param: p, Modifier: ModType, TargetType: tc.target, Values: []Value{tc.value}})
		if got := Match(q, obj); got != tc.want {
			t.Errorf("Match(p:%s=%+v) = %v, want %v", tc.target, tc.value, got, tc.want)
		}
	}
}

// The chain fixture: Immunization.patient → Patient.general-practitioner →
// Organization.identifier, and Provenance.target → Immunization for _has.
var (
	immPatient = testParam("patient", TypeReference, "Patient")
	patGP      = testParam("general-practitioner", TypeReference, "Organization", "Practitioner")
	orgIdent   = testParam("identifier", TypeToken)
	patIdent   = testParam("identifier", TypeToken)
	immCode    = testParam("vaccine-code", TypeToken)
	provTarget = testParam("target", TypeReference)
	provAgent  = testParam("agent", TypeToken)
)

const ods = "https://fhir.nhs.uk/Id/ods-organization-code"

func chainFixture() []map[string]any {
	refTo := func(typ, id string) []Entry { return []Entry{{RefType: typ, RefID: id}} }
	return []map[string]any{
		res("Organization", "o1", map[string][]Entry{"identifier": {{System: ods, Code: "A81001"}}}),
		res("Organization", "o2", map[string][]Entry{"identifier": {{System: ods, Code: "B82002"}}}),
		res("Practitioner", "pr1", map[string][]Entry{"identifier": {{System: ods, Code: "A81001"}}}),
		res("Patient", "p1", map[string][]Entry{"identifier": {{System: nhsNumber, Code: "111"}}, "general-practitioner": refTo("Organization", "o1")}),
		res("Patient", "p2", map[string][]Entry{"identifier": {{System: nhsNumber, Code: "222"}}, "general-practitioner": refTo("Organization", "o2")}),
		res("Patient", "p3", map[string][]Entry{"general-practitioner": append(refTo("Practitioner", "pr1"), refTo("Organization", "gone")...)}),
		res("Patient", "p4", nil),
		res("Immunization", "i1", map[string][]Entry{"patient": refTo("Patient", "p1"), "vaccine-code": {{Code: "flu"}}}),
		res("Immunization", "i2", map[string][]Entry{"patient": refTo("Patient", "p2"), "vaccine-code": {{Code: "covid"}}}),
		res("Immunization", "i3", map[string][]Entry{"patient": refTo("Patient", "p3"), "vaccine-code": {{Code: "flu"}}}),
		res("Immunization", "i4", map[string][]Entry{"patient": refTo("Patient", "nobody")}),
		res("Immunization", "i5", map[string][]Entry{"patient": refTo("Patient", "p1"), "vaccine-code": {{Code: "covid"}}}),
		res("Provenance", "v1", map[string][]Entry{"target": refTo("Immunization", "i2"), "agent": {{Code: "pharmacy"}}}),
		res("Provenance", "v2", map[string][]Entry{"target": refTo("Immunization", "i1"), "agent": {{Code: "gp"}}}),
	}
}

// matching returns the ids of the resources of q.Type in objs that q matches through r.
func matching(q *Query, objs []map[string]any, r Resolver) []string {
	var ids []string
	for _, obj := range objs {
		if MatchWith(q, obj, r) {
			_, id := resourceKey(obj)
			ids = append(ids, id)
		}
	}
	return ids
}

func code(c string) Value { return Value{Raw: c, Code: c, AnySystem: true} }

func TestMatchChain(t *testing.T) {
	objs := chainFixture()
	r := NewMemResolver(objs)
	odsValue := Value{Raw: ods + "|A81001", System: ods, Code: "A81001"}
	cases := []struct {
		name string
		f    Filter
		want string
	}{
		{"patient.identifier", Filter{Param: immPatient, TargetType: "Patient",
			Chain: &Filter{Param: patIdent, Values: []Value{code("222")}}}, "i2"},
		{"patient.identifier OR", Filter{Param: immPatient, TargetType: "Patient",
			Chain: &Filter{Param: patIdent, Values: []Value{code("222"), code("111")}}}, "i1 i2 i5"},
		{"patient.general-practitioner:Organization.identifier", Filter{Param: immPatient, TargetType: "Patient",
			Chain: &Filter{Param: patGP, TargetType: "Organization",
				Chain: &Filter{Param: orgIdent, Values: []Value{odsValue}}}}, "i1 i5"},
		{"patient.general-practitioner:Practitioner.identifier", Filter{Param: immPatient, TargetType: "Patient",
			Chain: &Filter{Param: patGP, TargetType: "Practitioner",
				Chain: &Filter{Param: orgIdent, Values: []Value{odsValue}}}}, "i3"},
		{"patient.general-practitioner.identifier, any target type", Filter{Param: immPatient, TargetType: "Patient",
			Chain: &Filter{Param: patGP,
				Chain: &Filter{Param: orgIdent, Values: []Value{odsValue}}}}, "i1 i3 i5"},
		{"chained :missing", Filter{Param: immPatient, TargetType: "Patient",
			Chain: &Filter{Param: patIdent, Modifier: ModMissing, Values: []Value{{Missing: true}}}}, "i3"},
		{"chained :not", Filter{Param: immPatient, TargetType: "Patient",
			Chain: &Filter{Param: patIdent, Modifier: ModNot, Values: []Value{code("111")}}}, "i2 i3"},
		{"patient:Group.identifier", Filter{Param: immPatient, TargetType: "Group",
			Chain: &Filter{Param: patIdent, Values: []Value{code("111")}}}, ""},
	}
	imms := r.All("Immunization")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := one("Immunization", tc.f)
			if got := joinIDs(matching(q, imms, r)); got != tc.want {
				t.Errorf("Immunization?%s = %q, want %q", tc.name, got, tc.want)
			}
			if got := matching(q, imms, nil); len(got) != 0 {
				t.Errorf("Immunization?%s without a resolver = %q, want none", tc.name, got)
			}
		})
	}
}

func TestMatchHas(t *testing.T) {
	objs := chainFixture()
	r := NewMemResolver(objs)
	cases := []struct {
		name string
		typ  string
		f    Filter
		want string
	}{
		{"_has:Immunization:patient:vaccine-code=flu", "Patient", Filter{Has: &Has{Type: "Immunization", RefParam: immPatient,
			Filter: Filter{Param: immCode, Values: []Value{code("flu")}}}}, "p1 p3"},
		{"_has:Immunization:patient:vaccine-code=covid", "Patient", Filter{Has: &Has{Type: "Immunization", RefParam: immPatient,
			Filter: Filter{Param: immCode, Values: []Value{code("covid")}}}}, "p1 p2"},
		{"_has:Immunization:patient:vaccine-code=mmr", "Patient", Filter{Has: &Has{Type: "Immunization", RefParam: immPatient,
			Filter: Filter{Param: immCode, Values: []Value{code("mmr")}}}}, ""},
		{"nested: _has:Immunization:patient:_has:Provenance:target:agent=pharmacy", "Patient",
			Filter{Has: &Has{Type: "Immunization", RefParam: immPatient,
				Filter: Filter{Has: &Has{Type: "Provenance", RefParam: provTarget,
					Filter: Filter{Param: provAgent, Values: []Value{code("pharmacy")}}}}}}, "p2"},
		{"nested: agent=gp,pharmacy", "Patient",
			Filter{Has: &Has{Type: "Immunization", RefParam: immPatient,
				Filter: Filter{Has: &Has{Type: "Provenance", RefParam: provTarget,
					Filter: Filter{Param: provAgent, Values: []Value{code("gp"), code("pharmacy")}}}}}}, "p1 p2"},
		{"_has with a chain: _has:Immunization:patient:patient.identifier=111", "Patient",
			Filter{Has: &Has{Type: "Immunization", RefParam: immPatient,
				Filter: Filter{Param: immPatient, TargetType: "Patient", Chain: &Filter{Param: patIdent, Values: []Value{code("111")}}}}}, "p1"},
		{"a chain to a _has: Immunization?patient._has:Immunization:patient:vaccine-code=flu", "Immunization",
			Filter{Param: immPatient, TargetType: "Patient", Chain: &Filter{Has: &Has{Type: "Immunization", RefParam: immPatient,
				Filter: Filter{Param: immCode, Values: []Value{code("flu")}}}}}, "i1 i3 i5"},
		{"_has on Organization two deep", "Organization",
			Filter{Has: &Has{Type: "Patient", RefParam: patGP,
				Filter: Filter{Has: &Has{Type: "Immunization", RefParam: immPatient,
					Filter: Filter{Param: immCode, Values: []Value{code("covid")}}}}}}, "o1 o2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := one(tc.typ, tc.f)
			if got := joinIDs(matching(q, r.All(tc.typ), r)); got != tc.want {
				t.Errorf("%s?%s = %q, want %q", tc.typ, tc.name, got, tc.want)
			}
			if got := matching(q, r.All(tc.typ), nil); len(got) != 0 {
				t.Errorf("%s?%s without a resolver = %q, want none", tc.typ, tc.name, got)
			}
		})
	}
}

func TestMemResolver(t *testing.T) {
	objs := chainFixture()
	newer := res("Patient", "p1", map[string][]Entry{"identifier": {{Code: "new"}}})
	r := NewMemResolver(append(objs, newer))
	if got, ok := r.Resolve("Patient", "p1"); !ok || got["identifier"].([]Entry)[0].Code != "new" {
		t.Errorf("Resolve(Patient/p1) = %v, %v; want the newer version", got, ok)
	}
	if _, ok := r.Resolve("Patient", "nobody"); ok {
		t.Errorf("Resolve(Patient/nobody) found something")
	}
	if got := len(r.All("Patient")); got != 4 {
		t.Errorf("len(All(Patient)) = %d, want 4", got)
	}
	if got := ids(r.Referrers("Immunization", immPatient, "Patient", "p1")); got != "i1 i5" {
		t.Errorf("Referrers(Immunization.patient → Patient/p1) = %q, want %q", got, "i1 i5")
	}
	if got := ids(r.Referrers("Immunization", nil, "Patient", "p1")); got != "" {
		t.Errorf("Referrers with a nil param = %q, want none", got)
	}
}

func ids(objs []map[string]any) string {
	var out []string
	for _, o := range objs {
		_, id := resourceKey(o)
		out = append(out, id)
	}
	return joinIDs(out)
}

func joinIDs(ids []string) string {
	s := ""
	for i, id := range ids {
		if i > 0 {
			s += " "
		}
		s += id
	}
	return s
}
