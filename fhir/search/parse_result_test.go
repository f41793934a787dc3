package search

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

var resultCases = []parseCase{
	{name: "sort", typ: "Patient", query: "_sort=family,-birthdate,_lastUpdated", want: "_sort=family,-birthdate,_lastUpdated",
		check: func(t *testing.T, q *Query) {
			want := []SortKey{{Param: LookupParam("Patient", "family")}, {Param: LookupParam("Patient", "birthdate"), Descending: true},
				{Param: LookupParam("Patient", "_lastUpdated")}}
			if !reflect.DeepEqual(q.Sort, want) {
				t.Errorf("Sort = %+v, want %+v", q.Sort, want)
			}
		}},
	{name: "sort _id", typ: "Patient", query: "_sort=-_id", want: "_sort=-_id"},
	{name: "sort unknown", typ: "Patient", query: "_sort=nonsense", code: "not-supported", diag: `"nonsense" is not a search parameter of Patient`},
	{name: "sort by reference", typ: "Patient", query: "_sort=organization", code: "not-supported", diag: "a reference parameter"},
	{name: "sort twice in list", typ: "Patient", query: "_sort=family,-family", code: "invalid", diag: "more than once"},
	{name: "sort repeated", typ: "Patient", query: "_sort=family&_sort=given", code: "invalid", diag: "only once"},
	{name: "sort empty key", typ: "Patient", query: "_sort=family,", code: "invalid", diag: "empty key"},
	{name: "sort dash only", typ: "Patient", query: "_sort=-", code: "invalid", diag: "empty key"},
	{name: "sort modifier", typ: "Patient", query: "_sort:asc=family", code: "invalid", diag: "takes no modifier"},
	{name: "count", typ: "Patient", query: "_count=10", want: "_count=10"},
	{name: "count default", typ: "Patient", query: "", opts: &ParseOptions{DefaultCount: 20, MaxCount: 100}, want: "_count=20"},
	{name: "count capped", typ: "Patient", query: "_count=5000", opts: &ParseOptions{DefaultCount: 20, MaxCount: 100}, want: "_count=100"},
	{name: "count overflow capped", typ: "Patient", query: "_count=99999999999999999999999", opts: &ParseOptions{MaxCount: 100}, want: "_count=100"},
	{name: "count zero is count only", typ: "Patient", query: "_count=0&_summary=data", opts: &ParseOptions{DefaultCount: 20},
		want: "_count=20&_summary=count"},
	{name: "count not a number", typ: "Patient", query: "_count=ten", code: "invalid", diag: "_count must be a whole number"},
	{name: "count negative", typ: "Patient", query: "_count=-1", code: "invalid", diag: "_count must be a whole number"},
	{name: "count fraction", typ: "Patient", query: "_count=1.5", code: "invalid", diag: "_count must be a whole number"},
	{name: "count empty", typ: "Patient", query: "_count=", code: "invalid", diag: "has no value"},
	{name: "total none is the default", typ: "Patient", query: "_total=none", want: ""},
	{name: "total estimate", typ: "Patient", query: "_total=estimate", want: "_total=estimate"},
	{name: "total accurate", typ: "Patient", query: "_total=accurate", want: "_total=accurate"},
	{name: "total bad", typ: "Patient", query: "_total=all", code: "invalid", diag: "_total must be none, estimate or accurate"},
	{name: "summary true", typ: "Patient", query: "_summary=true", want: "_summary=true"},
	{name: "summary text", typ: "Patient", query: "_summary=text", want: "_summary=text"},
	{name: "summary data", typ: "Patient", query: "_summary=data", want: "_summary=data"},
	{name: "summary count", typ: "Patient", query: "_summary=count", want: "_summary=count"},
	{name: "summary false is the default", typ: "Patient", query: "_summary=false", want: ""},
	{name: "summary bad", typ: "Patient", query: "_summary=yes", code: "invalid", diag: "_summary must be true, text, data, count or false"},
	{name: "elements sorted without repeats", typ: "Patient", query: "_elements=name,birthDate&_elements=name,id", want: "_elements=birthDate,id,name"},
	{name: "elements path", typ: "Patient", query: "_elements=Patient.name", code: "invalid", diag: `"Patient.name" is not an element name`},
	{name: "elements empty name", typ: "Patient", query: "_elements=name,,id", code: "invalid", diag: `"" is not an element name`},
	{name: "cursor", typ: "Patient", query: "_cursor=opaque-123&gender=male", want: "_cursor=opaque-123&gender=male"},
	{name: "cursor twice", typ: "Patient", query: "_cursor=a&_cursor=b", code: "invalid", diag: "only once"},
}

