package sqlite

import (
	"github.com/nimsproject/nims/fhir/search"
)

// :missing (search.Matcher.filter): true when the resource has no entry of the
// parameter, false when it has one, of any value.

// anyRow adds the terms that find any entry of the parameter (:missing=false), by the
// parameter's type: a reference's identifiers are tokens entries.
func (b *builder) anyRow(typ search.ParamType) {
	switch typ {
	case search.TypeToken:
		b.add("tokens", "")
	case search.TypeString:
		b.add("strings", "")
	case search.TypeURI:
		b.add("uris", "")
	case search.TypeDate:
		b.add("dates", "")
	case search.TypeNumber, search.TypeQuantity:
		b.add("numbers", "")
	case search.TypeReference:
		b.add("refs", "")
		b.add("tokens", "")
	}
}

// missingPred: :missing=true holds when the resource has no entry of the parameter,
// false when it has one; both values together always hold.
func missingPred(b *builder, f *search.Filter) *pred {
	var yes, no bool
	for _, v := range f.Values {
		yes, no = yes || v.Missing, no || !v.Missing
	}
	if yes && no {
		return alwaysTrue
	}
	if !yes && !no {
		return alwaysFalse
	}
	b.anyRow(f.Param.Type)
	return b.pred(yes)
}
