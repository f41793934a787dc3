package nhscsv

import (
	"errors"
	"strings"
	"testing"

	"github.com/nimsproject/nims/fhir"
)

// Parsing a value list never panics, and what it splits joins back to the same values.
func FuzzSplitValues(f *testing.F) {
	for _, s := range []string{`"a"|"b"`, `a|b|`, `"a""b"|c`, `"a`, `"a"b`, `||""|`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		vals, err := splitValues(line)
		if err != nil {
			return
		}
		quoted := make([]string, len(vals))
		for i, v := range vals {
			quoted[i] = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
		}
		again, err := splitValues(strings.Join(quoted, "|"))
		if err != nil || strings.Join(again, "\x00") != strings.Join(vals, "\x00") {
			t.Errorf("splitValues(%q) = %q; quoted again it gives %q, %v", line, vals, again, err)
		}
	})
}

// A file name is accepted or refused with a *fhir.Error, never a panic.
func FuzzParseFileName(f *testing.F) {
	for _, s := range []string{"FLU_Vaccinations_v5_RX809_20241015T17300000.csv", "a_b_c_d_e.dat", "_.", "FLU_Vaccinations_v5_RX809_20241015T1730000\xff.csv"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		fn, err := ParseFileName(name)
		var fe *fhir.Error
		if err != nil && !errors.As(err, &fe) {
			t.Errorf("ParseFileName(%q): %T %v, want a *fhir.Error", name, err, err)
		}
		if err == nil && fhir.DiseasesOf(fn.VaccineType) == nil {
			t.Errorf("ParseFileName(%q) accepted vaccine type %q", name, fn.VaccineType)
		}
	})
}