var includeCases = []parseCase{
	{name: "include", typ: "Immunization", query: "_include=Immunization:patient", want: "_include=Immunization:patient",
		check: func(t *testing.T, q *Query) {
			want := []Include{{Type: "Immunization", Param: LookupParam("Immunization", "patient")}}
			if !reflect.DeepEqual(q.Include, want) {
				t.Errorf("Include = %+v, want %+v", q.Include, want)
			}
		}},
	{name: "include target type", typ: "Immunization", query: "_include=Immunization:performer:Organization",
		want: "_include=Immunization:performer:Organization"},
	{name: "include wildcard", typ: "Immunization", query: "_include=Immunization:*", want: "_include=Immunization:*",
		check: func(t *testing.T, q *Query) {
			if len(q.Include) != 1 || !q.Include[0].Wildcard || q.Include[0].Param != nil {
				t.Errorf("Include = %+v, want a wildcard", q.Include)
			}
		}},
	{name: "include iterate", typ: "Immunization", query: "_include=Immunization:patient&_include:iterate=Patient:general-practitioner",
		want: "_include=Immunization:patient&_include:iterate=Patient:general-practitioner"},
	{name: "include recurse is iterate", typ: "Immunization", query: "_include:recurse=Patient:organization",
		want: "_include:iterate=Patient:organization"},
	{name: "include repeated once", typ: "Immunization", query: "_include=Immunization:patient&_include=Immunization:patient",
		want: "_include=Immunization:patient"},
	{name: "include other type", typ: "Immunization", query: "_include=Patient:organization", code: "invalid", diag: "use _include:iterate"},
	{name: "include not a reference", typ: "Immunization", query: "_include=Immunization:status", code: "invalid", diag: "is not a reference parameter"},
	{name: "include unknown", typ: "Immunization", query: "_include=Immunization:nonsense", code: "not-supported", diag: `"nonsense" is not a search parameter`},
	{name: "include no parameter", typ: "Immunization", query: "_include=Immunization", code: "invalid", diag: "Type:parameter"},
	{name: "include not a type", typ: "Immunization", query: "_include:iterate=Nonsense:x", code: "invalid", diag: "is not a resource type"},
	{name: "include bad target", typ: "Immunization", query: "_include=Immunization:performer:Patient", code: "invalid", diag: "does not refer to"},
	{name: "include wildcard target", typ: "Immunization", query: "_include=Immunization:*:Patient", code: "invalid", diag: "takes no target type"},
	{name: "include bad modifier", typ: "Immunization", query: "_include:all=Immunization:patient", code: "invalid", diag: ":iterate"},
	{name: "revinclude", typ: "Patient", query: "_revinclude=Immunization:patient", want: "_revinclude=Immunization:patient"},
	{name: "revinclude iterate", typ: "Patient", query: "_revinclude=Immunization:patient&_revinclude:iterate=Flag:patient",
		want: "_revinclude=Immunization:patient&_revinclude:iterate=Flag:patient"},
	{name: "revinclude wildcard", typ: "Patient", query: "_revinclude=Immunization:*", want: "_revinclude=Immunization:*"},
	{name: "revinclude not to the type", typ: "Organization", query: "_revinclude=Immunization:patient", code: "invalid", diag: "does not refer to Organization"},
}

