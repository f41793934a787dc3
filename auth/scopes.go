package auth

import (
	"net/url"
	"slices"
	"strings"
)

// Scopes is a set of scopes, as granted to a client: access is allowed when any one
// scope allows it.
type Scopes []Scope

// ParseScopes parses a space-separated scope list (the OAuth scope parameter). Scopes that
// do not parse are returned in rejected, for the caller to refuse or ignore; repeats are
// dropped.
func ParseScopes(s string) (scopes Scopes, rejected []string) {
	seen := map[string]bool{}
	for _, f := range strings.Fields(s) {
		sc, err := ParseScope(f)
		if err != nil {
			rejected = append(rejected, f)
			continue
		}
		if k := sc.String(); !seen[k] {
			seen[k] = true
			scopes = append(scopes, sc)
		}
	}
	return scopes, rejected
}

// String gives the scopes in canonical form, space-separated, in order.
func (ss Scopes) String() string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.String()
	}
	return strings.Join(parts, " ")
}

// reaches reports whether a system scope s reaches resource type typ.
func (s Scope) reaches(typ string) bool {
	if s.Context != ContextSystem || typ == "" {
		return false
	}
	if s.Type == "*" {
		return !slices.Contains(s.Except, typ)
	}
	return s.Type == typ
}

// Allows reports whether some system scope reaches typ with every interaction of a
// (a must not be empty). Granular parameters are ignored: Granular says what they
// restrict.
func (ss Scopes) Allows(typ string, a Access) bool {
	for _, s := range ss {
		if s.reaches(typ) && s.Access.Has(a) {
			return true
		}
	}
	return false
}

// Granular returns the granular restrictions on access a to typ, for the enforcement
// layer: unrestricted is true when some scope allows it without parameters (params is
// then nil); otherwise each element of params is one scope's parameters, and a resource
// is allowed when it matches every parameter of at least one of them. No params and not
// unrestricted means no access. An enforcement layer must refuse what it cannot evaluate:
// a restriction it does not understand must not widen access. The values are copies.
func (ss Scopes) Granular(typ string, a Access) (params []url.Values, unrestricted bool) {
	for _, s := range ss {
		if !s.reaches(typ) || !s.Access.Has(a) {
			continue
		}
		if len(s.Params) == 0 {
			return nil, true
		}
		params = append(params, cloneParams(s.Params))
	}
	return params, false
}

func cloneParams(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = slices.Clone(vs)
	}
	return c
}

// Intersect returns what a client asking for requested may be granted under a policy
// allowed: the meet of every requested scope with every allowed one, less the scopes
// another one in the result already covers. The meet of two scopes r and p is empty
// unless all of these leave something:
//
//   - context: equal (policies hold system scopes, so user and patient ones meet nothing);
//   - type: "*" and "*" give "*" (excepting what either excepts); "*" and a type give the
//     type unless it is excepted; two types must be equal;
//   - access: the bits both hold (r.Access & p.Access);
//   - granular parameters: both unrestricted gives unrestricted; one granular gives its
//     parameters (an unrestricted request under a granular policy is cut down to the
//     policy's restriction, and a granular request keeps its own); both granular gives
//     every parameter of either, when they agree on the parameters they share, and
//     nothing when they give one parameter different values: that meet could only be
//     written by repeating the parameter, which Scope does not allow, and dropping it
//     errs towards less access.
func Intersect(requested, allowed Scopes) Scopes {
	var out Scopes
	for _, r := range requested {
		for _, p := range allowed {
			if m, ok := meet(r, p); ok {
				out = append(out, m)
			}
		}
	}
	return prune(out)
}

func meet(r, p Scope) (Scope, bool) {
	m := Scope{Context: r.Context, Access: r.Access & p.Access}
	if r.Context != p.Context || m.Access == 0 {
		return Scope{}, false
	}
	switch {
	case r.Type == "*" && p.Type == "*":
		m.Type = "*"
		m.Except = union(r.Except, p.Except)
	case r.Type == "*":
		m.Type = p.Type
	case p.Type == "*" || p.Type == r.Type:
		m.Type = r.Type
	default:
		return Scope{}, false
	}
	if m.Type != "*" && (slices.Contains(r.Except, m.Type) || slices.Contains(p.Except, m.Type)) {
		return Scope{}, false
	}
	params, ok := meetParams(r.Params, p.Params)
	if !ok {
		return Scope{}, false
	}
	m.Params = params
	return m, true
}

func meetParams(a, b url.Values) (url.Values, bool) {
	if len(a) == 0 {
		return cloneParams(b), true
	}
	out := cloneParams(a)
	for k, vs := range b {
		if have, ok := out[k]; ok {
			if !slices.Equal(have, vs) {
				return nil, false
			}
			continue
		}
		out[k] = slices.Clone(vs)
	}
	return out, true
}

func union(a, b []string) []string {
	if len(a)+len(b) == 0 {
		return nil
	}
	u := append(slices.Clone(a), b...)
	slices.Sort(u)
	return slices.Compact(u)
}

// covers reports whether t allows everything s allows.
func (t Scope) covers(s Scope) bool {
	if t.Context != s.Context || s.Access&^t.Access != 0 {
		return false
	}
	switch {
	case t.Type == "*" && s.Type == "*":
		for _, e := range t.Except {
			if !slices.Contains(s.Except, e) {
				return false
			}
		}
	case t.Type == "*":
		if slices.Contains(t.Except, s.Type) {
			return false
		}
	case t.Type != s.Type:
		return false
	}
	// t's restriction must be implied by s's: every parameter of t, with its value, in s.
	for k, vs := range t.Params {
		if !slices.Equal(s.Params[k], vs) {
			return false
		}
	}
	return true
}

// prune drops scopes another one covers; of two equal scopes the first stays.
func prune(ss Scopes) Scopes {
	var out Scopes
	for i, s := range ss {
		dominated := false
		for j, t := range ss {
			if i != j && t.covers(s) && (j < i || !s.covers(t)) {
				dominated = true
				break
			}
		}
		if !dominated {
			out = append(out, s)
		}
	}
	return out
}
