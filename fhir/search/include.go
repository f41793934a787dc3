package search

// _include and _revinclude (https://hl7.org/fhir/R4/search.html#include).

// IncludeTargets returns the local reference entries that _include inc follows from obj:
// those of inc.Param (of every reference parameter of inc.Type for Type:*), only to
// inc.TargetType when set. obj must be of inc.Type, or there are none. Absolute and
// identifier-only references are not followed: the server holds nothing they name.
func IncludeTargets(inc Include, obj map[string]any) []Entry {
	if typ, _ := obj["resourceType"].(string); typ != inc.Type {
		return nil
	}
	var out []Entry
	for _, p := range includeParams(inc) {
		for _, e := range p.Extract(obj) {
			if e.RefType == "" || e.RefID == "" || isOfType(&e) {
				continue
			}
			if inc.TargetType != "" && e.RefType != inc.TargetType {
				continue
			}
			out = append(out, e)
		}
	}
	return out
}

// includeParams are the reference parameters an Include follows.
func includeParams(inc Include) []*Param {
	if !inc.Wildcard {
		if inc.Param == nil || inc.Param.Type != TypeReference {
			return nil
		}
		return []*Param{inc.Param}
	}
	var out []*Param
	for _, p := range AllParams(inc.Type) {
		if p.Type == TypeReference {
			out = append(out, p)
		}
	}
	return out
}

// Includes returns the resources q's _include and _revinclude add to matches:
//
//   - _include Type:param[:target] adds what the matches of Type refer to through param;
//   - _revinclude Type:param[:target] adds the resources of Type whose param refers to a
//     match (of type target, when given);
//   - the :iterate ones apply again to everything included, round after round, until a
//     round adds nothing; the others apply to the matches only.
//
// Each resource appears once, none of the matches appears, and the order is the order
// of discovery (round, then match, then parameter in query order), so it is
// deterministic for a given store order. At most limit are returned (limit <= 0: no
// cap); truncated reports that more would have been. Cycles (A → B → A) end because a
// resource already seen is never followed again. With a nil r nothing is included.
func Includes(q *Query, matches []map[string]any, r Resolver, limit int) (included []map[string]any, truncated bool) {
	if r == nil || (len(q.Include) == 0 && len(q.RevInclude) == 0) {
		return nil, false
	}
	seen := make(map[string]bool, len(matches))
	for _, m := range matches {
		seen[resourceRef(m)] = true
	}
	add := func(obj map[string]any) bool {
		k := resourceRef(obj)
		if seen[k] {
			return true
		}
		if limit > 0 && len(included) >= limit {
			truncated = true
			return false
		}
		seen[k] = true
		included = append(included, obj)
		return true
	}
	frontier, first := matches, true
	for len(frontier) > 0 {
		start := len(included)
		for _, obj := range frontier {
			if !includeFrom(q, obj, r, first, add) {
				return included, true
			}
		}
		frontier, first = included[start:], false
	}
	return included, false
}

// includeFrom applies q's includes (only the :iterate ones unless first) to one
// resource, handing each found resource to add; false when add refused (the cap).
func includeFrom(q *Query, obj map[string]any, r Resolver, first bool, add func(map[string]any) bool) bool {
	for _, inc := range q.Include {
		if !inc.Iterate && !first {
			continue
		}
		for _, e := range IncludeTargets(inc, obj) {
			if t, ok := r.Resolve(e.RefType, e.RefID); ok && !add(t) {
				return false
			}
		}
	}
	typ, id := resourceKey(obj)
	for _, inc := range q.RevInclude {
		if (!inc.Iterate && !first) || (inc.TargetType != "" && inc.TargetType != typ) {
			continue
		}
		for _, p := range includeParams(inc) {
			for _, ref := range r.Referrers(inc.Type, p, typ, id) {
				if !add(ref) {
					return false
				}
			}
		}
	}
	return true
}

func resourceRef(obj map[string]any) string {
	typ, id := resourceKey(obj)
	return typ + "/" + id
}