var programmeCases = []parseCase{
	{name: "date.from and date.to", typ: "Immunization", query: "-date.from=2021-01-01&-date.to=2021-12-31",
		want: "date=ge2021-01-01&date=le2021-12-31",
		check: func(t *testing.T, q *Query) {
			lo, hi := dayRange("2021-01-01")
			if v := value(t, q, 0); v.Prefix != PrefixGe || v.Low != lo || v.High != hi {
				t.Errorf("value = %+v, want ge [%d, %d)", v, lo, hi)
			}
		}},
	{name: "date.from alone", typ: "Immunization", query: "-date.from=2021-01-01", want: "date=ge2021-01-01"},
	{name: "date.to same day", typ: "Immunization", query: "-date.from=2021-01-01&-date.to=2021-01-01", want: "date=ge2021-01-01&date=le2021-01-01"},
	{name: "date.from after date.to", typ: "Immunization", query: "-date.from=2022-01-01&-date.to=2021-12-31",
		code: "invalid", diag: "-date.from must not be later than -date.to"},
	{name: "date.from month", typ: "Immunization", query: "-date.from=2021-01", code: "invalid", diag: "-date.from must be in format: YYYY-MM-DD"},
	{name: "date.to not a day", typ: "Immunization", query: "-date.to=2021-02-30", code: "invalid", diag: "-date.to must be in format: YYYY-MM-DD"},
	{name: "date.from prefix", typ: "Immunization", query: "-date.from=ge2021-01-01", code: "invalid", diag: "YYYY-MM-DD"},
	{name: "date.from twice", typ: "Immunization", query: "-date.from=2021-01-01&-date.from=2021-02-01", code: "invalid", diag: "one value at most"},
	{name: "date.from modifier", typ: "Immunization", query: "-date.from:missing=true", code: "invalid", diag: "takes no modifier"},
	{name: "vaccine targets", typ: "Immunization", query: "-immunization.target=FLU,COVID,FLU", want: "-immunization.target=FLU,COVID",
		check: wantValue(Value{Raw: "FLU", Code: "FLU", AnySystem: true})},
	{name: "vaccine targets all invalid", typ: "Immunization", query: "-immunization.target=FLu",
		code: "invalid", diag: "-immunization.target must be one or more of the following: 3IN1, 4IN1, 6IN1, BCG, COVID, FLU"},
	{name: "vaccine targets some invalid", typ: "Immunization", query: "-immunization.target=FLU,FLu,covid",
		want: "-immunization.target=FLU", ignored: []string{`warning: Your search included invalid -immunization.target value(s) that were ignored: "FLu", "covid"`}},
	{name: "vaccine targets not", typ: "Immunization", query: "-immunization.target:not=FLU", want: "-immunization.target:not=FLU"},
	{name: "vaccine targets missing", typ: "Immunization", query: "-immunization.target:missing=true", want: "-immunization.target:missing=true"},
	{name: "target disease combination vaccines", typ: "Immunization", query: "target-disease=http://snomed.info/sct|14189004",
		want: "-immunization.target=MMR,MMRV"},
	{name: "target disease or", typ: "Immunization", query: "target-disease=http://snomed.info/sct|14189004,http://snomed.info/sct|6142004",
		want: "-immunization.target=FLU,MMR,MMRV"},
	{name: "target disease bare code", typ: "Immunization", query: "target-disease=840539006", want: "-immunization.target=COVID"},
	{name: "target disease all invalid", typ: "Immunization", query: "target-disease=http://snomed.info/sct|123,http://loinc.org|840539006",
		code: "invalid", diag: "Search parameter target-disease must be one or more valid SNOMED codes from the supported target disease list."},
	{name: "target disease some invalid", typ: "Immunization", query: "target-disease=http://snomed.info/sct|6142004,http://snomed.info/sct|123",
		want: "-immunization.target=FLU", ignored: []string{`warning: Search parameter target-disease value "http://snomed.info/sct|123" is not a valid SNOMED code`}},
	{name: "target disease without a vaccine", typ: "Immunization", query: "target-disease=http://snomed.info/sct|73211009",
		want:    "target-disease=http://snomed.info/sct|73211009",
		ignored: []string{"warning: This service does not contain any vaccination types with the target disease requested: 73211009"}},
	{name: "target disease not", typ: "Immunization", query: "target-disease:not=http://snomed.info/sct|6142004",
		want: "target-disease:not=http://snomed.info/sct|6142004"},
	{name: "nhs search", typ: "Immunization",
		query: "patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009&-immunization.target=FLU&-date.from=2023-09-01&_include=Immunization:patient",
		want:  "-immunization.target=FLU&_include=Immunization:patient&date=ge2023-09-01&patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009"},
	// parseNow is 2025-06-01.
	{name: "age ge", typ: "Patient", query: "age=ge65", want: "birthdate=le1960-06-01"},
	{name: "age gt", typ: "Patient", query: "age=gt65", want: "birthdate=le1959-06-01"},
	{name: "age lt", typ: "Patient", query: "age=lt2", want: "birthdate=gt2023-06-01"},
	{name: "age le", typ: "Patient", query: "age=le2", want: "birthdate=gt2022-06-01"},
	{name: "age eq", typ: "Patient", query: "age=65", want: "birthdate=gt1959-06-01&birthdate=le1960-06-01"},
	{name: "age range", typ: "Patient", query: "age=ge65&age=lt75", want: "birthdate=le1960-06-01&birthdate=gt1950-06-01"},
	{name: "age list", typ: "Patient", query: "age=65,70", code: "invalid", diag: "repeat age for a range"},
	{name: "age fraction", typ: "Patient", query: "age=6.5", code: "invalid", diag: "not an age in whole years"},
	{name: "age sa", typ: "Patient", query: "age=sa65", code: "invalid", diag: "takes eq, gt, ge, lt or le"},
	{name: "age modifier", typ: "Patient", query: "age:missing=true", code: "invalid", diag: "takes no modifier"},
}

