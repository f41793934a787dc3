package sqlite

import (
	"fmt"

	"github.com/nimsproject/nims/fhir/search"
)

// Chains and _has (search.Matcher's chain and has), to any depth: a term on the refs
// table whose predicate is the inner filter's pred on the resource at the other end. A
// chain follows the candidate's local references of the target type (its own refs rows,
// key id); _has finds the referrers of the candidate (refs rows of the other type whose
// refid is the candidate, key refid).

// chain compiles param.chain=…: some local reference of f.Param to a live resource of
// f.TargetType that passes f.Chain.
func (c *compiler) chain(typ string, f *search.Filter, depth int) (*pred, error) {
	target := f.TargetType
	if target == "" && len(f.Param.Targets) == 1 {
		target = f.Param.Targets[0]
	}
	if target == "" {
		return nil, fmt.Errorf("search parameter %s: a chain needs its target type", f.Param.Name)
	}
	inner, err := c.filter(target, f.Chain, depth+1)
	if err != nil || inner.kind == predFalse {
		return alwaysFalse, err
	}
	a := aliasAt(depth)
	// The inner pred may hold for a resource without entries (:missing, :not, _id, a _has
	// naming a deleted resource): then the target must be checked to be live.
	live := sqlPart{}
	if !inner.indexed() {
		live = part(fmt.Sprintf(" AND EXISTS (SELECT 1 FROM resources %[1]st WHERE %[1]st.type = ? AND %[1]st.id = %[1]s.refid AND %[1]st.deleted = 0)", a), target)
	}
	var where sqlBuf
	where.add(a+".reftype = ? AND ", target).part(inner.cond(a + ".refid")).part(live)
	tm := term{table: "refs", typ: typ, param: f.Param.Name, key: "id", where: where.done(), inner: inner}
	if set, ok := inner.set(false); ok {
		var s sqlBuf
		s.add(a+".reftype = ? AND "+a+".refid IN (", target).part(set).add(")").part(live)
		tm.set = ptr(s.done())
	}
	tm.scan = !inner.cheap()
	terms := []term{tm}
	if search.IdentifierChain(f) { // or the reference's own identifier (search.Matcher.chain)
		b := &builder{typ: typ, param: f.Param.Name, alias: a}
		for i := range f.Chain.Values {
			tokenTerm(b, &f.Chain.Values[i])
		}
		terms = append(terms, b.terms...)
	}
	return &pred{kind: predTerms, terms: terms, alias: a}, nil
}

// has compiles _has:Type:param:…: some resource of h.Type whose h.RefParam refers to the
// candidate passes h.Filter.
func (c *compiler) has(typ string, h *search.Has, depth int) (*pred, error) {
	if h.RefParam == nil {
		return alwaysFalse, nil
	}
	inner, err := c.filter(h.Type, &h.Filter, depth+1)
	if err != nil || inner.kind == predFalse {
		return alwaysFalse, err
	}
	a := aliasAt(depth)
	var where sqlBuf
	where.add(a+".reftype = ? AND ", typ).part(inner.cond(a + ".id"))
	tm := term{table: "refs", typ: h.Type, param: h.RefParam.Name, key: "refid", where: where.done(), inner: inner, dangling: true}
	if set, ok := inner.set(false); ok {
		var s sqlBuf
		s.add(a+".reftype = ? AND "+a+".id IN (", typ).part(set).add(")")
		tm.set = ptr(s.done())
	}
	tm.scan = !inner.cheap()
	return &pred{kind: predTerms, terms: []term{tm}, alias: a}, nil
}

func ptr[T any](v T) *T { return &v }
