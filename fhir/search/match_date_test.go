package search

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// span is a date range [low, high) in Unix ms, built in UTC so that these tests do not
// depend on how the parser reads zones.
type span struct{ low, high int64 }

func ms(y int, mo time.Month, d, h, mi, s int) int64 {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC).UnixMilli()
}

func year(y int) span { return span{ms(y, 1, 1, 0, 0, 0), ms(y+1, 1, 1, 0, 0, 0)} }
func month(y int, m time.Month) span {
	return span{ms(y, m, 1, 0, 0, 0), ms(y, m+1, 1, 0, 0, 0)}
}
func day(y int, m time.Month, d int) span {
	return span{ms(y, m, d, 0, 0, 0), ms(y, m, d+1, 0, 0, 0)}
}
func second(y int, m time.Month, d, h, mi, s int) span {
	return span{ms(y, m, d, h, mi, s), ms(y, m, d, h, mi, s+1)}
}

func (s span) entry() Entry { return Entry{Low: s.low, High: s.high} }
func (s span) value(p Prefix) Value {
	return Value{Raw: fmt.Sprintf("%d %v", p, s), Prefix: p, Low: s.low, High: s.high}
}

var prefixNames = [...]string{"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"}

// TestMatchDatePrefixes checks every prefix against entries of every precision at the
// boundaries of a search value, one row per entry: want lists the prefixes that match.
func TestMatchDatePrefixes(t *testing.T) {
	type row struct {
		name  string
		entry span
		want  string // the matching prefixes among eq ne gt lt ge le sa eb
	}
	tables := []struct {
		name  string
		value span
		rows  []row
	}{
		{"2020", year(2020), []row{
			{"the same year", year(2020), "eq ge le"},
			{"its first day", day(2020, 1, 1), "eq ge le"},
			{"its last day", day(2020, 12, 31), "eq ge le"},
			{"its last second", second(2020, 12, 31, 23, 59, 59), "eq ge le"},
			{"its first second", second(2020, 1, 1, 0, 0, 0), "eq ge le"},
			{"its last month", month(2020, 12), "eq ge le"},
			{"the next day", day(2021, 1, 1), "ne gt ge sa"},
			{"the day before", day(2019, 12, 31), "ne lt le eb"},
			{"the year before", year(2019), "ne lt le eb"},
			{"the year after", year(2021), "ne gt ge sa"},
			{"a period across its start", span{day(2019, 12, 31).low, day(2020, 1, 1).high}, "ne lt le"},
			{"a period across its end", span{day(2020, 12, 31).low, day(2021, 1, 1).high}, "ne gt ge"},
			{"a period around it", span{year(2019).low, year(2021).high}, "ne gt lt ge le"},
		}},
		{"2020-12-31", day(2020, 12, 31), []row{
			{"the year containing it", year(2020), "ne lt le"},
			{"the month containing it", month(2020, 12), "ne lt le"},
			{"the same day", day(2020, 12, 31), "eq ge le"},
			{"its last second", second(2020, 12, 31, 23, 59, 59), "eq ge le"},
			{"the first second after", second(2021, 1, 1, 0, 0, 0), "ne gt ge sa"},
			{"the last second before", second(2020, 12, 30, 23, 59, 59), "ne lt le eb"},
			{"the next year", year(2021), "ne gt ge sa"},
		}},
		{"2020-12-31T23:59:59Z", second(2020, 12, 31, 23, 59, 59), []row{
			{"the day containing it", day(2020, 12, 31), "ne lt le"},
			{"the year containing it", year(2020), "ne lt le"},
			{"the same second", second(2020, 12, 31, 23, 59, 59), "eq ge le"},
			{"the next second", second(2021, 1, 1, 0, 0, 0), "ne gt ge sa"},
			{"the next day", day(2021, 1, 1), "ne gt ge sa"},
			{"the second before", second(2020, 12, 31, 23, 59, 58), "ne lt le eb"},
		}},
		{"2020-02", month(2020, 2), []row{
			{"its leap day", day(2020, 2, 29), "eq ge le"},
			{"the first of March", day(2020, 3, 1), "ne gt ge sa"},
			{"the last of January", day(2020, 1, 31), "ne lt le eb"},
			{"the year containing it", year(2020), "ne gt lt ge le"},
		}},
	}
	for _, tb := range tables {
		for _, r := range tb.rows {
			want := map[string]bool{}
			for _, p := range strings.Fields(r.want) {
				want[p] = true
			}
			for p := PrefixEq; p <= PrefixEb; p++ {
				v, e := tb.value.value(p), r.entry.entry()
				if got := matchDate(&v, &e, fixedNow); got != want[prefixNames[p]] {
					t.Errorf("%s%s against %s = %v, want %v", prefixNames[p], tb.name, r.name, got, !got)
				}
			}
		}
	}
}

