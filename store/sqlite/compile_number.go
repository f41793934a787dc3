package sqlite

import (
	"math"

	"github.com/nimsproject/nims/fhir/search"
)

// Number and quantity filters (search.matchNumber, search.matchQuantity) on the numbers
// table. The entry is the point number; the value's precision range [lo, hi) answers eq,
// ne, sa and eb, the value as written gt, lt, ge and le, and search.ApproxNumberRange ap.
// A quantity value with a unit code needs that code, and the system too when it names
// one; units are not converted.
func numberPred(b *builder, f *search.Filter) *pred {
	for i := range f.Values {
		v := &f.Values[i]
		unit, args := "", []any(nil)
		if f.Param.Type == search.TypeQuantity {
			if v.Code != "" {
				unit, args = " AND %[1]s.code = ?", append(args, v.Code)
			}
			if v.System != "" {
				unit, args = unit+" AND %[1]s.system = ?", append(args, v.System)
			}
		}
		add := func(where string, bounds ...any) {
			b.add("numbers", where+unit, append(bounds, args...)...)
		}
		lo, hi := numRange(v)
		switch v.Prefix {
		case search.PrefixEq:
			add("%[1]s.number >= ? AND %[1]s.number < ?", lo, hi)
		case search.PrefixNe:
			add("%[1]s.number < ?", lo)
			add("%[1]s.number >= ?", hi)
		case search.PrefixGt:
			add("%[1]s.number > ?", v.Number)
		case search.PrefixLt:
			add("%[1]s.number < ?", v.Number)
		case search.PrefixGe:
			add("%[1]s.number >= ?", v.Number)
		case search.PrefixLe:
			add("%[1]s.number <= ?", v.Number)
		case search.PrefixSa:
			add("%[1]s.number >= ?", hi)
		case search.PrefixEb:
			add("%[1]s.number < ?", lo)
		case search.PrefixAp:
			alo, ahi := search.ApproxNumberRange(v)
			add("%[1]s.number >= ? AND %[1]s.number <= ?", alo, ahi)
		}
	}
	return b.pred(false)
}

// numRange is the value's precision range as search.Match reads it: [NumLow, NumHigh),
// or the value alone when Parse left the range empty.
func numRange(v *search.Value) (lo, hi float64) {
	if v.NumLow < v.NumHigh {
		return v.NumLow, v.NumHigh
	}
	return v.Number, math.Nextafter(v.Number, math.Inf(1))
}
