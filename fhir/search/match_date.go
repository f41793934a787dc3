package search

import (
	"math"
	"time"
)

// Date, number and quantity matching: the prefix table of
// https://hl7.org/fhir/R4/search.html#prefix over implicit ranges.
//
// Dates are ranges on both sides: the search value's [Low, High) from its precision and
// the entry's [Low, High) from its own precision (or a Period's bounds), in Unix ms.
// With V the value's range and T the entry's:
//
//	eq  V fully contains T                       T.Low >= V.Low && T.High <= V.High
//	ne  V does not fully contain T               !eq
//	gt  the range above V overlaps T             T.High > V.High
//	lt  the range below V overlaps T             T.Low < V.Low
//	ge  gt or eq
//	le  lt or eq
//	sa  T lies entirely above V                  T.Low >= V.High
//	eb  T lies entirely below V                  T.High <= V.Low
//	ap  T overlaps V widened by 10% of the distance between now and V (ApproxDateRange)
//
// Every prefix, ne included, is a property of one entry and the resource matches when
// some entry has it: a resource without the element matches no prefix (ne2020 does not
// find patients without a birth date; use :missing for those), and one with several
// entries matches ne when any of them differs.

// matchDate applies the prefix table above to one entry.
func matchDate(v *Value, e *Entry, now time.Time) bool {
	eq := e.Low >= v.Low && e.High <= v.High
	switch v.Prefix {
	case PrefixEq:
		return eq
	case PrefixNe:
		return !eq
	case PrefixGt:
		return e.High > v.High
	case PrefixLt:
		return e.Low < v.Low
	case PrefixGe:
		return e.High > v.High || eq
	case PrefixLe:
		return e.Low < v.Low || eq
	case PrefixSa:
		return e.Low >= v.High
	case PrefixEb:
		return e.High <= v.Low
	case PrefixAp:
		lo, hi := ApproxDateRange(v, now)
		return e.Low < hi && e.High > lo
	}
	return false
}

// ApproxDateRange is the range [low, high) of date ap: the value's own range widened on
// both sides by a tenth of the gap between now and the value (the distance from now to
// the nearer end of the value's range; zero when now lies inside it). So ap2020-03-15,
// asked in 2025, accepts about six months either side, and ap of today only today. A
// backend compiles ap with the same now (Matcher.Now) to agree with Match.
func ApproxDateRange(v *Value, now time.Time) (low, high int64) {
	n := now.UnixMilli()
	var gap int64
	switch {
	case n < v.Low:
		gap = v.Low - n
	case n >= v.High:
		gap = n - v.High
	}
	return v.Low - gap/10, v.High + gap/10
}

// matchNumber: eq is within the value's precision range [NumLow, NumHigh) (100 means
// [99.5, 100.5)); ne outside it; gt, lt, ge, le compare exactly with the value as
// written; sa above the precision range, eb below it; ap within ApproxNumberRange. The
// entry is taken as the point Number (its own precision is not used). As for dates, every
// prefix (ne too) needs an entry: a resource without the element matches none.
func matchNumber(v *Value, e *Entry) bool {
	lo, hi := numRange(v)
	n := e.Number
	switch v.Prefix {
	case PrefixEq:
		return n >= lo && n < hi
	case PrefixNe:
		return !(n >= lo && n < hi)
	case PrefixGt:
		return n > v.Number
	case PrefixLt:
		return n < v.Number
	case PrefixGe:
		return n >= v.Number
	case PrefixLe:
		return n <= v.Number
	case PrefixSa:
		return n >= hi
	case PrefixEb:
		return n < lo
	case PrefixAp:
		lo, hi := ApproxNumberRange(v)
		return n >= lo && n <= hi
	}
	return false
}

// numRange is the value's precision range; a value whose range Parse left empty is
// taken exactly (the range [n, n] as a half-open test would match nothing).
func numRange(v *Value) (lo, hi float64) {
	if v.NumLow < v.NumHigh {
		return v.NumLow, v.NumHigh
	}
	return v.Number, math.Nextafter(v.Number, math.Inf(1))
}

// ApproxNumberRange is the closed range [low, high] of number and quantity ap: the value
// ±10% of its magnitude, and never narrower than its precision range.
func ApproxNumberRange(v *Value) (low, high float64) {
	d := math.Abs(v.Number) / 10
	lo, hi := numRange(v)
	return math.Min(lo, v.Number-d), math.Max(hi, v.Number+d)
}

// matchQuantity is matchNumber on the entry's Number plus the unit: a value with a code
// needs the entry's unit Code, and the System as well when the value names one
// ("5.4||mg" accepts mg in any system); a value without a unit accepts any. Units are
// not converted (no UCUM canonical form): 5 g does not find 5000 mg.
func matchQuantity(v *Value, e *Entry) bool {
	if v.Code != "" && e.Code != v.Code {
		return false
	}
	if v.System != "" && e.System != v.System {
		return false
	}
	return matchNumber(v, e)
}