func TestMatchDateAp(t *testing.T) {
	// now is 2025-01-01: 2020-01-01 is 1826 days before the end of that day, so ap
	// widens it by 182.6 days either side.
	past := day(2020, 1, 1)
	cases := []struct {
		name  string
		value span
		entry span
		want  bool
	}{
		{"the same day", past, past, true},
		{"170 days before", past, day(2019, 7, 15), true},
		{"214 days before", past, day(2019, 6, 1), false},
		{"165 days after", past, day(2020, 6, 15), true},
		{"212 days after", past, day(2020, 8, 1), false},
		{"a year overlapping the window", past, year(2019), true},
		{"within the value itself, now inside it", year(2025), day(2025, 6, 1), true},
		{"just outside a value containing now", year(2025), day(2024, 12, 31), false},
		{"today", day(2025, 1, 1), second(2025, 1, 1, 12, 0, 0), true},
		{"yesterday, asking for today", day(2025, 1, 1), day(2024, 12, 31), false},
		{"future: 5 years ahead widens by half a year", day(2030, 1, 1), day(2030, 6, 1), true},
		{"future: too far", day(2030, 1, 1), day(2030, 8, 1), false},
	}
	for _, tc := range cases {
		v, e := tc.value.value(PrefixAp), tc.entry.entry()
		if got := matchDate(&v, &e, fixedNow); got != tc.want {
			lo, hi := ApproxDateRange(&v, fixedNow)
			t.Errorf("ap %s: matchDate = %v, want %v (window %v – %v)", tc.name, got, tc.want,
				time.UnixMilli(lo).UTC(), time.UnixMilli(hi).UTC())
		}
	}
}

func TestMatchDateApUsesMatcherNow(t *testing.T) {
	p := testParam("d", TypeDate)
	obj := res("Patient", "a", map[string][]Entry{"d": {day(2019, 7, 15).entry()}})
	q := one("Patient", Filter{Param: p, Values: []Value{day(2020, 1, 1).value(PrefixAp)}})
	if !(Matcher{Now: fixedNow}).Match(q, obj) {
		t.Errorf("ap2020-01-01 at 2025 against 2019-07-15 = false, want true")
	}
	if (Matcher{Now: day(2020, 1, 1).entry().time()}).Match(q, obj) {
		t.Errorf("ap2020-01-01 on 2020-01-01 against 2019-07-15 = true, want false")
	}
}

func (e Entry) time() time.Time { return time.UnixMilli(e.Low) }

// ne and the other prefixes need an entry; only :missing finds resources without one.
func TestMatchDateMissingAndRepeats(t *testing.T) {
	v2020 := year(2020)
	runMatchCases(t, TypeDate, Matcher{Now: fixedNow}, []matchCase{
		{"ne without an entry", ModNone, []Value{v2020.value(PrefixNe)}, nil, false},
		{"eq without an entry", ModNone, []Value{v2020.value(PrefixEq)}, nil, false},
		{"ap without an entry", ModNone, []Value{v2020.value(PrefixAp)}, nil, false},
		{"ne with one entry equal and one not", ModNone, []Value{v2020.value(PrefixNe)},
			[]Entry{day(2020, 5, 1).entry(), day(2021, 5, 1).entry()}, true},
		{"ne with every entry equal", ModNone, []Value{v2020.value(PrefixNe)},
			[]Entry{day(2020, 5, 1).entry(), day(2020, 6, 1).entry()}, false},
		{"eq with one entry equal", ModNone, []Value{v2020.value(PrefixEq)},
			[]Entry{day(2019, 5, 1).entry(), day(2020, 6, 1).entry()}, true},
		{"OR of two years", ModNone, []Value{year(2018).value(PrefixEq), year(2019).value(PrefixEq)},
			[]Entry{day(2019, 5, 1).entry()}, true},
	})
}

