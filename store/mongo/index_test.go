package mongo

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
)

// The keys are compared bytewise by the server: their order must be the numbers' order.
func TestOrderedIntKeepsOrder(t *testing.T) {
	vals := []int64{math.MinInt64, math.MinInt64 + 1, -1 << 40, -1000, -1, 0, 1, 999, 1 << 40, math.MaxInt64 - 1, math.MaxInt64}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		vals = append(vals, int64(r.Uint64()))
	}
	checkOrder(t, vals, orderedInt)
}

func TestOrderedFloatKeepsOrder(t *testing.T) {
	vals := []float64{math.Inf(-1), -math.MaxFloat64, -1e300, -1.5, -math.SmallestNonzeroFloat64, 0,
		math.SmallestNonzeroFloat64, 1e-300, 0.1, 1, 1.5, 99.5, 100, 1e300, math.MaxFloat64, math.Inf(1)}
	r := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		vals = append(vals, r.NormFloat64()*math.Pow(10, float64(r.IntN(40)-20)))
	}
	checkOrder(t, vals, orderedFloat)
	if orderedFloat(math.Copysign(0, -1)) != orderedFloat(0) {
		t.Error("-0 and 0 have different keys")
	}
}

func checkOrder[T int64 | float64](t *testing.T, vals []T, key func(T) string) {
	t.Helper()
	for _, a := range vals {
		for _, b := range vals[:20] {
			ka, kb := key(a), key(b)
			if len(ka) != 16 {
				t.Fatalf("key(%v) = %q, want 16 hex digits", a, ka)
			}
			if (a < b) != (ka < kb) || (a == b) != (ka == kb) {
				t.Fatalf("%v vs %v: keys %s vs %s do not compare alike", a, b, ka, kb)
			}
		}
	}
}

func entriesOf(t *testing.T, js string) (string, []search.Entry) {
	t.Helper()
	r, err := fhir.Decode([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return r.Type, search.ExtractAll(r.Type, r.Object)
}

func fieldOf(t *testing.T, typ string, entries []search.Entry, field string) []string {
	t.Helper()
	for _, e := range indexFields(typ, entries) {
		if e.Key == field {
			return e.Value.([]string)
		}
	}
	t.Fatalf("indexFields has no %s", field)
	return nil
}

func TestIndexFieldsEncoding(t *testing.T) {
	typ, entries := entriesOf(t, `{"resourceType":"Patient","id":"p1","meta":{"lastUpdated":"2020-01-01T00:00:00Z"},
		"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"},
		  {"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]},"system":"https://trust.example/mrn","value":"H1"}],
		"name":[{"family":"Ó'Brien"}],"gender":"female","birthDate":"1970-01-01",
		"generalPractitioner":[{"reference":"Organization/org-1","display":"The Surgery"},{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"}},
		  {"reference":"https://other.example/fhir/Practitioner/x1"}]}`)
	tk := fieldOf(t, typ, entries, fieldToken)
	for _, want := range []string{
		"identifier\x1f9000000009\x1fhttps://fhir.nhs.uk/Id/nhs-number",
		"identifier:of-type\x1fH1\x1fhttp://terminology.hl7.org/CodeSystem/v2-0203\x1fMR",
		"gender\x1ffemale\x1f",
		"general-practitioner\x1fA81001\x1fhttps://fhir.nhs.uk/Id/ods-organization-code",
	} {
		if !slices.Contains(tk, want) {
			t.Errorf("tk lacks %q: %q", want, tk)
		}
	}
	st := fieldOf(t, typ, entries, fieldString)
	for _, want := range []string{"family\x1fo'brien", "general-practitioner:text\x1fthe surgery"} {
		if !slices.Contains(st, want) {
			t.Errorf("st lacks %q: %q", want, st)
		}
	}
	rf := fieldOf(t, typ, entries, fieldRef)
	for _, want := range []string{"general-practitioner\x1forg-1\x1fOrganization", "general-practitioner\x1fhttps://other.example/fhir/Practitioner/x1"} {
		if !slices.Contains(rf, want) {
			t.Errorf("rf lacks %q: %q", want, rf)
		}
	}
	lo, hi, _ := search.DateRange("1970-01-01")
	dt := fieldOf(t, typ, entries, fieldDate)
	for _, want := range []string{dateLowKey("birthdate", lo), dateHighKey("birthdate", hi)} {
		if !slices.Contains(dt, want) {
			t.Errorf("dt lacks %q: %q", want, dt)
		}
	}
	for _, field := range []string{fieldToken, fieldString, fieldRef, fieldDate, fieldNumber} {
		keys := fieldOf(t, typ, entries, field)
		if !slices.IsSorted(keys) || len(slices.Compact(slices.Clone(keys))) != len(keys) {
			t.Errorf("%s is not a sorted set: %q", field, keys)
		}
		for _, k := range keys {
			if strings.HasPrefix(k, "_id") || strings.HasPrefix(k, "_lastUpdated") {
				t.Errorf("%s holds %q: _id and _lastUpdated are the document's own id and lu", field, k)
			}
		}
	}
}

// A value holding a separator cannot forge a key of other parts.
func TestKeyPartsCannotForgeSeparators(t *testing.T) {
	if got := tokenKey("p", "a\x1fb", "c"); strings.Count(got, sep) != 2 {
		t.Errorf("tokenKey with a separator in the code = %q", got)
	}
	if got := dateLowKey("p", 0); got == dateHighKey("p", 0) {
		t.Errorf("low and high keys coincide: %q", got)
	}
	if !hasControl("a\x1db") || hasControl("plain") {
		t.Error("hasControl")
	}
}

// Numbers and quantities: one key each, by the number; a parameter the table does not
// know is placed by the entry's fields.
func TestIndexFieldsNumbers(t *testing.T) {
	nm := fieldOf(t, "Observation", []search.Entry{{Param: "value-quantity", Number: 5.4, NumLow: 5.35, NumHigh: 5.45, Code: "mg"},
		{Param: "value-quantity", Number: -2}}, fieldNumber)
	want := []string{numberKey("value-quantity", -2), numberKey("value-quantity", 5.4)}
	if !slices.Equal(nm, want) {
		t.Errorf("nm = %q, want %q", nm, want)
	}
}
