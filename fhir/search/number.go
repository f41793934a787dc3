package search

import (
	"math"
	"math/big"
	"strconv"
)

// maxExponent bounds the exponent of a decimal DecimalRange reads: past it the value is
// beyond float64 anyway, and big.Rat would otherwise build a power of ten as large as
// the exponent asks.
const maxExponent = 400

// DecimalRange reads a FHIR decimal (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?) and
// returns its value and the range [low, high) it stands for at the precision it is
// written to: half a unit of its last significant digit either side
// (https://hl7.org/fhir/R4/search.html#number). So 100 is [99.5, 100.5), 100.00 is
// [99.995, 100.005), 1.50 is [1.495, 1.505), and 1e2, one significant figure, is
// [50, 150); 1.0e2 is [95, 105). (The R4 search page's table gives [95, 105) for 1e2, which
// is the two-figure reading; the rule in its text, significant figures, gives [50, 150).)
//
// The bounds are the float64 nearest to the exact decimal bounds, except that high is
// always above value (for integers past 2^53, where half a unit is below float64's
// resolution, it is the next float64). ok is false for anything else, including values
// outside the float64 range.
func DecimalRange(raw string) (value, low, high float64, ok bool) {
	mant, frac, exp, ok := decimalParts(raw)
	if !ok {
		return 0, 0, 0, false
	}
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, 0, 0, false
	}
	// The last significant digit is worth 10^(exp-frac); half of it is 5·10^(exp-frac-1).
	scale := exp - frac - 1
	if scale > maxExponent || scale < -maxExponent-len(mant) {
		return 0, 0, 0, false
	}
	var exact, half big.Rat
	if _, ok := exact.SetString(raw); !ok {
		return 0, 0, 0, false
	}
	half.SetInt64(5)
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(absInt(scale))), nil)
	if scale >= 0 {
		half.Mul(&half, new(big.Rat).SetInt(pow))
	} else {
		half.Quo(&half, new(big.Rat).SetInt(pow))
	}
	lo, _ := new(big.Rat).Sub(&exact, &half).Float64()
	hi, _ := new(big.Rat).Add(&exact, &half).Float64()
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return 0, 0, 0, false
	}
	if hi <= v { // past 2^53 half a unit may be below float64's resolution
		hi = math.Nextafter(v, math.Inf(1))
	}
	return v, lo, hi, true
}

// decimalParts checks the grammar and returns the significand's digits, how many of them
// follow the point, and the exponent.
func decimalParts(s string) (digits string, frac, exp int, ok bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && decDigit(s[i]) {
		i++
	}
	intPart := s[start:i]
	if intPart == "" || (len(intPart) > 1 && intPart[0] == '0') {
		return "", 0, 0, false
	}
	digits = intPart
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && decDigit(s[i]) {
			i++
		}
		if i == fs {
			return "", 0, 0, false
		}
		frac = i - fs
		digits += s[fs:i]
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		es := i
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		ds := i
		for i < len(s) && decDigit(s[i]) {
			i++
		}
		if i == ds || i-ds > 6 {
			return "", 0, 0, false
		}
		e, err := strconv.Atoi(s[es:i])
		if err != nil {
			return "", 0, 0, false
		}
		exp = e
	}
	return digits, frac, exp, i == len(s)
}

func decDigit(c byte) bool { return c >= '0' && c <= '9' }

func absInt(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
