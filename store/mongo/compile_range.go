package mongo

import (
	"math"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Ranges of dates and numbers. Their keys are a prefix (the parameter and a separator)
// and a number as 16 hex digits in an order-preserving encoding (index.go), so "some
// entry's number lies in [lo, hi]" is "some key lies between two keys". That is written
//
//	{field: {$elemMatch: {$gte: prefix+lo, $lte: prefix+hi, $regex: pattern}}}
//
// The bounds are what MongoDB builds the scan of its multikey index from: $elemMatch
// makes both hold for one key, so the scan is the range and nothing more. The pattern
// says the same thing as an anchored regular expression (the numbers from lo to hi as a
// union of digit classes), because FerretDB v1.24 does not tie the conditions of an
// $elemMatch over scalars to one element: it would accept a document with one key above
// lo and another below hi. A key that matches the pattern lies in the range, so the
// condition is exact on both servers.

// keyRange is "some key of field is prefix followed by a number in [lo, hi]".
func keyRange(field, prefix string, lo, hi uint64) cond {
	switch {
	case lo > hi:
		return condNever
	case lo == 0 && hi == math.MaxUint64:
		return inCond(field, true, prefixRegex(prefix))
	}
	pattern := "^" + quoteRegex(prefix) + "(?:" + strings.Join(hexRange(hexKey(lo), hexKey(hi)), "|") + `)\z`
	return docCond(bson.D{{Key: field, Value: bson.D{{Key: "$elemMatch", Value: bson.D{
		{Key: "$gte", Value: prefix + hexKey(lo)}, {Key: "$lte", Value: prefix + hexKey(hi)},
		{Key: "$regex", Value: bson.Regex{Pattern: pattern}}}}}}}, true)
}

// hexRange returns patterns that together match exactly the hex strings of the length
// of lo and hi (lowercase) from lo to hi, inclusive: a common prefix, then a partial
// block above lo, whole blocks between, and a partial block below hi.
func hexRange(lo, hi string) []string {
	switch {
	case lo == hi:
		return []string{lo}
	case lo[0] == hi[0]:
		return prefixAll(lo[:1], hexRange(lo[1:], hi[1:]))
	}
	n := len(lo) - 1 // digits after the first
	first, last := hexValue(lo[0]), hexValue(hi[0])
	var out []string
	if strings.Trim(lo[1:], "0") != "" {
		out = append(out, prefixAll(lo[:1], hexRange(lo[1:], strings.Repeat("f", n)))...)
		first++
	}
	partialHigh := strings.Trim(hi[1:], "f") != ""
	if partialHigh {
		last--
	}
	if first <= last {
		out = append(out, hexClass(first, last)+anyHex(n))
	}
	if partialHigh {
		out = append(out, prefixAll(hi[:1], hexRange(strings.Repeat("0", n), hi[1:]))...)
	}
	return out
}

func prefixAll(p string, patterns []string) []string {
	for i := range patterns {
		patterns[i] = p + patterns[i]
	}
	return patterns
}

const hexDigits = "0123456789abcdef"

func hexValue(c byte) int { return strings.IndexByte(hexDigits, c) }

// hexClass matches one digit from a to b: "7", "[0-7]", "[8-9a-c]".
func hexClass(a, b int) string {
	if a == b {
		return hexDigits[a : a+1]
	}
	class := ""
	span := func(x, y int) { // x..y within 0-9 or within a-f
		switch {
		case x > y:
		case x == y:
			class += hexDigits[x : x+1]
		default:
			class += hexDigits[x:x+1] + "-" + hexDigits[y:y+1]
		}
	}
	span(a, min(b, 9))
	span(max(a, 10), b)
	return "[" + class + "]"
}

// anyHex matches n digits.
func anyHex(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return "[0-9a-f]"
	}
	return "[0-9a-f]{" + itoa(n) + "}"
}

func itoa(n int) string {
	if n < 10 {
		return hexDigits[n : n+1]
	}
	return itoa(n/10) + hexDigits[n%10:n%10+1]
}

// below and above are the neighbours of an ordered number; ok is false at the ends.
func below(u uint64) (uint64, bool) { return u - 1, u > 0 }
func above(u uint64) (uint64, bool) { return u + 1, u < math.MaxUint64 }
