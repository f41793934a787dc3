package mongo

import (
	"context"
	"regexp"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/nimsproject/nims/fhir/search"
)

// The compiler from search.Query to a MongoDB filter over the index entries of the
// current documents (index.go). search.Parse has validated the query; search.Match is
// the semantics. A compiled filter selects a superset of the matches, and the store runs
// Match on every candidate's JSON: correctness comes from Match, speed from the filter.
// So a filter is free to narrow less than Match; what it must never do is leave a match
// out. Each filter also says whether it is exact (selects precisely what Match accepts):
// counts of exact queries are the server's, without reading a resource.
//
// One small function per value type: compile_token.go (tokens, uris, _id, :of-type,
// :text), compile_string.go, compile_reference.go, compile_date.go (and _lastUpdated on
// the document's lu), compile_number.go (numbers and quantities), compile_missing.go,
// compile_chain.go (chains and _has, as $in lists of ids from a first query). Every
// condition is an equality, an $in, an anchored $regex or an $elemMatch over the scalar
// keys: what FerretDB v1.24 evaluates correctly and what MongoDB serves from a multikey
// index.

// cond is one compiled filter.
type cond struct {
	// field and vals: the document passes when field holds one of vals (keys, or
	// anchored regexes); conditions of this form on one field merge into one $in.
	field string
	vals  []any
	// doc: any other condition, when field is empty.
	doc bson.D
	// all: no condition (every live document of the type); never: none passes.
	all, never bool
	// exact: the condition selects exactly the documents Match accepts for the filter.
	exact bool
}

var (
	condNever = cond{never: true, exact: true}
	condAll   = cond{all: true, exact: true}
	// condType narrows nothing beyond the type: for what the keys cannot express.
	condType = cond{all: true}
)

func inCond(field string, exact bool, vals ...any) cond {
	if len(vals) == 0 {
		return condNever
	}
	return cond{field: field, vals: vals, exact: exact}
}

func docCond(doc bson.D, exact bool) cond { return cond{doc: doc, exact: exact} }

// bson renders the condition; nil for all (and for never, which callers test first).
func (c cond) bson() bson.D {
	switch {
	case c.all || c.never:
		return nil
	case c.field == "":
		return c.doc
	case len(c.vals) == 1:
		return bson.D{{Key: c.field, Value: c.vals[0]}}
	}
	return bson.D{{Key: c.field, Value: bson.D{{Key: "$in", Value: c.vals}}}}
}

// anyOf is the disjunction of cs: the values of one filter, or the alternatives of one
// value. $in conditions on one field merge.
func anyOf(cs ...cond) cond {
	exact := true
	var parts []cond
	byField := map[string]int{}
	for _, c := range cs {
		exact = exact && c.exact
		switch {
		case c.never:
			continue
		case c.all:
			// Every document passes this alternative, so every one passes the filter:
			// exactly when Match accepts them all.
			return cond{all: true, exact: c.exact}
		case c.field != "":
			if i, ok := byField[c.field]; ok {
				parts[i].vals = append(parts[i].vals, c.vals...)
				parts[i].exact = parts[i].exact && c.exact
				continue
			}
			byField[c.field] = len(parts)
			c.vals = append([]any(nil), c.vals...)
		}
		parts = append(parts, c)
	}
	switch len(parts) {
	case 0:
		return condNever
	case 1:
		parts[0].exact = exact
		return parts[0]
	}
	or := make(bson.A, len(parts))
	for i, p := range parts {
		or[i] = p.bson()
	}
	return docCond(bson.D{{Key: "$or", Value: or}}, exact)
}

// allOf is the conjunction of cs: the filters of a query, or two conditions on one value.
func allOf(cs ...cond) cond {
	exact := true
	var docs bson.A
	for _, c := range cs {
		exact = exact && c.exact
		switch {
		case c.never:
			return condNever
		case c.all:
			continue
		}
		docs = append(docs, c.bson())
	}
	switch len(docs) {
	case 0:
		return cond{all: true, exact: exact}
	case 1:
		return docCond(docs[0].(bson.D), exact)
	}
	return docCond(bson.D{{Key: "$and", Value: docs}}, exact)
}

// negate is the complement of c, for :not and :missing=true. Only an exact condition can
// be negated: the complement of a superset is a subset.
func negate(c cond) cond {
	switch {
	case !c.exact:
		return condType
	case c.never:
		return condAll
	case c.all:
		return condNever
	case c.field != "":
		return docCond(bson.D{{Key: c.field, Value: bson.D{{Key: "$nin", Value: c.vals}}}}, true)
	}
	return docCond(bson.D{{Key: "$nor", Value: bson.A{c.doc}}}, true)
}

// compiler compiles the filters of one query.
type compiler struct {
	ctx context.Context
	db  *DB
	now time.Time // the "now" of date ap
	// r resolves references when the targets of a chain or the referrers of a _has
	// must be checked by Match (their own filter is not exact).
	r *resolver
}

// query compiles every filter of q (all must hold).
func (c *compiler) query(q *search.Query) (cond, error) {
	cs := make([]cond, 0, len(q.Filters))
	for i := range q.Filters {
		fc, err := c.filter(q.Type, &q.Filters[i])
		if err != nil {
			return cond{}, err
		}
		if fc.never {
			return condNever, nil
		}
		cs = append(cs, fc)
	}
	return allOf(cs...), nil
}

// filter compiles one filter on resources of type typ.
func (c *compiler) filter(typ string, f *search.Filter) (cond, error) {
	switch {
	case f.Has != nil:
		return c.has(typ, f.Has)
	case f.Param == nil:
		return condNever, nil
	case f.Chain != nil:
		return c.chain(typ, f)
	case f.Param.Name == "_id":
		return idCond(f), nil
	case f.Modifier == search.ModMissing:
		return missingCond(f), nil
	case f.Param.Name == "_lastUpdated":
		return lastUpdatedCond(f, c.now), nil
	}
	switch f.Param.Type {
	case search.TypeToken:
		return tokenCond(f), nil
	case search.TypeString:
		return stringCond(f), nil
	case search.TypeURI:
		return uriCond(f), nil
	case search.TypeDate:
		return dateCond(f, c.now), nil
	case search.TypeNumber, search.TypeQuantity:
		return numberCond(f), nil
	case search.TypeReference:
		return referenceCond(f), nil
	}
	return condNever, nil // composite and special: Parse accepts none, Match matches none
}

// prefixRegex matches the keys that start with prefix: an index range on MongoDB.
func prefixRegex(prefix string) bson.Regex {
	return bson.Regex{Pattern: "^" + quoteRegex(prefix)}
}

// containsRegex matches the keys that start with prefix and hold sub after it.
func containsRegex(prefix, sub string) bson.Regex {
	return bson.Regex{Pattern: "^" + quoteRegex(prefix) + ".*" + quoteRegex(sub), Options: "s"}
}

// quoteRegex escapes s for a PCRE (MongoDB) or RE2 (FerretDB) pattern. A NUL, which a
// BSON regex cannot hold, is written as an escape both read.
func quoteRegex(s string) string {
	q := regexp.QuoteMeta(s)
	if strings.Contains(q, "\x00") {
		q = strings.ReplaceAll(q, "\x00", `\x00`)
	}
	return q
}

// hasParam is "some key of field belongs to param": any entry of the parameter.
func hasParam(field, param string) cond {
	return inCond(field, true, prefixRegex(param+sep))
}
