package mongo

import (
	"math"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/nimsproject/nims/fhir/search"
)

// Date filters (search.matchDate) on the dt keys: each entry [low, high) has a key ordered
// by low ("param \x1f low") and one by high ("param \x1e high"). With V the value's range,
// each prefix is a property of one entry that is a range of one key, or a disjunction of
// two, and so exact:
//
//	ne  low < V.Low  or  high > V.High
//	gt  high > V.High
//	lt  low < V.Low
//	ge  low >= V.Low or  high > V.High     (gt, or eq: the entry starts in V)
//	le  high <= V.High or low < V.Low      (lt, or eq: the entry ends in V)
//	sa  low >= V.High
//	eb  high <= V.Low
//
// eq (low >= V.Low and high <= V.High) and ap (low < hi and high > lo) need both keys of
// one entry, which two conditions on an array cannot tie together: eq selects by low in
// [V.Low, V.High) (an entry inside V starts inside it), ap by both keys separately, and
// Match checks the rest.

func dateCond(f *search.Filter, now time.Time) cond {
	cs := make([]cond, len(f.Values))
	for i := range f.Values {
		cs[i] = dateValue(f.Param.Name, &f.Values[i], now)
	}
	return anyOf(cs...)
}

func dateValue(p string, v *search.Value, now time.Time) cond {
	switch v.Prefix {
	case search.PrefixEq:
		c := lowAtLeast(p, v.Low)
		if hi, ok := below(intOrder(v.High)); ok {
			c = keyRange(fieldDate, p+sep, intOrder(v.Low), hi)
		}
		c.exact = false
		return c
	case search.PrefixNe:
		return anyOf(lowBelow(p, v.Low), highAbove(p, v.High))
	case search.PrefixGt:
		return highAbove(p, v.High)
	case search.PrefixLt:
		return lowBelow(p, v.Low)
	case search.PrefixGe:
		return anyOf(lowAtLeast(p, v.Low), highAbove(p, v.High))
	case search.PrefixLe:
		return anyOf(highAtMost(p, v.High), lowBelow(p, v.Low))
	case search.PrefixSa:
		return lowAtLeast(p, v.High)
	case search.PrefixEb:
		return highAtMost(p, v.Low)
	case search.PrefixAp:
		lo, hi := search.ApproxDateRange(v, now)
		c := allOf(lowBelow(p, hi), highAbove(p, lo))
		c.exact = false
		return c
	}
	return condNever
}

// The four one-key ranges (compile_range.go): a parameter's low keys follow p\x1f, its
// high keys p\x1e.

func lowBelow(p string, t int64) cond {
	hi, ok := below(intOrder(t))
	if !ok {
		return condNever
	}
	return keyRange(fieldDate, p+sep, 0, hi)
}

func lowAtLeast(p string, t int64) cond {
	return keyRange(fieldDate, p+sep, intOrder(t), math.MaxUint64)
}

func highAbove(p string, t int64) cond {
	lo, ok := above(intOrder(t))
	if !ok {
		return condNever
	}
	return keyRange(fieldDate, p+highSep, lo, math.MaxUint64)
}

func highAtMost(p string, t int64) cond {
	return keyRange(fieldDate, p+highSep, 0, intOrder(t))
}

// lastUpdatedCond answers _lastUpdated from the document's lu, exactly: the store stamps
// meta.lastUpdated with lu to the millisecond, so the resource's one entry is
// [lu, lu+1), and each prefix is a range of lu.
func lastUpdatedCond(f *search.Filter, now time.Time) cond {
	cs := make([]cond, len(f.Values))
	for i := range f.Values {
		v := &f.Values[i]
		switch v.Prefix {
		case search.PrefixEq:
			cs[i] = luRange(v.Low, v.High)
		case search.PrefixNe:
			cs[i] = anyOf(luRange(minKey, v.Low), luRange(v.High, maxKey))
		case search.PrefixGt, search.PrefixSa:
			cs[i] = luRange(v.High, maxKey)
		case search.PrefixLt, search.PrefixEb:
			cs[i] = luRange(minKey, v.Low)
		case search.PrefixGe:
			cs[i] = luRange(v.Low, maxKey)
		case search.PrefixLe:
			cs[i] = luRange(minKey, v.High)
		case search.PrefixAp:
			lo, hi := search.ApproxDateRange(v, now)
			cs[i] = luRange(lo, hi)
		default:
			cs[i] = condNever
		}
	}
	return anyOf(cs...)
}

// minKey and maxKey stand for an open end of a range of lu.
const (
	minKey = int64(-1 << 63)
	maxKey = int64(1<<63 - 1)
)

// luRange is lo <= lu < hi, leaving out an open end.
func luRange(lo, hi int64) cond {
	var r bson.D
	if lo != minKey {
		r = append(r, bson.E{Key: "$gte", Value: lo})
	}
	if hi != maxKey {
		r = append(r, bson.E{Key: "$lt", Value: hi})
	}
	if r == nil {
		return condAll
	}
	return docCond(bson.D{{Key: "lu", Value: r}}, true)
}
