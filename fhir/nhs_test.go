package fhir

import (
	"math/big"
	"strings"
	"testing"
)

func TestValidNHSNumber(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"9000000009", true},
		{"9000000025", true},
		{"9000000033", true},
		{"9990548609", true},
		{"9461267665", true},
		{"9449304424", true},
		{"9473081898", true},
		{"1234567890", false}, // check value 10: never issued
		{"9000000000", false}, // wrong check digit
		{"900000000", false},  // nine digits
		{"90000000090", false},
		{"900000000a", false},
		{"", false},
		{" 9000000009", false},
		{"9000000009 ", false},
		{"900 000 0009", false},
		{"９000000009", false}, // full-width digit: not ASCII
	}
	for _, tc := range tests {
		if got := ValidNHSNumber(tc.in); got != tc.want {
			t.Errorf("ValidNHSNumber(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestValidODSCode(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"A81001", true},    // GP practice
		{"RXX", true},       // trust
		{"RR8", true},       // trust
		{"RR801", true},     // trust site
		{"QWO", true},       // ICB
		{"00L", true},       // sub-ICB location
		{"FA123", true},     // pharmacy
		{"V03462", true},    // dental practice
		{"VLAXL", true},     // care home
		{"X99999", true},    // unknown location
		{"K81003001", true}, // branch surgery, nine characters
		{"", false},
		{"AB", false},
		{"K810030011", false}, // ten characters
		{"a81001", false},     // ODS codes are upper case
		{"A8100 1", false},
		{"A81-001", false},
		{"123456", false}, // no letter: a URN or a number, not an ODS code
		{"9000000009", false},
		{"Ä81001", false},
	}
	for _, tc := range tests {
		if got := ValidODSCode(tc.in); got != tc.want {
			t.Errorf("ValidODSCode(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestValidSNOMEDCode(t *testing.T) {
	valid := []string{
		"840539006",         // COVID-19 (core concept, partition 00)
		"6142004",           // influenza
		"14189004",          // measles
		"4740000",           // herpes zoster
		"1324681000000101",  // UK extension concept, partition 10
		"1362591000000103",  // UK extension concept
		"39114911000001105", // dm+d product
		"43111411000001101", // dm+d product
		"368208006",         // left upper arm
		"78421000",          // intramuscular
		"1354584007",        // MenB disease
	}
	for _, code := range valid {
		if !ValidSNOMEDCode(code) {
			t.Errorf("ValidSNOMEDCode(%q) = false, want true", code)
		}
		// Verhoeff catches every change of one digit.
		for i := range len(code) {
			for d := byte('0'); d <= '9'; d++ {
				if d == code[i] {
					continue
				}
				changed := code[:i] + string(d) + code[i+1:]
				if ValidSNOMEDCode(changed) {
					t.Errorf("ValidSNOMEDCode(%q) = true (one digit changed from %q), want false", changed, code)
				}
			}
		}
	}
	invalid := []string{
		"", "12345", "0840539006", "840539007", "1234567890123456789", "84053900a",
		"840 539006", "-840539006",
		"1324681000000111", // 11: a description id in an extension
		"1324681000000121", // 12: a relationship id
		"840539006:1=2",    // post-coordinated
		"51021000000011x",
	}
	for _, code := range invalid {
		if ValidSNOMEDCode(code) {
			t.Errorf("ValidSNOMEDCode(%q) = true, want false", code)
		}
	}
}

// The Verhoeff tables, derived again: d is multiplication in the dihedral group D5
// (0-4 rotations, 5-9 reflections) and row i of p is row 1 applied i times.
func TestVerhoeffTables(t *testing.T) {
	for j := range 10 {
		for k := range 10 {
			var want int
			switch {
			case j < 5 && k < 5:
				want = (j + k) % 5
			case j < 5:
				want = 5 + (j+k)%5
			case k < 5:
				want = 5 + (j-k+5)%5
			default:
				want = (j - k + 5) % 5
			}
			if int(verhoeffD[j][k]) != want {
				t.Errorf("verhoeffD[%d][%d] = %d, want %d", j, k, verhoeffD[j][k], want)
			}
		}
	}
	for i := 1; i < 8; i++ {
		for x := range 10 {
			if want := verhoeffP[1][verhoeffP[i-1][x]]; verhoeffP[i][x] != want {
				t.Errorf("verhoeffP[%d][%d] = %d, want %d", i, x, verhoeffP[i][x], want)
			}
		}
	}
	// For any body, exactly one check digit of ten passes.
	for _, body := range []string{"0", "84053900", "132468100000010", "142857", "9999999999999999"} {
		n := 0
		for d := byte('0'); d <= '9'; d++ {
			if verhoeffValid(body + string(d)) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d check digits pass for %q, want 1", n, body)
		}
	}
	// Verhoeff also catches every swap of two adjacent different digits.
	code := "1324681000000101"
	for i := 0; i+1 < len(code); i++ {
		if code[i] == code[i+1] {
			continue
		}
		swapped := code[:i] + string(code[i+1]) + string(code[i]) + code[i+2:]
		if verhoeffValid(swapped) {
			t.Errorf("verhoeffValid(%q) = true after a swap, want false", swapped)
		}
	}
}

// nhsNumberByBig recomputes the Modulus 11 rule another way: the nine-digit body as a
// number, its digits taken off with big-integer division, the check value kept in 0..10.
func nhsNumberByBig(s string) bool {
	if len(s) != 10 || strings.TrimLeft(s, "0123456789") != "" {
		return false
	}
	body, ok := new(big.Int).SetString(s[:9], 10)
	if !ok {
		return false
	}
	ten := big.NewInt(10)
	sum := new(big.Int)
	digit := new(big.Int)
	for weight := int64(2); weight <= 10; weight++ { // least significant digit has weight 2
		body.DivMod(body, ten, digit)
		sum.Add(sum, new(big.Int).Mul(digit, big.NewInt(weight)))
	}
	check := new(big.Int).Mod(new(big.Int).Neg(sum), big.NewInt(11)).Int64() // (11 - sum%11) % 11
	return check != 10 && check == int64(s[9]-'0')
}

func FuzzNHSNumber(f *testing.F) {
	for _, s := range []string{"9000000009", "1234567890", "9000000000", "", "900000000a", "99999999999", "0000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidNHSNumber(s), nhsNumberByBig(s); got != want {
			t.Fatalf("ValidNHSNumber(%q) = %v, recomputation says %v", s, got, want)
		}
	})
}

func FuzzSNOMED(f *testing.F) {
	for _, s := range []string{"840539006", "1324681000000101", "0", "", "0123456789", "1234567890123456789", "84053900٦"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidSNOMEDCode(s) {
			return
		}
		if len(s) < 6 || len(s) > 18 || s[0] == '0' || strings.Trim(s, "0123456789") != "" {
			t.Fatalf("ValidSNOMEDCode(%q) = true for a string that is not 6-18 digits", s)
		}
		if p := s[len(s)-3 : len(s)-1]; p != "00" && p != "10" {
			t.Fatalf("ValidSNOMEDCode(%q) = true with partition %q", s, p)
		}
		last := (s[len(s)-1]-'0'+1)%10 + '0'
		if ValidSNOMEDCode(s[:len(s)-1] + string(last)) {
			t.Fatalf("ValidSNOMEDCode accepts %q and the same code with check digit %c", s, last)
		}
	})
}
