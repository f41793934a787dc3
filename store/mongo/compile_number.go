package mongo

import (
	"math"

	"github.com/nimsproject/nims/fhir/search"
)

// Number and quantity filters (search.matchNumber, search.matchQuantity) on the nm keys
// "param \x1f number", ordered as the numbers are. The entry is the point Number, so
// every prefix is one range of keys, or two for ne: the value's precision range [lo, hi)
// answers eq, ne, sa and eb, the value as written gt, lt, ge and le, and
// search.ApproxNumberRange ap. Exact for numbers; a quantity's unit is left to Match.

func numberCond(f *search.Filter) cond {
	cs := make([]cond, len(f.Values))
	for i := range f.Values {
		v := &f.Values[i]
		cs[i] = numberValue(f.Param.Name, v)
		if f.Param.Type == search.TypeQuantity && (v.Code != "" || v.System != "") {
			cs[i].exact = false
		}
	}
	return anyOf(cs...)
}

func numberValue(p string, v *search.Value) cond {
	lo, hi := numRange(v)
	inf := math.Inf(1)
	r := func(from float64, fromIncl bool, to float64, toIncl bool) cond {
		return numberRange(p, from, fromIncl, to, toIncl)
	}
	switch v.Prefix {
	case search.PrefixEq:
		return r(lo, true, hi, false)
	case search.PrefixNe:
		return anyOf(r(-inf, true, lo, false), r(hi, true, inf, true))
	case search.PrefixGt:
		return r(v.Number, false, inf, true)
	case search.PrefixLt:
		return r(-inf, true, v.Number, false)
	case search.PrefixGe:
		return r(v.Number, true, inf, true)
	case search.PrefixLe:
		return r(-inf, true, v.Number, true)
	case search.PrefixSa:
		return r(hi, true, inf, true)
	case search.PrefixEb:
		return r(-inf, true, lo, false)
	case search.PrefixAp:
		alo, ahi := search.ApproxNumberRange(v)
		return r(alo, true, ahi, true)
	}
	return condNever
}

// numberRange is "some entry's number lies between from and to" (each end included when
// its flag says so; an infinite end is open: every number of an entry is finite).
func numberRange(p string, from float64, fromIncl bool, to float64, toIncl bool) cond {
	lo, hi := floatOrder(from), floatOrder(to)
	ok := true
	switch {
	case math.IsInf(from, -1):
		lo = 0
	case !fromIncl:
		lo, ok = above(lo)
	}
	switch {
	case math.IsInf(to, 1):
		hi = math.MaxUint64
	case !toIncl && ok:
		hi, ok = below(hi)
	}
	if !ok {
		return condNever
	}
	return keyRange(fieldNumber, p+sep, lo, hi)
}

// numRange is the value's precision range as Match reads it: [NumLow, NumHigh), or the
// value alone when Parse left the range empty.
func numRange(v *search.Value) (lo, hi float64) {
	if v.NumLow < v.NumHigh {
		return v.NumLow, v.NumHigh
	}
	return v.Number, math.Nextafter(v.Number, math.Inf(1))
}
