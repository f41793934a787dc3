package search

import (
	"errors"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
)

var parseNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// parseCase is one Parse call: on success, want is the canonical encoding (readable:
// keys sorted, not percent-encoded) and check may look closer; on failure code is the
// issue code and diag a part of the diagnostics.
type parseCase struct {
	name    string
	typ     string
	query   string
	strict  bool
	opts    *ParseOptions // nil: no default count, max 1000
	want    string
	ignored []string // parts of Query.Ignored, one per entry, in order
	code    string
	diag    string
	check   func(t *testing.T, q *Query)
}

func TestParse(t *testing.T) {
	var cases []parseCase
	for _, group := range [][]parseCase{tokenCases, stringCases, dateCases, referenceCases,
		uriCases, chainCases, hasCases, unknownCases, resultCases, includeCases, programmeCases, errorCases} {
		cases = append(cases, group...)
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("two cases are named %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) { runParseCase(t, tc) })
	}
}

func runParseCase(t *testing.T, tc parseCase) {
	t.Helper()
	params, err := url.ParseQuery(tc.query)
	if err != nil {
		t.Fatalf("bad test query %q: %v", tc.query, err)
	}
	opts := ParseOptions{MaxCount: 1000, Now: func() time.Time { return parseNow }}
	if tc.opts != nil {
		opts = *tc.opts
	}
	opts.Strict = tc.strict
	q, err := Parse(tc.typ, params, opts)
	if tc.code != "" {
		if err == nil {
			t.Fatalf("Parse(%s, %q) = %s, want a %q error", tc.typ, tc.query, readable(q.Encode()), tc.code)
		}
		checkError(t, tc, err)
		return
	}
	if err != nil {
		t.Fatalf("Parse(%s, %q) = %v, want %s", tc.typ, tc.query, diagnostics(err), tc.want)
	}
	if got := readable(q.Encode()); got != tc.want {
		t.Errorf("Parse(%s, %q).Encode() = %s, want %s", tc.typ, tc.query, got, tc.want)
	}
	notes := append([]string(nil), q.Ignored...) // warnings are listed as "warning: …"
	for _, w := range q.Warnings {
		notes = append(notes, "warning: "+w)
	}
	if len(notes) != len(tc.ignored) {
		t.Errorf("Parse(%s, %q) ignored/warned %q, want %d entries like %q", tc.typ, tc.query, notes, len(tc.ignored), tc.ignored)
	} else {
		for i, part := range tc.ignored {
			if !strings.Contains(notes[i], part) {
				t.Errorf("Parse(%s, %q) note %d = %q, want it to contain %q", tc.typ, tc.query, i, notes[i], part)
			}
		}
	}
	if tc.check != nil {
		tc.check(t, q)
	}
	checkRoundTrip(t, tc.typ, q, opts)
}

func checkError(t *testing.T, tc parseCase, err error) {
	t.Helper()
	var fe *fhir.Error
	if !errors.As(err, &fe) || fe.Kind != fhir.KindInvalid || len(fe.Issues) == 0 {
		t.Fatalf("Parse(%s, %q) error = %#v, want a *fhir.Error of KindInvalid", tc.typ, tc.query, err)
	}
	for _, is := range fe.Issues {
		if is.Code == tc.code && strings.Contains(is.Diagnostics, tc.diag) {
			return
		}
	}
	t.Errorf("Parse(%s, %q) = %s, want a %q issue containing %q", tc.typ, tc.query, diagnostics(err), tc.code, tc.diag)
}

// checkRoundTrip is the encode-then-parse property: the canonical form parses to a query
// with the same canonical form, and nothing in it is ignored.
func checkRoundTrip(t *testing.T, typ string, q *Query, opts ParseOptions) {
	t.Helper()
	enc := q.Encode()
	q2, err := Parse(typ, enc, opts)
	if err != nil {
		t.Fatalf("Parse(%s, %q) (its own Encode) = %v", typ, readable(enc), diagnostics(err))
	}
	if a, b := readable(enc), readable(q2.Encode()); a != b {
		t.Errorf("Parse(%s, %q).Encode() = %s, want it unchanged", typ, a, b)
	}
	for _, ig := range q2.Ignored {
		if !strings.HasPrefix(ig, "warning: ") {
			t.Errorf("Parse(%s, %q) ignored %q of its own Encode", typ, readable(enc), ig)
		}
	}
}

// readable is url.Values as key=value&…, keys sorted, values in order, not escaped.
func readable(v url.Values) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		for _, x := range v[k] {
			parts = append(parts, k+"="+x)
		}
	}
	return strings.Join(parts, "&")
}

