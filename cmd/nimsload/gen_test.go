package main

import (
	"testing"

	"github.com/nimsproject/nims/fhir"
)

// The population's NHS numbers pass Modulus 11 and never repeat.
func TestNHSNumbersValidAndUnique(t *testing.T) {
	seen := map[string]int{}
	for n := range 200000 {
		s := NHSNumber(n)
		if !fhir.ValidNHSNumber(s) {
			t.Fatalf("NHSNumber(%d) = %s, not Modulus 11 valid", n, s)
		}
		if m, dup := seen[s]; dup {
			t.Fatalf("NHSNumber(%d) = NHSNumber(%d) = %s", n, m, s)
		}
		seen[s] = n
	}
}
