package mongo

import (
	"github.com/nimsproject/nims/fhir/search"
)

// String filters (search.matchString) on the st keys "param \x1f normalised text":
// starts-with is an anchored regex (an index range on MongoDB), :contains a substring
// after the parameter, both exact. :exact looks up the normalised form of the value, and
// the value as written among the keys of entries whose text is not its normalised form
// (index.go): a superset, since other spellings normalise alike; Match decides.

func stringCond(f *search.Filter) cond {
	cs := make([]cond, len(f.Values))
	for i := range f.Values {
		cs[i] = stringValue(f.Param.Name, f.Modifier, &f.Values[i])
	}
	return anyOf(cs...)
}

func stringValue(param string, mod search.Modifier, v *search.Value) cond {
	switch mod {
	case search.ModNone:
		return inCond(fieldString, !hasControl(v.Text), prefixRegex(param+sep+keyPart(v.Text)))
	case search.ModContains:
		return inCond(fieldString, !hasControl(v.Text), containsRegex(param+sep, keyPart(v.Text)))
	case search.ModExact:
		x := v.Code
		if x == "" {
			x = v.Raw
		}
		return inCond(fieldString, false, stringKey(param, search.Normalize(x)), stringKey(param+exactSuffix, x))
	}
	return condNever
}
