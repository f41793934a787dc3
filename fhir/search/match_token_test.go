package search

import "testing"

const (
	sys1 = "https://sys.example/one"
	sys2 = "https://sys.example/two"
)

func tok(raw, system, code string) Value {
	v := Value{Raw: raw, System: system, Code: code}
	switch {
	case raw == code:
		v.AnySystem = true
	case code == "":
		v.AnyCode = true
	}
	return v
}

func TestMatchToken(t *testing.T) {
	entries := []Entry{
		{System: sys1, Code: "A", Text: "seasonal influenza vaccine"},
		{System: sys2, Code: "B", Text: "(flu) nasal spray"},
		{Code: "C"},
	}
	text := func(s string) []Value { return []Value{{Raw: s, Text: s}} }
	runMatchCases(t, TypeToken, Matcher{}, []matchCase{
		{"system|code", ModNone, []Value{tok(sys1+"|A", sys1, "A")}, entries, true},
		{"system|code of another system", ModNone, []Value{tok(sys2+"|A", sys2, "A")}, entries, false},
		{"code any system", ModNone, []Value{tok("A", "", "A")}, entries, true},
		{"code any system, no system", ModNone, []Value{tok("C", "", "C")}, entries, true},
		{"|code needs no system", ModNone, []Value{tok("|A", "", "A")}, entries, false},
		{"|code without system", ModNone, []Value{tok("|C", "", "C")}, entries, true},
		{"system|", ModNone, []Value{tok(sys2+"|", sys2, "")}, entries, true},
		{"unknown system|", ModNone, []Value{tok("https://x|", "https://x", "")}, entries, false},
		{"codes are case-sensitive", ModNone, []Value{tok("a", "", "a")}, entries, false},
		{"OR", ModNone, []Value{tok("Z", "", "Z"), tok("B", "", "B")}, entries, true},
		{"no entries", ModNone, []Value{tok("A", "", "A")}, nil, false},

		{":not present code", ModNot, []Value{tok("A", "", "A")}, entries, false},
		{":not absent code", ModNot, []Value{tok("Z", "", "Z")}, entries, true},
		{":not matches a resource without the element", ModNot, []Value{tok("A", "", "A")}, nil, true},
		{":not A,Z is none of them", ModNot, []Value{tok("A", "", "A"), tok("Z", "", "Z")}, entries, false},
		{":not Y,Z", ModNot, []Value{tok("Y", "", "Y"), tok("Z", "", "Z")}, entries, true},
		{":not system|", ModNot, []Value{tok(sys1+"|", sys1, "")}, entries, false},
		{":not system|code of another system", ModNot, []Value{tok(sys2+"|A", sys2, "A")}, entries, true},
		{":not |code", ModNot, []Value{tok("|A", "", "A")}, entries, true},

		{":text start", ModText, text("seasonal"), entries, true},
		{":text word", ModText, text("influenza"), entries, true},
		{":text word prefix", ModText, text("vacc"), entries, true},
		{":text phrase", ModText, text("influenza vaccine"), entries, true},
		{":text after punctuation", ModText, text("flu"), entries, true},
		{":text mid-word", ModText, text("fluenza"), entries, false},
		{":text absent", ModText, text("measles"), entries, false},
		{":text no entries", ModText, text("flu"), nil, false},

		{"above unsupported", ModAbove, []Value{tok("A", "", "A")}, entries, false},
	})
}

func TestMatchTokenOfType(t *testing.T) {
	const v2 = "http://terminology.hl7.org/CodeSystem/v2-0203"
	entries := []Entry{
		{Param: "p", System: sys1, Code: "943"},
		{Param: "p" + OfTypeSuffix, System: v2, Code: "MR", Text: "943"},
	}
	ofType := func(sys, code, val string) []Value {
		return []Value{{Raw: sys + "|" + code + "|" + val, TypeSystem: sys, TypeCode: code, Code: val}}
	}
	runMatchCases(t, TypeToken, Matcher{}, []matchCase{
		{"type and value", ModOfType, ofType(v2, "MR", "943"), entries, true},
		{"other value", ModOfType, ofType(v2, "MR", "944"), entries, false},
		{"other type", ModOfType, ofType(v2, "NI", "943"), entries, false},
		{"other type system", ModOfType, ofType(sys1, "MR", "943"), entries, false},
		{"plain token ignores of-type entries", ModNone, []Value{tok("MR", "", "MR")}, entries, false},
		{"plain token still sees the identifier", ModNone, []Value{tok("943", "", "943")}, entries, true},
		{":not ignores of-type entries", ModNot, []Value{tok("MR", "", "MR")}, entries, true},
		{":missing counts plain entries only", ModMissing, []Value{{Missing: true}}, entries[1:], true},
	})
}