func TestLatestBirth(t *testing.T) {
	for _, tc := range []struct {
		today string
		years int
		want  string
	}{
		{"2025-06-01", 65, "1960-06-01"},
		{"2025-03-01", 1, "2024-03-01"},
		{"2024-02-29", 1, "2023-02-28"}, // born 2023-03-01 is not yet 1
		{"2024-02-29", 4, "2020-02-29"},
		{"2025-02-28", 1, "2024-02-28"}, // born 2024-02-29 is 1 only on 1 March
	} {
		today, _ := time.Parse("2006-01-02", tc.today)
		if got := latestBirth(today, tc.years); got != tc.want {
			t.Errorf("latestBirth(%s, %d) = %s, want %s", tc.today, tc.years, got, tc.want)
		}
	}
}

// The table has no number or quantity parameter of the programme's types (R4 defines
// few), so these run the value parser and Encode on parameters made here.
func TestParseNumberAndQuantity(t *testing.T) {
	num := &Param{Name: "probability", Type: TypeNumber}
	qty := &Param{Name: "value-quantity", Type: TypeQuantity}
	for _, tc := range []struct {
		prm        *Param
		raw, want  string
		wantValue  *Value
		errContain string
	}{
		{prm: num, raw: "100", want: "100", wantValue: &Value{Raw: "100", Number: 100, NumLow: 99.5, NumHigh: 100.5}},
		{prm: num, raw: "eq100", want: "100"},
		{prm: num, raw: "gt1e2,lt-5.5", want: "gt1e2,lt-5.5"},
		{prm: num, raw: "ap0.8", want: "ap0.8", wantValue: &Value{Raw: "ap0.8", Prefix: PrefixAp, Number: 0.8, NumLow: 0.75, NumHigh: 0.85}},
		{prm: num, raw: "ne1,ge2,le3,sa4,eb5", want: "ne1,ge2,le3,sa4,eb5"},
		{prm: num, raw: "abc", errContain: `"ab" is not a prefix`},
		{prm: num, raw: "1.2.3", errContain: "is not a number"},
		{prm: num, raw: "gt007", errContain: "is not a number"},
		{prm: qty, raw: "5.4|http://unitsofmeasure.org|mg", want: "5.4|http://unitsofmeasure.org|mg",
			wantValue: &Value{Raw: "5.4|http://unitsofmeasure.org|mg", Number: 5.4, NumLow: 5.35, NumHigh: 5.45, System: "http://unitsofmeasure.org", Code: "mg"}},
		{prm: qty, raw: "ge5.4||mg", want: "ge5.4||mg", wantValue: &Value{Raw: "ge5.4||mg", Prefix: PrefixGe, Number: 5.4, NumLow: 5.35, NumHigh: 5.45, Code: "mg", AnySystem: true}},
		{prm: qty, raw: "lt5", want: "lt5", wantValue: &Value{Raw: "lt5", Prefix: PrefixLt, Number: 5, NumLow: 4.5, NumHigh: 5.5, AnySystem: true, AnyCode: true}},
		{prm: qty, raw: `5|http://a\|b|m\,g`, want: `5|http://a\|b|m\,g`},
		{prm: qty, raw: "5.4|mg", errContain: "number|system|code"},
		{prm: qty, raw: "5.4|http://u|", errContain: "no unit code"},
		{prm: qty, raw: "five||mg", errContain: `"fi" is not a prefix`},
		{prm: qty, raw: "5,5|a|b|c", errContain: "number|system|code"},
	} {
		p := &parser{key: tc.prm.Name, opts: ParseOptions{Now: time.Now}}
		f := Filter{Param: tc.prm}
		vals, err := p.values(&f, tc.raw)
		if tc.errContain != "" {
			if err == nil || !strings.Contains(err.Issues[0].Diagnostics, tc.errContain) {
				t.Errorf("values(%s, %q) = %v, want an error containing %q", tc.prm.Name, tc.raw, err, tc.errContain)
			}
			continue
		}
		if err != nil {
			t.Errorf("values(%s, %q) = %v", tc.prm.Name, tc.raw, diagnostics(err))
			continue
		}
		f.Values = vals
		_, got := encodeFilter(f)
		if got != tc.want {
			t.Errorf("encode(values(%s, %q)) = %q, want %q", tc.prm.Name, tc.raw, got, tc.want)
		}
		if tc.wantValue != nil && !approxValue(vals[0], *tc.wantValue) {
			t.Errorf("values(%s, %q)[0] = %+v, want %+v", tc.prm.Name, tc.raw, vals[0], *tc.wantValue)
		}
		again, err := p.values(&Filter{Param: tc.prm}, got)
		if err != nil || !reflect.DeepEqual(withoutRaw(again), withoutRaw(vals)) {
			t.Errorf("values(%s, %q) = %+v, %v; want %+v", tc.prm.Name, got, again, err, vals)
		}
	}
}