func diagnostics(err error) string {
	var fe *fhir.Error
	if !errors.As(err, &fe) {
		return err.Error()
	}
	var ds []string
	for _, is := range fe.Issues {
		ds = append(ds, is.Code+": "+is.Diagnostics)
	}
	return strings.Join(ds, " | ")
}

// value returns the i-th value of the leaf of the first filter.
func value(t *testing.T, q *Query, i int) Value {
	t.Helper()
	if len(q.Filters) == 0 {
		t.Fatalf("no filters")
	}
	leaf := leafOf(&q.Filters[0])
	if i >= len(leaf.Values) {
		t.Fatalf("leaf has %d values, want at least %d", len(leaf.Values), i+1)
	}
	return leaf.Values[i]
}

func wantValue(want Value) func(t *testing.T, q *Query) {
	return func(t *testing.T, q *Query) {
		t.Helper()
		if got := value(t, q, 0); got != want {
			t.Errorf("value = %+v, want %+v", got, want)
		}
	}
}

func wantFilter(mod Modifier, target string, n int) func(t *testing.T, q *Query) {
	return func(t *testing.T, q *Query) {
		t.Helper()
		if len(q.Filters) != n {
			t.Fatalf("%d filters, want %d", len(q.Filters), n)
		}
		f := q.Filters[0]
		if f.Modifier != mod || f.TargetType != target {
			t.Errorf("filter modifier, target = %v, %q; want %v, %q", f.Modifier, f.TargetType, mod, target)
		}
	}
}

func dayRange(s string) (int64, int64) {
	lo, hi, ok := DateRange(s)
	if !ok {
		panic(s)
	}
	return lo, hi
}

var tokenCases = []parseCase{
	{name: "token system|code", typ: "Patient", query: "identifier=http://a|123", want: "identifier=http://a|123",
		check: wantValue(Value{Raw: "http://a|123", System: "http://a", Code: "123"})},
	{name: "token code", typ: "Patient", query: "identifier=123", want: "identifier=123",
		check: wantValue(Value{Raw: "123", Code: "123", AnySystem: true})},
	{name: "token |code", typ: "Patient", query: "identifier=|123", want: "identifier=|123",
		check: wantValue(Value{Raw: "|123", Code: "123"})},
	{name: "token system|", typ: "Patient", query: "identifier=http://a|", want: "identifier=http://a|",
		check: wantValue(Value{Raw: "http://a|", System: "http://a", AnyCode: true})},
	{name: "token comma is or", typ: "Patient", query: "gender=male,female", want: "gender=male,female",
		check: func(t *testing.T, q *Query) {
			if len(q.Filters) != 1 || len(q.Filters[0].Values) != 2 {
				t.Errorf("filters = %+v, want one with two values", q.Filters)
			}
		}},
	{name: "token repeat is and", typ: "Patient", query: "gender=male&gender=female", want: "gender=male&gender=female",
		check: wantFilter(ModNone, "", 2)},
	{name: "token not", typ: "Patient", query: "gender:not=male", want: "gender:not=male", check: wantFilter(ModNot, "", 1)},
	{name: "token text", typ: "Immunization", query: "vaccine-code:text=Grippe Saisonnière", want: "vaccine-code:text=Grippe Saisonnière",
		check: wantValue(Value{Raw: "Grippe Saisonnière", Text: "grippe saisonniere"})},
	{name: "token of-type", typ: "Patient", query: "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|446053",
		want: "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|446053",
		check: wantValue(Value{Raw: "http://terminology.hl7.org/CodeSystem/v2-0203|MR|446053",
			TypeSystem: "http://terminology.hl7.org/CodeSystem/v2-0203", TypeCode: "MR", Code: "446053"})},
	{name: "token missing", typ: "Patient", query: "gender:missing=true", want: "gender:missing=true",
		check: wantValue(Value{Raw: "true", Missing: true})},
	{name: "token missing false", typ: "Patient", query: "gender:missing=false", want: "gender:missing=false"},
	{name: "token escapes", typ: "Patient", query: `identifier=http://a\|b|c\,d\$e\\f`, want: `identifier=http://a\|b|c\,d\$e\\f`,
		check: wantValue(Value{Raw: `http://a|b|c,d$e\f`, System: "http://a|b", Code: `c,d$e\f`})},
	{name: "token escaped comma is not or", typ: "Patient", query: `identifier=a\,b`, want: `identifier=a\,b`,
		check: func(t *testing.T, q *Query) {
			if v := value(t, q, 0); v.Code != "a,b" || len(q.Filters[0].Values) != 1 {
				t.Errorf("values = %+v, want one, a,b", q.Filters[0].Values)
			}
		}},
	{name: "token _id", typ: "Patient", query: "_id=abc,def", want: "_id=abc,def"},
	{name: "token _tag", typ: "Patient", query: "_tag=http://t|x", want: "_tag=http://t|x"},
	{name: "nhs number valid", typ: "Patient", query: "identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009",
		want: "identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009"},
	{name: "nhs number invalid", typ: "Patient", query: "identifier=https://fhir.nhs.uk/Id/nhs-number|1234567890",
		code: "invalid", diag: "Search parameter identifier must be a valid NHS number."},
	{name: "token too many bars", typ: "Patient", query: "identifier=a|b|c", code: "invalid", diag: "more than one unescaped '|'"},
	{name: "token bare bar", typ: "Patient", query: "identifier=|", code: "invalid", diag: "neither a system nor a code"},
	{name: "token of-type short", typ: "Patient", query: "identifier:of-type=MR|123", code: "invalid", diag: "type-system|type-code|value"},
	{name: "token missing not boolean", typ: "Patient", query: "gender:missing=yes", code: "invalid", diag: "true or false"},
	{name: "token in", typ: "Immunization", query: "vaccine-code:in=http://vs", code: "not-supported", diag: ":in modifier"},
	{name: "token not-in", typ: "Immunization", query: "vaccine-code:not-in=http://vs", code: "not-supported", diag: ":not-in"},
	{name: "token above", typ: "Immunization", query: "vaccine-code:above=http://snomed.info/sct|1", code: "not-supported", diag: ":above"},
	{name: "token below lenient still 400", typ: "Immunization", query: "vaccine-code:below=http://snomed.info/sct|1", code: "not-supported", diag: ":below"},
	{name: "token exact", typ: "Patient", query: "gender:exact=male", code: "invalid", diag: "does not apply to a token parameter"},
	{name: "unknown modifier", typ: "Patient", query: "gender:bogus=male", code: "invalid", diag: "is not a search modifier"},
	{name: "empty modifier", typ: "Patient", query: "gender:=male", code: "invalid", diag: "is not a search modifier"},
}