func TestTextMatches(t *testing.T) {
	cases := []struct {
		text, query string
		want        bool
	}{
		{"covid-19 mrna vaccine", "covid", true},
		{"covid-19 mrna vaccine", "19", true},
		{"covid-19 mrna vaccine", "mrna vac", true},
		{"covid-19 mrna vaccine", "rna", false},
		{"covid-19 mrna vaccine", "", true},
		{"", "", true},
		{"", "a", false},
		{"école", "école", true},
		{"l'école", "école", true},
		{"a\xffb", "b", true},
	}
	for _, tc := range cases {
		if got := TextMatches(tc.text, tc.query); got != tc.want {
			t.Errorf("TextMatches(%q, %q) = %v, want %v", tc.text, tc.query, got, tc.want)
		}
	}
}

func TestMatchString(t *testing.T) {
	entries := []Entry{{Text: "siobhan o'brien", Code: "Siobhán O'Brien"}, {Text: "smith", Code: "Smith"}}
	str := func(s string) []Value { return []Value{{Raw: s, Text: s}} }
	exact := func(s string) []Value { return []Value{{Raw: s}} }
	runMatchCases(t, TypeString, Matcher{}, []matchCase{
		{"starts-with", ModNone, str("sio"), entries, true},
		{"whole", ModNone, str("siobhan o'brien"), entries, true},
		{"second entry", ModNone, str("smi"), entries, true},
		{"not a prefix", ModNone, str("o'b"), entries, false},
		{"longer than the entry", ModNone, str("smithson"), entries, false},
		{"empty value", ModNone, str(""), entries, true},
		{"OR", ModNone, []Value{{Text: "jones"}, {Text: "smith"}}, entries, true},
		{":contains", ModContains, str("brie"), entries, true},
		{":contains prefix", ModContains, str("smi"), entries, true},
		{":contains absent", ModContains, str("jones"), entries, false},
		{":exact", ModExact, exact("Siobhán O'Brien"), entries, true},
		{":exact is case-sensitive", ModExact, exact("siobhán o'brien"), entries, false},
		{":exact is accent-sensitive", ModExact, exact("Siobhan O'Brien"), entries, false},
		{":exact is not a prefix", ModExact, exact("Smi"), entries, false},
		{":exact prefers Code", ModExact, []Value{{Raw: "x", Code: "Smith"}}, entries, true},
		{"no entries", ModNone, str("s"), nil, false},
	})
}

func TestMatchURI(t *testing.T) {
	const vs = "http://acme.org/fhir/ValueSet/123"
	entries := []Entry{{Code: vs}}
	uri := func(s string) []Value { return []Value{{Raw: s, Code: s}} }
	runMatchCases(t, TypeURI, Matcher{}, []matchCase{
		{"equal", ModNone, uri(vs), entries, true},
		{"prefix is not equal", ModNone, uri("http://acme.org/fhir"), entries, false},
		{"case-sensitive", ModNone, uri("http://acme.org/fhir/valueset/123"), entries, false},
		{":below parent", ModBelow, uri("http://acme.org/fhir"), entries, true},
		{":below parent with slash", ModBelow, uri("http://acme.org/fhir/"), entries, true},
		{":below itself", ModBelow, uri(vs), entries, true},
		{":below partial segment", ModBelow, uri("http://acme.org/fh"), entries, false},
		{":below child", ModBelow, uri(vs + "/_history/1"), entries, false},
		{":above child", ModAbove, uri(vs + "/_history/1"), entries, true},
		{":above itself", ModAbove, uri(vs), entries, true},
		{":above parent", ModAbove, uri("http://acme.org/fhir"), entries, false},
		{":above partial segment", ModAbove, uri(vs + "4"), entries, false},
		{":contains", ModContains, uri("ValueSet"), entries, true},
		{":contains absent", ModContains, uri("CodeSystem"), entries, false},
	})
}
