package mongo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/nimsproject/nims/fhir/search"
)

var testNow = time.Date(2025, 6, 15, 9, 30, 0, 0, time.UTC)

func parseTest(t *testing.T, typ, raw string) *search.Query {
	t.Helper()
	vals, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	q, err := search.Parse(typ, vals, search.ParseOptions{Strict: true, DefaultCount: 50, MaxCount: 1000, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("Parse(%s?%s): %v", typ, raw, err)
	}
	return q
}

func compileTest(t *testing.T, typ, raw string) cond {
	t.Helper()
	c := compiler{now: testNow}
	cd, err := c.query(parseTest(t, typ, raw))
	if err != nil {
		t.Fatal(err)
	}
	return cd
}

// The filters of the common shapes, as the server receives them.
func TestCompileShapes(t *testing.T) {
	nhs := "https://fhir.nhs.uk/Id/nhs-number"
	for _, tc := range []struct {
		typ, raw string
		want     bson.D
		exact    bool
	}{
		{"Patient", "identifier=" + nhs + "|9000000009", bson.D{{Key: "tk", Value: "identifier\x1f9000000009\x1f" + nhs}}, true},
		{"Patient", "identifier=9000000009", bson.D{{Key: "tk", Value: bson.Regex{Pattern: "^identifier\x1f9000000009\x1f"}}}, true},
		{"Patient", "identifier=" + nhs + "|", bson.D{{Key: "tk", Value: bson.Regex{Pattern: "^identifier\x1f[^\x1f]*\x1fhttps://fhir\\.nhs\\.uk/Id/nhs-number\\z"}}}, true},
		{"Patient", "gender=male,female", bson.D{{Key: "tk", Value: bson.D{{Key: "$in", Value: []any{
			bson.Regex{Pattern: "^gender\x1fmale\x1f"}, bson.Regex{Pattern: "^gender\x1ffemale\x1f"}}}}}}, true},
		{"Patient", "gender:not=male", bson.D{{Key: "tk", Value: bson.D{{Key: "$nin", Value: []any{bson.Regex{Pattern: "^gender\x1fmale\x1f"}}}}}}, true},
		{"Immunization", "patient=Patient/p1", bson.D{{Key: "rf", Value: "patient\x1fp1\x1fPatient"}}, true},
		{"Patient", "family=o'b", bson.D{{Key: "st", Value: bson.Regex{Pattern: "^family\x1fo'b"}}}, true},
		{"Patient", "family:exact=Smith", bson.D{{Key: "st", Value: bson.D{{Key: "$in", Value: []any{"family\x1fsmith", "family:exact\x1fSmith"}}}}}, false},
		{"Patient", "_id=a,b", bson.D{{Key: "id", Value: bson.D{{Key: "$in", Value: []any{"a", "b"}}}}}, true},
		{"Patient", "_lastUpdated=ge2025-01-01T00:00:00Z", bson.D{{Key: "lu", Value: bson.D{{Key: "$gte", Value: int64(1735689600000)}}}}, true},
		{"Patient", "family:missing=true", bson.D{{Key: "st", Value: bson.D{{Key: "$nin", Value: []any{bson.Regex{Pattern: "^family\x1f"}}}}}}, true},
		{"Patient", "birthdate=lt1970-01-01T00:00:00Z", bson.D{{Key: "dt", Value: bson.D{{Key: "$elemMatch", Value: bson.D{
			{Key: "$gte", Value: "birthdate\x1f0000000000000000"}, {Key: "$lte", Value: "birthdate\x1f7fffffffffffffff"},
			{Key: "$regex", Value: bson.Regex{Pattern: "^birthdate\x1f(?:[0-7][0-9a-f]{15})\\z"}}}}}}}, true},
	} {
		got := compileTest(t, tc.typ, tc.raw)
		if !reflect.DeepEqual(got.bson(), tc.want) || got.exact != tc.exact {
			t.Errorf("%s?%s compiles to %#v (exact %v)\n want %#v (exact %v)", tc.typ, tc.raw, got.bson(), got.exact, tc.want, tc.exact)
		}
	}
}

// Values the filter cannot express narrow by type only, and a value that names nothing
// selects nothing.
func TestCompileLimits(t *testing.T) {
	if c := compileTest(t, "Patient", "_id=https://sys.example|a"); !c.never {
		t.Errorf("_id with a system: %#v, want never", c)
	}
	if c := compileTest(t, "Patient", "identifier:text=%20"); c.never || c.all {
		t.Errorf(":text of nothing: %#v, want any entry of the parameter", c)
	}
	if c := compileTest(t, "Patient", "birthdate=1970"); c.exact {
		t.Errorf("date eq claims to be exact: %#v", c)
	}
	if c := compileTest(t, "Patient", "birthdate=ge1970&gender=female"); !c.exact {
		t.Errorf("date ge and a token should be exact: %#v", c)
	}
}

// A parameter with a fixed set of entries, for checking date and number filters against
// Match without a server.
func fixedParam(name string, typ search.ParamType) *search.Param {
	return &search.Param{Name: name, Type: typ, Extract: func(obj map[string]any) []search.Entry {
		es, _ := obj["entries"].([]search.Entry)
		return es
	}}
}

// TestDateAndNumberFiltersAgreeWithMatch checks, over random entries and values, that
// the date and number filters select every resource Match accepts, and only those when
// they claim to be exact: the filters are evaluated on the keys of indexFields by
// evalFilter, the server's semantics for the operators the compiler uses, both
// MongoDB's and FerretDB's.
func TestDateAndNumberFiltersAgreeWithMatch(t *testing.T) {
	for _, untied := range []bool{false, true} {
		untiedElemMatch = untied
		checkRangesAgainstMatch(t)
	}
	untiedElemMatch = false
}

func checkRangesAgainstMatch(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	prefixes := []search.Prefix{search.PrefixEq, search.PrefixNe, search.PrefixGt, search.PrefixLt, search.PrefixGe,
		search.PrefixLe, search.PrefixSa, search.PrefixEb, search.PrefixAp}
	point := func() int64 { return int64(r.IntN(40)-20) * 1000 }
	for i := range 20000 {
		date := i%2 == 0
		var p *search.Param
		var entries []search.Entry
		var v search.Value
		if date {
			p = fixedParam("d", search.TypeDate)
			for range r.IntN(3) {
				lo := point()
				hi := lo + int64(1+r.IntN(10))*1000
				if r.IntN(8) == 0 {
					lo = math.MinInt64
				}
				if r.IntN(8) == 0 {
					hi = math.MaxInt64
				}
				entries = append(entries, search.Entry{Param: "d", Low: lo, High: hi})
			}
			v.Low = point()
			v.High = v.Low + int64(1+r.IntN(10))*1000
		} else {
			p = fixedParam("n", search.TypeNumber)
			for range r.IntN(3) {
				n := float64(r.IntN(41)-20) / 4
				if n == 0 {
					n = 0.125 // a zero entry would be taken for no number by Entry.Kind
				}
				entries = append(entries, search.Entry{Param: "n", Number: n})
			}
			v.Number = float64(r.IntN(41)-20) / 4
			v.NumLow, v.NumHigh = v.Number-0.5, v.Number+0.5
		}
		v.Prefix = prefixes[r.IntN(len(prefixes))]
		q := &search.Query{Type: "Observation", Filters: []search.Filter{{Param: p, Values: []search.Value{v}}}}
		obj := map[string]any{"resourceType": "Observation", "id": "x", "entries": entries}
		c := compiler{now: time.UnixMilli(50000)}
		cd, err := c.query(q)
		if err != nil {
			t.Fatal(err)
		}
		want := search.Matcher{Now: c.now}.Match(q, obj)
		got := !cd.never && (cd.all || evalFilter(t, cd.bson(), docOf("Observation", entries)))
		if (want && !got) || (cd.exact && got != want) {
			t.Fatalf("entries %+v, value %+v: Match %v, filter %v (exact %v) %#v", entries, v, want, got, cd.exact, cd.bson())
		}
	}
}

// docOf is a current document's index fields, as evalFilter reads them.
func docOf(typ string, entries []search.Entry) map[string]any {
	doc := map[string]any{}
	for _, e := range indexFields(typ, entries) {
		doc[e.Key] = e.Value
	}
	return doc
}

// untiedElemMatch makes evalFilter evaluate the conditions of an $elemMatch each on its
// own, as FerretDB v1.24 does over an array of scalars.
var untiedElemMatch bool

// evalFilter evaluates the operators the compiler emits as MongoDB does on a document
// whose fields are arrays of strings (or scalars).
func evalFilter(t *testing.T, f bson.D, doc map[string]any) bool {
	t.Helper()
	for _, e := range f {
		var ok bool
		switch e.Key {
		case "$or", "$and", "$nor":
			n := 0
			for _, sub := range e.Value.(bson.A) {
				if evalFilter(t, sub.(bson.D), doc) {
					n++
				}
			}
			all := len(e.Value.(bson.A))
			ok = map[string]bool{"$or": n > 0, "$and": n == all, "$nor": n == 0}[e.Key]
		default:
			ok = evalField(t, doc[e.Key], e.Value)
		}
		if !ok {
			return false
		}
	}
	return true
}

func evalField(t *testing.T, field, c any) bool {
	var elems []any
	switch v := field.(type) {
	case []string:
		for _, s := range v {
			elems = append(elems, s)
		}
	case nil:
	default:
		elems = []any{v}
	}
	anyElem := func(pred func(any) bool) bool {
		for _, x := range elems {
			if pred(x) {
				return true
			}
		}
		return false
	}
	ops, isOps := c.(bson.D)
	if !isOps {
		return anyElem(func(x any) bool { return valueEquals(x, c) })
	}
	for _, op := range ops {
		var ok bool
		switch op.Key {
		case "$in", "$nin":
			ok = anyElem(func(x any) bool {
				for _, w := range op.Value.([]any) {
					if valueEquals(x, w) {
						return true
					}
				}
				return false
			})
			if op.Key == "$nin" {
				ok = !ok
			}
		case "$elemMatch":
			if untiedElemMatch { // as FerretDB v1.24: each condition on its own
				ok = true
				for _, sub := range op.Value.(bson.D) {
					ok = ok && anyElem(func(x any) bool { return compareAll(t, x, bson.D{sub}) })
				}
				break
			}
			ok = anyElem(func(x any) bool { return compareAll(t, x, op.Value.(bson.D)) })
		default:
			ok = anyElem(func(x any) bool { return compareAll(t, x, bson.D{op}) })
		}
		if !ok {
			return false
		}
	}
	return true
}

var regexps = map[string]*regexp.Regexp{}

func valueEquals(x, w any) bool {
	if re, ok := w.(bson.Regex); ok {
		s, isStr := x.(string)
		pat := re.Pattern
		if re.Options == "s" {
			pat = "(?s)" + pat
		}
		compiled, ok := regexps[pat]
		if !ok {
			compiled = regexp.MustCompile(pat)
			regexps[pat] = compiled
		}
		return isStr && compiled.MatchString(s)
	}
	return x == w
}

func compareAll(t *testing.T, x any, ops bson.D) bool {
	for _, op := range ops {
		if op.Key == "$regex" {
			if !valueEquals(x, op.Value) {
				return false
			}
			continue
		}
		var c int
		switch a := x.(type) {
		case string:
			b := op.Value.(string)
			c = map[bool]int{true: -1, false: 0}[a < b] + map[bool]int{true: 1, false: 0}[a > b]
		case int64:
			b := op.Value.(int64)
			c = map[bool]int{true: -1, false: 0}[a < b] + map[bool]int{true: 1, false: 0}[a > b]
		default:
			t.Fatalf("cannot compare %T", x)
		}
		ok := map[string]bool{"$gt": c > 0, "$gte": c >= 0, "$lt": c < 0, "$lte": c <= 0}[op.Key]
		if !ok {
			return false
		}
	}
	return true
}

// hexRange's patterns match exactly the numbers of the range, checked exhaustively over
// three digits.
func TestHexRange(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	key := func(n int) string { return fmt.Sprintf("%03x", n) }
	for range 300 {
		lo, hi := r.IntN(4096), r.IntN(4096)
		if lo > hi {
			lo, hi = hi, lo
		}
		re := regexp.MustCompile(`^(?:` + strings.Join(hexRange(key(lo), key(hi)), "|") + `)\z`)
		for n := range 4096 {
			if re.MatchString(key(n)) != (n >= lo && n <= hi) {
				t.Fatalf("[%s, %s]: %s matches %s: %v", key(lo), key(hi), re, key(n), !(n >= lo && n <= hi))
			}
		}
		if re.MatchString(strings.ToUpper(key(lo))+"0") || re.MatchString(key(lo)[:2]) {
			t.Fatalf("%s matches a string of another length", re)
		}
	}
}
