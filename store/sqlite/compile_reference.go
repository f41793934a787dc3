package sqlite

import (
	"strings"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
)

// Reference filters (search.matchReference) on the refs table, whose local rows have
// refid and reftype and absolute ones url. "Type/id" needs both; a bare id any type (or
// Filter.TargetType's); an absolute URL the same URL, or, when it ends in Type/id, the
// local reference to Type/id. :identifier compares the Reference.identifier entries,
// which are tokens rows of the parameter; :text the displays.
func referencePred(b *builder, f *search.Filter) *pred {
	switch f.Modifier {
	case search.ModNone, search.ModType:
		for i := range f.Values {
			referenceTerms(b, f.TargetType, &f.Values[i])
		}
	case search.ModIdentifier:
		for i := range f.Values {
			tokenTerm(b, &f.Values[i])
		}
	case search.ModText:
		textTerms(b, f, search.TypeReference)
	}
	return b.pred(false)
}

// referenceTerms adds the terms of one value; target, when set, is the only type a
// match may refer to.
func referenceTerms(b *builder, target string, v *search.Value) {
	local := func(typ, id string) {
		if target == "" || typ == target {
			b.add("refs", "%[1]s.refid = ? AND %[1]s.reftype = ?", id, typ)
		}
	}
	switch {
	case v.URL != "":
		typ, id, tail := urlTail(v.URL)
		if target == "" || (tail && typ == target) {
			b.add("refs", "%[1]s.refid = '' AND %[1]s.reftype = '' AND %[1]s.url = ?", v.URL)
		}
		if tail {
			local(typ, id)
		}
	case v.RefID == "":
	case v.RefType != "":
		local(v.RefType, v.RefID)
	case target != "":
		local(target, v.RefID)
	default:
		b.add("refs", "%[1]s.refid = ?", v.RefID)
	}
}

// urlTail reads "…/Type/id" or "…/Type/id/_history/n" at the end of an absolute URL, as
// search.Match does.
func urlTail(u string) (typ, id string, ok bool) {
	segs := strings.Split(u, "/")
	if n := len(segs); n >= 4 && segs[n-2] == "_history" {
		segs = segs[:n-2]
	}
	n := len(segs)
	if n < 3 {
		return "", "", false
	}
	typ, id = segs[n-2], segs[n-1]
	if !fhir.IsResourceType(typ) || !fhir.ValidID(id) {
		return "", "", false
	}
	return typ, id, true
}