func approxValue(a, b Value) bool {
	close := func(x, y float64) bool { return x == y || (x-y < 1e-9 && y-x < 1e-9) }
	return close(a.Number, b.Number) && close(a.NumLow, b.NumLow) && close(a.NumHigh, b.NumHigh) &&
		a.Raw == b.Raw && a.Prefix == b.Prefix && a.System == b.System && a.Code == b.Code &&
		a.AnySystem == b.AnySystem && a.AnyCode == b.AnyCode
}

// withoutRaw drops Raw, which keeps a prefix the canonical form leaves out.
func withoutRaw(vs []Value) []Value {
	out := make([]Value, len(vs))
	for i, v := range vs {
		v.Raw = ""
		out[i] = v
	}
	return out
}

func TestEncodeIsCanonical(t *testing.T) {
	// Two spellings of one query encode alike.
	for _, pair := range [][2]string{
		{"patient=123", "patient=Patient/123"},
		{"patient:Patient.gender=male", "patient.gender=male"},
		{"date=eq2021", "date=2021"},
		{"_include:recurse=Patient:organization", "_include:iterate=Patient:organization"},
		{"-date.from=2021-01-01", "date=ge2021-01-01"},
		{"target-disease=http://snomed.info/sct|6142004", "-immunization.target=FLU"},
	} {
		a, errA := Parse("Immunization", mustQuery(pair[0]), ParseOptions{})
		b, errB := Parse("Immunization", mustQuery(pair[1]), ParseOptions{})
		if errA != nil || errB != nil {
			t.Fatalf("Parse(%q), Parse(%q) = %v, %v", pair[0], pair[1], errA, errB)
		}
		if ea, eb := readable(a.Encode()), readable(b.Encode()); ea != eb {
			t.Errorf("Parse(%q).Encode() = %s, Parse(%q).Encode() = %s; want them equal", pair[0], ea, pair[1], eb)
		}
	}
}

func TestEncodeClauses(t *testing.T) {
	q, err := ParseCriteria("Patient", "identifier=http://a|1,http://a|2")
	if err != nil {
		t.Fatal(err)
	}
	if got := readable(q.Encode()); got != "identifier=http://a|1,http://a|2" {
		t.Errorf("Encode() = %s", got)
	}
}

func mustQuery(s string) url.Values {
	v, err := url.ParseQuery(s)
	if err != nil {
		panic(err)
	}
	return v
}
