package mongo

import (
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
)

// Chains and _has compile to $in lists of ids from a first query (FerretDB has no
// $lookup, and a sharded $lookup is costly anyway): a chain param.x=… finds the live
// resources of the target type passing x=…, and becomes "param refers to one of them"
// (their local reference keys); _has:T:param:x=… finds the live resources of T passing
// x=… that refer to a resource of the candidate's type through param, and becomes "the
// candidate's id is one of those they refer to". The inner filter compiles like any other,
// to any depth; when it is not exact, its candidates are checked by Match, so the list,
// and the condition, are exact.
//
// A list is bounded (maxLinked): past it the filter narrows by type only, and Match
// follows the references of every candidate through the resolver, which is correct and
// as slow as it sounds. That is the price of a chain that selects most of a type.

// maxLinked bounds the ids a chain or _has turns into, and so the size of the $in.
const maxLinked = 10000

// chain compiles param.x=…: some local reference of f.Param to a live resource of
// f.TargetType that passes f.Chain; for patient.identifier=… also the reference's own
// identifier (search.IdentifierChain).
func (c *compiler) chain(typ string, f *search.Filter) (cond, error) {
	if f.TargetType == "" { // Parse always names it; Match would follow every type
		return condType, nil
	}
	var alts []cond
	if search.IdentifierChain(f) {
		alts = append(alts, tokenValues(f.Param.Name, f.Chain.Values))
	}
	inner, err := c.filter(f.TargetType, f.Chain)
	if err != nil {
		return cond{}, err
	}
	filter := liveFilter(f.TargetType, inner)
	if filter == nil {
		return anyOf(alts...), nil
	}
	targets, ok, err := c.passing(f.TargetType, f.Chain, filter, !inner.exact, bson.D{{Key: "id", Value: 1}})
	if err != nil || !ok {
		return condType, err
	}
	keys := make([]any, len(targets))
	for i, t := range targets {
		keys[i] = localRefKey(f.Param.Name, f.TargetType, t.RID)
	}
	return anyOf(append(alts, inCond(fieldRef, true, keys...))...), nil
}

// has compiles _has:T:param:x=…: some live resource of T whose param refers to the
// candidate passes x=….
func (c *compiler) has(typ string, h *search.Has) (cond, error) {
	if h.RefParam == nil {
		return condNever, nil
	}
	inner, err := c.filter(h.Type, &h.Filter)
	if err != nil {
		return cond{}, err
	}
	// Only referrers with a local reference of param to a resource of typ can count.
	refPrefix := h.RefParam.Name + sep
	toTyp := inCond(fieldRef, true, bson.Regex{Pattern: "^" + quoteRegex(refPrefix) + "[^" + sep + "]*" + quoteRegex(sep+typ) + `\z`})
	filter := liveFilter(h.Type, allOf(inner, toTyp))
	if filter == nil {
		return condNever, nil
	}
	referrers, ok, err := c.passing(h.Type, &h.Filter, filter, !inner.exact, bson.D{{Key: fieldRef, Value: 1}})
	if err != nil || !ok {
		return condType, err
	}
	seen := map[string]bool{}
	var ids []any
	for _, d := range referrers {
		for _, k := range d.Refs {
			rest, ok := strings.CutPrefix(k, refPrefix)
			id, ok2 := strings.CutSuffix(rest, sep+typ)
			if ok && ok2 && !seen[id] && fhir.ValidID(id) {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return inCond("id", true, ids...), nil
}

// linkDoc is what a chain or _has reads of each resource at the other end.
type linkDoc struct {
	RID  string   `bson:"id"`
	Refs []string `bson:"rf"`
	JSON []byte   `bson:"json"`
}

// passing reads the live resources of typ that filter selects, at most maxLinked (ok is
// false when there are more), and, when check is set, keeps those that pass f by Match.
func (c *compiler) passing(typ string, f *search.Filter, filter bson.D, check bool, proj bson.D) ([]linkDoc, bool, error) {
	if check {
		proj = append(proj, bson.E{Key: "json", Value: 1})
	}
	cur, err := c.db.resources.Find(c.ctx, filter, options.Find().SetProjection(proj).SetLimit(maxLinked+1))
	if err != nil {
		return nil, false, err
	}
	defer cur.Close(c.ctx)
	var out []linkDoc
	n := 0
	q := &search.Query{Type: typ, Filters: []search.Filter{*f}}
	m := search.Matcher{Resolver: c.r, Now: c.now}
	for cur.Next(c.ctx) {
		if n++; n > maxLinked {
			return nil, false, nil
		}
		var d linkDoc
		if err := cur.Decode(&d); err != nil {
			return nil, false, err
		}
		if check {
			r, err := fhir.Decode(d.JSON)
			if err != nil {
				return nil, false, err
			}
			ok := m.Match(q, r.Object)
			if c.r.err != nil {
				return nil, false, c.r.err
			}
			if !ok {
				continue
			}
		}
		d.JSON = nil
		out = append(out, d)
	}
	return out, true, cur.Err()
}
