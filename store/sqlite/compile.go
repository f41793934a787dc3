package sqlite

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nimsproject/nims/fhir/search"
)

// The compiler from search.Query to SQL over the index tables (index.go). search.Parse
// has validated the query; search.Match is the semantics every compiled filter must
// reproduce. Each filter compiles to a pred; compile_<type>.go hold one small function per
// value type, compile_chain.go chains and _has, compile_sort.go _sort. Every value from
// the query is bound as a parameter: the SQL text depends only on the query's shape.
//
// A pred can be rendered two ways:
//   - cond: a boolean test of one candidate, given by an SQL expression for its id
//     (EXISTS over the index entries of that resource, found by (type, id, param));
//   - set: a SELECT of the ids of every candidate that passes (a UNION ALL of ranges of
//     the index's primary keys), for the positive preds whose terms an index can find.
//
// The planner (plan.go) drives a search from the most selective set and tests the other
// preds with cond.

// sqlPart is SQL text and the arguments of its placeholders, in order.
type sqlPart struct {
	sql  string
	args []any
}

// sqlBuf accumulates an sqlPart.
type sqlBuf struct {
	b    strings.Builder
	args []any
}

func (s *sqlBuf) add(sql string, args ...any) *sqlBuf {
	s.b.WriteString(sql)
	s.args = append(s.args, args...)
	return s
}

func (s *sqlBuf) part(p sqlPart) *sqlBuf { return s.add(p.sql, p.args...) }

func (s *sqlBuf) done() sqlPart { return sqlPart{s.b.String(), s.args} }

func part(sql string, args ...any) sqlPart { return sqlPart{sql, args} }

// placeholders returns "?, ?, …" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

type predKind uint8

const (
	predTerms predKind = iota // some term matches some index row (or none does, with not)
	predIDs                   // the candidate's id is one of ids (or is none of them, with not)
	predTrue
	predFalse
)

// pred is one compiled filter: a condition on a candidate of one resource type.
type pred struct {
	kind  predKind
	terms []term
	ids   []string
	not   bool   // holds when no term matches / the id is none of ids
	alias string // the alias of the index rows in the terms' predicates
	typ   string // predIDs: the candidates' type
}

// term is one way a resource passes a pred: a row of table whose type is typ and whose
// param is param, that passes where.
type term struct {
	table, typ, param string
	key               string   // the column naming the candidate: "id", or "refid" for _has
	where             sqlPart  // over the pred's alias; "" for any row of the parameter
	set               *sqlPart // the predicate of the set form, when it differs (chains, _has)
	inner             *pred    // chains and _has: the pred at the other end
	scan              bool     // where needs every row of the parameter (not an index range)
	unique            bool     // the set form has each candidate once
	dangling          bool     // the set form may name resources that are not live (_has)
}

var (
	alwaysTrue  = &pred{kind: predTrue}
	alwaysFalse = &pred{kind: predFalse}
)

// compiler compiles the filters of one query.
type compiler struct {
	now time.Time // the "now" of date ap
}

// compileQuery compiles q's Filters (all must hold).
func (c *compiler) compileQuery(q *search.Query) ([]*pred, error) {
	var preds []*pred
	for i := range q.Filters {
		p, err := c.filter(q.Type, &q.Filters[i], 0)
		if err != nil {
			return nil, err
		}
		preds = append(preds, p)
	}
	return preds, nil
}

func aliasAt(depth int) string { return "x" + strconv.Itoa(depth) }

// filter compiles one filter on resources of type typ; depth is its nesting in chains
// and _has, which names its alias.
func (c *compiler) filter(typ string, f *search.Filter, depth int) (*pred, error) {
	switch {
	case f.Has != nil:
		return c.has(typ, f.Has, depth)
	case f.Param == nil:
		return alwaysFalse, nil
	case f.Chain != nil:
		return c.chain(typ, f, depth)
	case f.Param.Name == "_id":
		return idPred(typ, f), nil
	}
	b := &builder{typ: typ, param: f.Param.Name, alias: aliasAt(depth)}
	switch {
	case f.Modifier == search.ModOfType:
		return ofTypePred(b, f), nil
	case f.Modifier == search.ModMissing:
		return missingPred(b, f), nil
	}
	switch f.Param.Type {
	case search.TypeToken:
		return tokenPred(b, f), nil
	case search.TypeString:
		return stringPred(b, f), nil
	case search.TypeURI:
		return uriPred(b, f), nil
	case search.TypeDate:
		return datePred(b, f, c.now), nil
	case search.TypeNumber, search.TypeQuantity:
		return numberPred(b, f), nil
	case search.TypeReference:
		return referencePred(b, f), nil
	}
	return nil, fmt.Errorf("search parameter %s: no SQL compiler for %s parameters", f.Param.Name, f.Param.Type)
}

// builder collects the terms of one leaf pred.
type builder struct {
	typ, param, alias string
	terms             []term
}

// add appends a term on table; where refers to the alias as "%[1]s" (fmt's explicit
// index), e.g. "%[1]s.code = ?".
func (b *builder) add(table, where string, args ...any) *term {
	if where != "" {
		where = fmt.Sprintf(where, b.alias)
	}
	b.terms = append(b.terms, term{table: table, typ: b.typ, param: b.param, key: "id", where: part(where, args...)})
	return &b.terms[len(b.terms)-1]
}

// pred returns the pred of the terms added, false when there are none; not negates it.
func (b *builder) pred(not bool) *pred {
	if len(b.terms) == 0 {
		if not {
			return alwaysTrue
		}
		return alwaysFalse
	}
	return &pred{kind: predTerms, terms: b.terms, not: not, alias: b.alias}
}
