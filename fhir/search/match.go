package search

import (
	"strings"
	"time"
)

// Resolver is how Match follows references, for chains and _has. A store, or a test
// fixture (MemResolver), implements it over the live resources.
type Resolver interface {
	// Resolve returns the current version of typ/id, decoded; false when there is none
	// (never created, or deleted).
	Resolve(typ, id string) (map[string]any, bool)
	// Referrers returns the resources of type typ whose parameter param has a local
	// reference to targetType/targetID, in a stable order.
	Referrers(typ string, param *Param, targetType, targetID string) []map[string]any
}

// Match reports whether the resource (its decoded object) satisfies q. It is the reference
// semantics: every backend's compiled query must agree with it. Chains and _has match
// nothing without a resolver: use MatchWith.
func Match(q *Query, obj map[string]any) bool {
	return MatchWith(q, obj, nil)
}

// MatchWith is Match following references through r. A nil r makes every chain and _has
// filter false. The "now" of date ap is the time of the call; a Matcher pins it.
func MatchWith(q *Query, obj map[string]any, r Resolver) bool {
	return Matcher{Resolver: r}.Match(q, obj)
}

// Matcher is the context of an evaluation: the resolver of references and the "now"
// from which date ap measures its tolerance (the zero time means time.Now at each call).
// A differential test pins Now and gives the backend the same instant.
type Matcher struct {
	Resolver Resolver
	Now      time.Time
}

// Match reports whether obj is of q.Type and passes every Filter of q.
func (m Matcher) Match(q *Query, obj map[string]any) bool {
	if rt, _ := obj["resourceType"].(string); rt != q.Type {
		return false
	}
	if len(q.Filters) > 0 && m.Now.IsZero() {
		m.Now = time.Now()
	}
	for i := range q.Filters {
		if !m.filter(&q.Filters[i], obj) {
			return false
		}
	}
	return true
}

// filter evaluates one Filter: any of its Values may match (OR), except under :not,
// where none may (see matchToken).
func (m Matcher) filter(f *Filter, obj map[string]any) bool {
	if f.Has != nil {
		return m.has(f.Has, obj)
	}
	if f.Param == nil {
		return false
	}
	if f.Chain != nil {
		return m.chain(f, obj)
	}
	entries := f.Param.Extract(obj)
	if f.Modifier == ModOfType {
		return matchOfType(f, entries)
	}
	entries = withoutOfType(entries)
	if f.Modifier == ModMissing {
		for _, v := range f.Values {
			if v.Missing == (len(entries) == 0) {
				return true
			}
		}
		return false
	}
	switch f.Param.Type {
	case TypeToken:
		return matchToken(f, entries)
	case TypeString:
		return anyValue(f, entries, matchString)
	case TypeURI:
		return anyValue(f, entries, matchURI)
	case TypeDate:
		return anyValue(f, entries, func(_ Modifier, v *Value, e *Entry) bool { return matchDate(v, e, m.Now) })
	case TypeNumber:
		return anyValue(f, entries, func(_ Modifier, v *Value, e *Entry) bool { return matchNumber(v, e) })
	case TypeQuantity:
		return anyValue(f, entries, func(_ Modifier, v *Value, e *Entry) bool { return matchQuantity(v, e) })
	case TypeReference:
		return matchReference(f, entries)
	}
	// composite and special: Parse does not accept them, so nothing matches.
	return false
}

// anyValue reports whether some value matches some entry.
func anyValue(f *Filter, entries []Entry, match func(Modifier, *Value, *Entry) bool) bool {
	for i := range f.Values {
		for j := range entries {
			if match(f.Modifier, &f.Values[i], &entries[j]) {
				return true
			}
		}
	}
	return false
}

// OfTypeSuffix marks the entries that answer token :of-type: for an Identifier with a
// type, the table emits, besides its plain token entry, an entry whose Param is the
// parameter's name + OfTypeSuffix, with System and Code the type's coding and Text the
// Identifier.value as written. Every other modifier ignores these entries, as an index
// keyed by parameter name does.
const OfTypeSuffix = ":of-type"

func isOfType(e *Entry) bool { return strings.HasSuffix(e.Param, OfTypeSuffix) }

// withoutOfType drops :of-type entries, without copying in the usual case of none.
func withoutOfType(entries []Entry) []Entry {
	for i := range entries {
		if isOfType(&entries[i]) {
			out := make([]Entry, 0, len(entries)-1)
			for j := range entries {
				if !isOfType(&entries[j]) {
					out = append(out, entries[j])
				}
			}
			return out
		}
	}
	return entries
}

func resourceKey(obj map[string]any) (typ, id string) {
	typ, _ = obj["resourceType"].(string)
	id, _ = obj["id"].(string)
	return typ, id
}
