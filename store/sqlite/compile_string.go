package sqlite

import (
	"github.com/nimsproject/nims/fhir/search"
)

// String filters (search.matchString) on the strings table: starts-with is a range of
// the normalised text, :exact compares the value as written (whose normalised text is
// known, so it is a range too), :contains reads the parameter's rows.

func stringPred(b *builder, f *search.Filter) *pred {
	for i := range f.Values {
		v := &f.Values[i]
		switch f.Modifier {
		case search.ModNone:
			lo, hi := prefixRange(v.Text)
			b.add("strings", "%[1]s.text >= ? AND %[1]s.text < ?", lo, hi)
		case search.ModExact:
			exact := v.Code
			if exact == "" {
				exact = v.Raw
			}
			b.add("strings", "%[1]s.text = ? AND %[1]s.value = ?", search.Normalize(exact), exact).unique = true
		case search.ModContains:
			b.add("strings", "instr(%[1]s.text, ?) > 0", v.Text).scan = true
		}
	}
	return b.pred(false)
}

// prefixRange is the range [lo, hi) of the strings that start with s, bytewise: UTF-8
// text never holds the byte 0xff, so every extension of s sorts below s+"\xff" and every
// other string at or above s sorts above it.
func prefixRange(s string) (lo, hi string) {
	return s, s + "\xff"
}
