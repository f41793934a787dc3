package search

// Match reports whether the resource (its decoded object) satisfies q. It is the reference
// semantics: every backend's compiled query must agree with it.
func Match(q *Query, obj map[string]any) bool {
	if rt, _ := obj["resourceType"].(string); rt != q.Type {
		return false
	}
	for _, c := range q.Clauses {
		if !matchClause(c, obj) {
			return false
		}
	}
	return true
}

func matchClause(c Clause, obj map[string]any) bool {
	entries := c.Param.Extract(obj)
	for _, v := range c.Values {
		for _, e := range entries {
			if tokenMatches(v, e) {
				return true
			}
		}
	}
	return false
}

func tokenMatches(t Token, e Entry) bool {
	switch {
	case t.AnySystem:
		return e.Code == t.Code
	case t.AnyCode:
		return e.System == t.System
	default:
		return e.System == t.System && e.Code == t.Code
	}
}
