package sqlite

import (
	"time"

	"github.com/nimsproject/nims/fhir/search"
)

// Date filters (search.matchDate) on the dates table. With V the value's range and T an
// entry's [low, high), and since low < high for every entry, the prefixes reduce to
// ranges of one column (the primary key orders by low, dates_high by high):
//
//	eq  low >= V.Low AND high <= V.High         (and so low < V.High)
//	ne  low < V.Low  OR  high > V.High
//	gt  high > V.High
//	lt  low < V.Low
//	ge  low >= V.Low OR  high > V.High           (gt, or eq: T starts in V)
//	le  high <= V.High OR low < V.Low            (lt, or eq: T ends in V)
//	sa  low >= V.High
//	eb  high <= V.Low
//	ap  low < hi AND high > lo, [lo, hi) from search.ApproxDateRange at the query's now
//
// A disjunction becomes two terms, so that the set form reads two index ranges.
func datePred(b *builder, f *search.Filter, now time.Time) *pred {
	for i := range f.Values {
		v := &f.Values[i]
		switch v.Prefix {
		case search.PrefixEq:
			b.add("dates", "%[1]s.low >= ? AND %[1]s.low < ? AND %[1]s.high <= ?", v.Low, v.High, v.High)
		case search.PrefixNe:
			b.add("dates", "%[1]s.low < ?", v.Low)
			b.add("dates", "%[1]s.high > ?", v.High)
		case search.PrefixGt:
			b.add("dates", "%[1]s.high > ?", v.High)
		case search.PrefixLt:
			b.add("dates", "%[1]s.low < ?", v.Low)
		case search.PrefixGe:
			b.add("dates", "%[1]s.low >= ?", v.Low)
			b.add("dates", "%[1]s.high > ?", v.High)
		case search.PrefixLe:
			b.add("dates", "%[1]s.high <= ?", v.High)
			b.add("dates", "%[1]s.low < ?", v.Low)
		case search.PrefixSa:
			b.add("dates", "%[1]s.low >= ?", v.High)
		case search.PrefixEb:
			b.add("dates", "%[1]s.high <= ?", v.Low)
		case search.PrefixAp:
			lo, hi := search.ApproxDateRange(v, now)
			b.add("dates", "%[1]s.high > ? AND %[1]s.low < ?", lo, hi)
		}
	}
	return b.pred(false)
}
