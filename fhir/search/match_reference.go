package search

import (
	"strings"

	"github.com/nimsproject/nims/fhir"
)

// Reference matching, chains and _has (https://hl7.org/fhir/R4/search.html#reference,
// #chaining, #has).

// matchReference: "Type/id" needs that type and id; "id" alone any type with that id; an
// absolute URL the same URL, or — when it ends in Type/id (after any /_history/n) — a
// local reference to Type/id, whatever the URL's base, since the server does not know
// every name it is reached by. :[type] (Filter.TargetType, also set by Parse for
// "subject:Patient=123") restricts the entry's type. :identifier compares the
// Reference.identifier entries as tokens; :text the reference's display.
func matchReference(f *Filter, entries []Entry) bool {
	switch f.Modifier {
	case ModNone, ModType:
		return anyValue(f, entries, func(_ Modifier, v *Value, e *Entry) bool { return refEqual(f.TargetType, v, e) })
	case ModIdentifier:
		return anyValue(f, entries, func(_ Modifier, v *Value, e *Entry) bool {
			return isIdentifierEntry(e) && tokenEqual(v.System, v.Code, v.AnySystem, v.AnyCode, e)
		})
	case ModText:
		return anyValue(f, entries, func(_ Modifier, v *Value, e *Entry) bool { return TextMatches(e.Text, v.Text) })
	}
	return false
}

// isIdentifierEntry tells the token entry of a Reference.identifier from a reference.
func isIdentifierEntry(e *Entry) bool {
	return e.RefID == "" && e.URL == "" && (e.System != "" || e.Code != "")
}

func refEqual(target string, v *Value, e *Entry) bool {
	if isIdentifierEntry(e) {
		return false
	}
	if target != "" && entryRefType(e) != target {
		return false
	}
	switch {
	case v.URL != "":
		if e.URL == v.URL {
			return true
		}
		typ, id, ok := urlTail(v.URL)
		return ok && e.RefType == typ && e.RefID == id
	case v.RefID == "":
		return false
	case v.RefType != "":
		return e.RefType == v.RefType && e.RefID == v.RefID
	default:
		return e.RefID == v.RefID
	}
}

// entryRefType is the type an entry refers to: RefType, or the type in its URL's tail.
func entryRefType(e *Entry) string {
	if e.RefType != "" || e.URL == "" {
		return e.RefType
	}
	typ, _, _ := urlTail(e.URL)
	return typ
}

// urlTail reads "…/Type/id" or "…/Type/id/_history/n" at the end of an absolute URL.
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

// chain follows each local reference of f.Param (of f.TargetType only, when set) and
// matches when some referenced resource passes f.Chain. References that do not resolve
// (absolute, missing, deleted) match nothing. A chain to identifier (patient.identifier)
// also matches the reference's own identifier entries (IdentifierChain).
func (m Matcher) chain(f *Filter, obj map[string]any) bool {
	entries := f.Param.Extract(obj)
	if IdentifierChain(f) && matchReference(&Filter{Param: f.Param, Modifier: ModIdentifier, Values: f.Chain.Values}, entries) {
		return true
	}
	if m.Resolver == nil {
		return false
	}
	for _, e := range entries {
		if e.RefType == "" || e.RefID == "" || isOfType(&e) {
			continue
		}
		if f.TargetType != "" && e.RefType != f.TargetType {
			continue
		}
		if target, ok := m.Resolver.Resolve(e.RefType, e.RefID); ok && m.filter(f.Chain, target) {
			return true
		}
	}
	return false
}

// IdentifierChain reports whether f is ref.identifier=… (one link, plain token values).
// Such a chain also matches the identifier a reference carries itself: a
// Reference.identifier, or a contained target's identifiers. The NHS Immunisation API
// finds its records, which name the patient by a contained Patient, by
// patient.identifier=https://fhir.nhs.uk/Id/nhs-number|… (reference/nhs-england.md §1.4).
func IdentifierChain(f *Filter) bool {
	c := f.Chain
	return c != nil && c.Chain == nil && c.Has == nil && c.Param != nil && c.Param.Name == "identifier" &&
		c.Param.Type == TypeToken && c.Modifier == ModNone
}

// has is the reverse chain: some resource of h.Type whose h.RefParam refers to obj passes
// h.Filter (itself possibly a chain or another _has).
func (m Matcher) has(h *Has, obj map[string]any) bool {
	if m.Resolver == nil || h.RefParam == nil {
		return false
	}
	typ, id := resourceKey(obj)
	if typ == "" || id == "" {
		return false
	}
	for _, ref := range m.Resolver.Referrers(h.Type, h.RefParam, typ, id) {
		if m.filter(&h.Filter, ref) {
			return true
		}
	}
	return false
}
