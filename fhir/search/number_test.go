package search

import (
	"math"
	"testing"
)

func TestDecimalRange(t *testing.T) {
	tests := []struct {
		in               string
		value, low, high float64
		ok               bool
	}{
		{"100", 100, 99.5, 100.5, true},
		{"100.00", 100, 99.995, 100.005, true},
		{"1.50", 1.5, 1.495, 1.505, true},
		{"0.3", 0.3, 0.25, 0.35, true},
		{"3", 3, 2.5, 3.5, true},
		{"0", 0, -0.5, 0.5, true},
		{"-2.5", -2.5, -2.55, -2.45, true},
		{"1e2", 100, 50, 150, true},
		{"1.0e2", 100, 95, 105, true},
		{"1.00E2", 100, 99.5, 100.5, true},
		{"5e-3", 0.005, 0.0045, 0.0055, true},
		{"2.5E+1", 25, 24.5, 25.5, true},
		{"1e308", 1e308, 0.5e308, 1.5e308, true},
		{"20000000000000000", 2e16, 2e16, 2e16 + 4, true}, // ±0.5 is below the resolution: high is the next float64

		{"", 0, 0, 0, false},
		{"-", 0, 0, 0, false},
		{"01", 0, 0, 0, false},
		{"1.", 0, 0, 0, false},
		{".5", 0, 0, 0, false},
		{"+1", 0, 0, 0, false},
		{"1e", 0, 0, 0, false},
		{"1e+", 0, 0, 0, false},
		{"1,5", 0, 0, 0, false},
		{"NaN", 0, 0, 0, false},
		{"Inf", 0, 0, 0, false},
		{"0x10", 0, 0, 0, false},
		{"1e400", 0, 0, 0, false},
		{"1e999999", 0, 0, 0, false},
		{"1e-999999", 0, 0, 0, false},
		{"1e1000000000", 0, 0, 0, false},
		{"1 ", 0, 0, 0, false},
	}
	for _, tc := range tests {
		v, lo, hi, ok := DecimalRange(tc.in)
		if ok != tc.ok || v != tc.value || !nearlyEqualFloat(lo, tc.low) || !nearlyEqualFloat(hi, tc.high) {
			t.Errorf("DecimalRange(%q) = %v, [%v, %v), %v; want %v, [%v, %v), %v", tc.in, v, lo, hi, ok, tc.value, tc.low, tc.high, tc.ok)
		}
	}
}

// nearlyEqualFloat allows the last bit: the bounds are the float64 nearest the exact decimal, and the
// literals in the table are too.
func nearlyEqualFloat(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-15*math.Max(math.Abs(a), math.Abs(b))
}

func FuzzDecimalRange(f *testing.F) {
	for _, s := range []string{"100", "1.50", "1e2", "-0.000", "9.999e307", "1e-320"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, lo, hi, ok := DecimalRange(s)
		if ok && !(lo <= v && v < hi) {
			t.Errorf("DecimalRange(%q) = %v, [%v, %v): value outside its range", s, v, lo, hi)
		}
	})
}