func TestMatchNumber(t *testing.T) {
	hundred := func(p Prefix) []Value {
		return []Value{{Raw: "100", Prefix: p, Number: 100, NumLow: 99.5, NumHigh: 100.5}}
	}
	n := func(x float64) []Entry { return []Entry{{Number: x, NumLow: x, NumHigh: x}} }
	zero := []Value{{Raw: "ap0", Prefix: PrefixAp, Number: 0, NumLow: -0.5, NumHigh: 0.5}}
	runMatchCases(t, TypeNumber, Matcher{}, []matchCase{
		{"eq exact", ModNone, hundred(PrefixEq), n(100), true},
		{"eq low bound", ModNone, hundred(PrefixEq), n(99.5), true},
		{"eq below", ModNone, hundred(PrefixEq), n(99.49), false},
		{"eq high bound excluded", ModNone, hundred(PrefixEq), n(100.5), false},
		{"eq within", ModNone, hundred(PrefixEq), n(100.4999), true},
		{"ne exact", ModNone, hundred(PrefixNe), n(100), false},
		{"ne within precision", ModNone, hundred(PrefixNe), n(100.2), false},
		{"ne at high bound", ModNone, hundred(PrefixNe), n(100.5), true},
		{"ne without entry", ModNone, hundred(PrefixNe), nil, false},
		{"gt exact", ModNone, hundred(PrefixGt), n(100), false},
		{"gt within precision", ModNone, hundred(PrefixGt), n(100.1), true},
		{"lt within precision", ModNone, hundred(PrefixLt), n(99.9), true},
		{"lt exact", ModNone, hundred(PrefixLt), n(100), false},
		{"ge exact", ModNone, hundred(PrefixGe), n(100), true},
		{"ge below", ModNone, hundred(PrefixGe), n(99.9), false},
		{"le exact", ModNone, hundred(PrefixLe), n(100), true},
		{"le above", ModNone, hundred(PrefixLe), n(100.1), false},
		{"sa at high bound", ModNone, hundred(PrefixSa), n(100.5), true},
		{"sa within precision", ModNone, hundred(PrefixSa), n(100.4), false},
		{"eb below low bound", ModNone, hundred(PrefixEb), n(99.49), true},
		{"eb at low bound", ModNone, hundred(PrefixEb), n(99.5), false},
		{"ap -10%", ModNone, hundred(PrefixAp), n(90), true},
		{"ap +10%", ModNone, hundred(PrefixAp), n(110), true},
		{"ap beyond -10%", ModNone, hundred(PrefixAp), n(89.9), false},
		{"ap beyond +10%", ModNone, hundred(PrefixAp), n(110.1), false},
		{"ap of 0 keeps the precision range", ModNone, zero, n(0.5), true},
		{"ap of 0 beyond it", ModNone, zero, n(0.6), false},
		{"negative eq", ModNone, []Value{{Prefix: PrefixEq, Number: -5, NumLow: -5.5, NumHigh: -4.5}}, n(-5.2), true},
		{"range not set: exact", ModNone, []Value{{Prefix: PrefixEq, Number: 3}}, n(3), true},
		{"range not set: other", ModNone, []Value{{Prefix: PrefixEq, Number: 3}}, n(3.0001), false},
	})
}

func TestMatchQuantity(t *testing.T) {
	const ucum = "http://unitsofmeasure.org"
	q := func(p Prefix, system, code string) []Value {
		return []Value{{Prefix: p, Number: 5.4, NumLow: 5.35, NumHigh: 5.45, System: system, Code: code}}
	}
	e := func(x float64, system, code string) []Entry {
		return []Entry{{Number: x, System: system, Code: code}}
	}
	runMatchCases(t, TypeQuantity, Matcher{}, []matchCase{
		{"number|system|code", ModNone, q(PrefixEq, ucum, "mg"), e(5.4, ucum, "mg"), true},
		{"other code", ModNone, q(PrefixEq, ucum, "mg"), e(5.4, ucum, "g"), false},
		{"other system", ModNone, q(PrefixEq, ucum, "mg"), e(5.4, "http://other", "mg"), false},
		{"number||code, any system", ModNone, q(PrefixEq, "", "mg"), e(5.4, "http://other", "mg"), true},
		{"number||code, other code", ModNone, q(PrefixEq, "", "mg"), e(5.4, ucum, "mL"), false},
		{"number alone, any unit", ModNone, q(PrefixEq, "", ""), e(5.4, ucum, "g"), true},
		{"number alone, out of range", ModNone, q(PrefixEq, "", ""), e(5.5, ucum, "g"), false},
		{"no conversion", ModNone, q(PrefixEq, ucum, "mg"), e(0.0054, ucum, "g"), false},
		{"gt with unit", ModNone, q(PrefixGt, ucum, "mg"), e(6, ucum, "mg"), true},
		{"gt other unit", ModNone, q(PrefixGt, ucum, "mg"), e(6, ucum, "g"), false},
		{"ap", ModNone, q(PrefixAp, ucum, "mg"), e(5.9, ucum, "mg"), true},
		{"ne", ModNone, q(PrefixNe, ucum, "mg"), e(5.9, ucum, "mg"), true},
	})
}
