package mongo

import (
	"github.com/nimsproject/nims/fhir/search"
)

// :missing (search.Matcher.filter): true when the resource has no entry of the
// parameter, false when it has one. Every entry gives at least one key of the
// parameter (index.go), so presence is a range of keys and absence its complement, both
// exact.

func missingCond(f *search.Filter) cond {
	var yes, no bool
	for _, v := range f.Values {
		yes, no = yes || v.Missing, no || !v.Missing
	}
	switch {
	case yes && no:
		return condAll
	case yes:
		return negate(presence(f.Param))
	case no:
		return presence(f.Param)
	}
	return condNever
}

// presence is "the resource has an entry of p": a key of p in the field of its type; for
// a reference, a reference or an identifier (a token). _lastUpdated is always there.
func presence(p *search.Param) cond {
	if p.Name == "_lastUpdated" || p.Name == "_id" {
		return condAll
	}
	switch p.Type {
	case search.TypeToken, search.TypeURI:
		return hasParam(fieldToken, p.Name)
	case search.TypeString:
		return hasParam(fieldString, p.Name)
	case search.TypeDate:
		return hasParam(fieldDate, p.Name)
	case search.TypeNumber, search.TypeQuantity:
		return hasParam(fieldNumber, p.Name)
	case search.TypeReference:
		return anyOf(hasParam(fieldRef, p.Name), hasParam(fieldToken, p.Name))
	}
	return condNever // composite and special parameters have no entries
}
