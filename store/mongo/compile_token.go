package mongo

import (
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/nimsproject/nims/fhir/search"
)

// Token filters (search.matchToken) on the tk keys "param \x1f code \x1f system":
// system|code and |code are one key; code (any system) the keys that start with
// "param \x1f code \x1f"; system| (any code) a pattern on the system at the end. :not is
// the complement of the same keys ($nin), exact because they are. :text is a substring
// of the displays (st "param:text"), a superset of search.TextMatches's word prefixes;
// :of-type the one key of its three parts. Uris are tokens without a system: equality,
// :below a prefix, :above the list of the value's ancestors, :contains a substring.

func tokenCond(f *search.Filter) cond {
	switch f.Modifier {
	case search.ModNone:
		return tokenValues(f.Param.Name, f.Values)
	case search.ModNot:
		return negate(tokenValues(f.Param.Name, f.Values))
	case search.ModText:
		return textCond(f)
	case search.ModOfType:
		return ofTypeCond(f)
	}
	return condNever // :above, :below, :in, :not-in need terminology: Parse rejects them
}

// tokenValues is any of the token values on param's keys.
func tokenValues(param string, vals []search.Value) cond {
	cs := make([]cond, len(vals))
	for i := range vals {
		cs[i] = tokenValue(param, &vals[i])
	}
	return anyOf(cs...)
}

func tokenValue(param string, v *search.Value) cond {
	exact := !hasControl(v.Code) && !hasControl(v.System)
	switch {
	case v.AnySystem:
		return inCond(fieldToken, exact, prefixRegex(param+sep+keyPart(v.Code)+sep))
	case v.AnyCode:
		// The code holds no separator (keyPart), so the system is what follows the second.
		return inCond(fieldToken, exact, bson.Regex{Pattern: "^" + quoteRegex(param+sep) + "[^" + sep + "]*" + quoteRegex(sep+keyPart(v.System)) + `\z`})
	}
	return inCond(fieldToken, exact, tokenKey(param, v.Code, v.System))
}

// textCond is token and reference :text: the displays that hold the value. An empty value
// matches every entry of the parameter (TextMatches("", "") holds too).
func textCond(f *search.Filter) cond {
	var cs []cond
	for _, v := range f.Values {
		if v.Text == "" {
			return presence(f.Param)
		}
		cs = append(cs, inCond(fieldString, false, containsRegex(f.Param.Name+textSuffix+sep, keyPart(v.Text))))
	}
	return anyOf(cs...)
}

// ofTypeCond is identifier:of-type=type-system|type-code|value.
func ofTypeCond(f *search.Filter) cond {
	cs := make([]cond, len(f.Values))
	for i, v := range f.Values {
		exact := !hasControl(v.Code) && !hasControl(v.TypeSystem) && !hasControl(v.TypeCode)
		cs[i] = inCond(fieldToken, exact, ofTypeKey(f.Param.Name+search.OfTypeSuffix, v.Code, v.TypeSystem, v.TypeCode))
	}
	return anyOf(cs...)
}

// idCond answers _id from the document's id, as Match does from the resource's _id
// entry (a code without a system or display): "id" and "|id" find it, "system|…" never
// does; it is never missing; :text matches only an empty value.
func idCond(f *search.Filter) cond {
	switch f.Modifier {
	case search.ModNone, search.ModNot:
		var ids []any
		for _, v := range f.Values {
			if v.AnySystem || (!v.AnyCode && v.System == "") {
				ids = append(ids, v.Code)
			}
		}
		c := inCond("id", true, ids...)
		if f.Modifier == search.ModNot {
			return negate(c)
		}
		return c
	case search.ModMissing:
		for _, v := range f.Values {
			if !v.Missing {
				return condAll
			}
		}
	case search.ModText:
		for _, v := range f.Values {
			if v.Text == "" {
				return condAll
			}
		}
	}
	return condNever
}

func uriCond(f *search.Filter) cond {
	cs := make([]cond, len(f.Values))
	for i := range f.Values {
		cs[i] = uriValue(f.Param.Name, f.Modifier, f.Values[i].Code)
	}
	return anyOf(cs...)
}

// uriValue is one uri value (search.matchURI) on the keys "param \x1f uri \x1f".
func uriValue(param string, mod search.Modifier, u string) cond {
	exact := !hasControl(u)
	switch mod {
	case search.ModNone:
		return inCond(fieldToken, exact, tokenKey(param, u, ""))
	case search.ModBelow:
		switch {
		case u == "":
			return condNever
		case strings.HasSuffix(u, "/"):
			return inCond(fieldToken, exact, prefixRegex(param+sep+keyPart(u)))
		}
		return inCond(fieldToken, exact, tokenKey(param, u, ""), prefixRegex(param+sep+keyPart(u)+"/"))
	case search.ModAbove:
		var keys []any
		for _, a := range uriAncestors(u) {
			keys = append(keys, tokenKey(param, a, ""))
		}
		return inCond(fieldToken, exact, keys...)
	case search.ModContains:
		return inCond(fieldToken, exact, containsRegex(param+sep, keyPart(u)))
	}
	return condNever
}

// uriAncestors lists the uris u lies at or under by whole path segments: u, and every
// non-empty prefix of u that ends with "/" or is followed by one.
func uriAncestors(u string) []string {
	if u == "" {
		return nil
	}
	out := []string{u}
	for i := 1; i < len(u); i++ {
		if u[i-1] == '/' || u[i] == '/' {
			out = append(out, u[:i])
		}
	}
	return out
}