var stringCases = []parseCase{
	{name: "string starts-with normalised", typ: "Patient", query: "name=Siobhán", want: "name=Siobhán",
		check: wantValue(Value{Raw: "Siobhán", Text: "siobhan", Code: "Siobhán"})},
	{name: "string exact", typ: "Patient", query: "name:exact=Smith", want: "name:exact=Smith", check: wantFilter(ModExact, "", 1)},
	{name: "string contains", typ: "Patient", query: "name:contains=mit", want: "name:contains=mit", check: wantFilter(ModContains, "", 1)},
	{name: "string missing", typ: "Patient", query: "family:missing=false", want: "family:missing=false"},
	{name: "string escaped comma", typ: "Patient", query: `name=O\,Brien`, want: `name=O\,Brien`,
		check: wantValue(Value{Raw: "O,Brien", Text: "o,brien", Code: "O,Brien"})},
	{name: "string bar is literal", typ: "Patient", query: `name=a|b`, want: `name=a\|b`,
		check: wantValue(Value{Raw: "a|b", Text: "a|b", Code: "a|b"})},
	{name: "string or", typ: "Patient", query: "name=ann,bob", want: "name=ann,bob"},
	{name: "string not", typ: "Patient", query: "name:not=x", code: "invalid", diag: "does not apply to a string"},
	{name: "string text", typ: "Patient", query: "name:text=x", code: "invalid", diag: "does not apply to a string"},
}

