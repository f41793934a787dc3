package mongo

import (
	"strings"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
)

// Reference filters (search.matchReference) on the rf keys: "param \x1f id \x1f Type" for a
// local reference, "param \x1f url" for an absolute one. "Type/id" is one key; an id alone
// the keys that start with "param \x1f id \x1f" (any type); an absolute URL its own key
// and, when it ends in Type/id, that local key. Filter.TargetType keeps only keys of that
// type. :identifier compares the Reference.identifier entries, which are tk tokens of the
// parameter; :text the displays. All exact but :text.

func referenceCond(f *search.Filter) cond {
	var cs []cond
	switch f.Modifier {
	case search.ModNone, search.ModType:
		for i := range f.Values {
			cs = append(cs, referenceValue(f.Param.Name, f.TargetType, &f.Values[i]))
		}
	case search.ModIdentifier:
		return tokenValues(f.Param.Name, f.Values)
	case search.ModText:
		return textCond(f)
	}
	return anyOf(cs...)
}

// referenceValue is one value; target, when set, is the only type a match may refer to.
func referenceValue(param, target string, v *search.Value) cond {
	exact := !hasControl(v.URL) && !hasControl(v.RefID) && !hasControl(v.RefType)
	var keys []any
	local := func(typ, id string) {
		if target == "" || typ == target {
			keys = append(keys, localRefKey(param, typ, id))
		}
	}
	switch {
	case v.URL != "":
		typ, id, tail := urlTail(v.URL)
		if target == "" || (tail && typ == target) {
			keys = append(keys, urlRefKey(param, v.URL))
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
		keys = append(keys, prefixRegex(param+sep+keyPart(v.RefID)+sep))
	}
	return inCond(fieldRef, exact, keys...)
}

// urlTail reads the Type/id an absolute URL ends in (after any /_history/n), the local
// resource search.Match takes it to name whatever the base.
func urlTail(u string) (typ, id string, ok bool) {
	segs := strings.Split(u, "/")
	if n := len(segs); n >= 4 && segs[n-2] == "_history" {
		segs = segs[:n-2]
	}
	n := len(segs)
	if n < 3 || !fhir.IsResourceType(segs[n-2]) || !fhir.ValidID(segs[n-1]) {
		return "", "", false
	}
	return segs[n-2], segs[n-1], true
}
