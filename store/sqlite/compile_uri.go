package sqlite

import (
	"strings"

	"github.com/nimsproject/nims/fhir/search"
)

// URI filters (search.matchURI) on the uris table: equality; :below a prefix range cut
// at a path segment; :above the value's own ancestors, listed; :contains a substring.

func uriPred(b *builder, f *search.Filter) *pred {
	for i := range f.Values {
		v := f.Values[i].Code
		switch f.Modifier {
		case search.ModNone:
			b.add("uris", "%[1]s.value = ?", v).unique = true
		case search.ModBelow:
			uriBelow(b, v)
		case search.ModAbove:
			if anc := uriAncestors(v); len(anc) > 0 {
				args := make([]any, len(anc))
				for i, a := range anc {
					args[i] = a
				}
				b.add("uris", "%[1]s.value IN ("+placeholders(len(anc))+")", args...)
			}
		case search.ModContains:
			b.add("uris", "instr(%[1]s.value, ?) > 0", v).scan = true
		}
	}
	return b.pred(false)
}

// uriBelow adds the terms of the uris at or under base by whole path segments.
func uriBelow(b *builder, base string) {
	if base == "" {
		return
	}
	if strings.HasSuffix(base, "/") {
		lo, hi := prefixRange(base)
		b.add("uris", "%[1]s.value >= ? AND %[1]s.value < ?", lo, hi)
		return
	}
	b.add("uris", "%[1]s.value = ?", base)
	lo, hi := prefixRange(base + "/")
	b.add("uris", "%[1]s.value >= ? AND %[1]s.value < ?", lo, hi)
}

// uriAncestors returns every non-empty uri that v lies at or under by whole path
// segments (search's uriWithin(v, a)): v itself, and each prefix of v that ends with
// "/" or is followed by one.
func uriAncestors(v string) []string {
	if v == "" {
		return nil
	}
	out := []string{v}
	for i := 1; i < len(v); i++ {
		if v[i-1] == '/' {
			out = append(out, v[:i])
		}
		if v[i] == '/' {
			out = append(out, v[:i])
		}
	}
	return out
}