var dateCases = []parseCase{
	{name: "date day", typ: "Patient", query: "birthdate=2000-01-01", want: "birthdate=2000-01-01",
		check: func(t *testing.T, q *Query) {
			lo, hi := dayRange("2000-01-01")
			if v := value(t, q, 0); v.Low != lo || v.High != hi || v.Prefix != PrefixEq {
				t.Errorf("value = %+v, want [%d, %d) eq", v, lo, hi)
			}
		}},
	{name: "date eq dropped", typ: "Patient", query: "birthdate=eq2000", want: "birthdate=2000"},
	{name: "date ne", typ: "Patient", query: "birthdate=ne2000-06", want: "birthdate=ne2000-06"},
	{name: "date gt", typ: "Patient", query: "birthdate=gt2000-06-01T10:00:00Z", want: "birthdate=gt2000-06-01T10:00:00Z"},
	{name: "date lt", typ: "Patient", query: "birthdate=lt2000", want: "birthdate=lt2000"},
	{name: "date ge", typ: "Patient", query: "birthdate=ge2000", want: "birthdate=ge2000"},
	{name: "date le", typ: "Patient", query: "birthdate=le2000", want: "birthdate=le2000"},
	{name: "date sa", typ: "Patient", query: "birthdate=sa2000", want: "birthdate=sa2000"},
	{name: "date eb", typ: "Patient", query: "birthdate=eb2000", want: "birthdate=eb2000"},
	{name: "date ap keeps its own range", typ: "Patient", query: "birthdate=ap2000-01-01", want: "birthdate=ap2000-01-01",
		check: func(t *testing.T, q *Query) {
			lo, hi := dayRange("2000-01-01")
			if v := value(t, q, 0); v.Low != lo || v.High != hi || v.Prefix != PrefixAp {
				t.Errorf("value = %+v, want [%d, %d) ap: Match widens ap, not Parse", v, lo, hi)
			}
		}},
	{name: "date with zone", typ: "Immunization", query: "date=ge2021-03-01T09:30:00%2B01:00", want: "date=ge2021-03-01T09:30:00+01:00"},
	{name: "date unencoded plus", typ: "Immunization", query: "date=ge2021-03-01T09:30:00+01:00", want: "date=ge2021-03-01T09:30:00+01:00"},
	{name: "date or", typ: "Patient", query: "birthdate=2000,2001", want: "birthdate=2000,2001"},
	{name: "date range by and", typ: "Immunization", query: "date=ge2021&date=lt2022", want: "date=ge2021&date=lt2022"},
	{name: "date _lastUpdated", typ: "Patient", query: "_lastUpdated=gt2024-01-01T00:00:00Z", want: "_lastUpdated=gt2024-01-01T00:00:00Z"},
	{name: "date missing", typ: "Patient", query: "birthdate:missing=true", want: "birthdate:missing=true"},
	{name: "date bad month", typ: "Patient", query: "birthdate=2000-13-01", code: "invalid", diag: "is not a date"},
	{name: "date bad prefix", typ: "Patient", query: "birthdate=xx2000", code: "invalid", diag: `"xx" is not a prefix`},
	{name: "date upper-case prefix", typ: "Patient", query: "birthdate=GE2000", code: "invalid", diag: "is not a date"},
	{name: "date prefix only", typ: "Patient", query: "birthdate=ge", code: "invalid", diag: "is not a date"},
	{name: "date exact", typ: "Patient", query: "birthdate:exact=2000", code: "invalid", diag: "does not apply to a date"},
}

var unknownCases = []parseCase{
	{name: "unknown lenient", typ: "Patient", query: "nonsense=1&gender=male", want: "gender=male", ignored: []string{`"nonsense" is not supported for Patient`}},
	{name: "unknown strict", typ: "Patient", query: "nonsense=1&gender=male", strict: true, code: "not-supported", diag: `"nonsense" is not supported for Patient`},
	{name: "unknown with modifier lenient", typ: "Patient", query: "nonsense:exact=1", want: "", ignored: []string{`"nonsense:exact"`}},
	{name: "format and pretty silently", typ: "Patient", query: "_format=json&_pretty=true", strict: true, want: ""},
	{name: "programme parameter on Patient", typ: "Patient", query: "-date.from=2020-01-01", want: "", ignored: []string{`"-date.from"`}},
	{name: "composite", typ: "Group", query: "characteristic-value=http://x|a$true", code: "not-supported", diag: "a composite parameter"},
}

func init() {
	for _, name := range []string{"_contained", "_containedType", "_query", "_filter", "_text", "_content", "_list"} {
		unknownCases = append(unknownCases,
			parseCase{name: name + " lenient", typ: "Patient", query: name + "=x", want: "", ignored: []string{`"` + name + `" is not supported`}},
			parseCase{name: name + " strict", typ: "Patient", query: name + "=x", strict: true, code: "not-supported", diag: `"` + name + `" is not supported`})
	}
}

var errorCases = []parseCase{
	{name: "empty value", typ: "Patient", query: "gender=", code: "invalid", diag: `"gender" has no value`},
	{name: "empty alternative", typ: "Patient", query: "gender=male,", code: "invalid", diag: "an empty value in its list"},
	{name: "every problem reported", typ: "Patient", query: "gender=&birthdate=2000-02-30&_count=x", code: "invalid", diag: "_count",
		check: nil},
	{name: "long values are cut", typ: "Patient", query: "birthdate=" + strings.Repeat("9", 500), code: "invalid", diag: strings.Repeat("9", 64) + `"…`},
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Parse("Patient", url.Values{"gender": {""}, "birthdate": {"2000-02-30"}, "_count": {"x"}}, ParseOptions{})
	var fe *fhir.Error
	if !errors.As(err, &fe) || len(fe.Issues) != 3 {
		t.Fatalf("Parse = %v, want three issues", diagnostics(err))
	}
	if strings.Contains(fe.Details, "2000-02-30") {
		t.Errorf("Details = %q: client values must stay out of the loggable details", fe.Details)
	}
}
