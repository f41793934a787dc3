package sqlite

import (
	"fmt"
	"strings"

	"github.com/nimsproject/nims/fhir/search"
)

// compile turns a parsed query into a condition on the current-version table (aliased r)
// that selects the live resources of q.Type matching q, and its arguments. The query is
// valid (search.Parse checked it); a parameter type without a compiler here is a
// programming error, reported rather than ignored so that a condition never matches
// more than it says.
//
// Each clause becomes "r.id IN (…)" over the index, so SQLite drives the lookup from the
// most selective clause and probes the primary key of resources for the rest.
func compile(q *search.Query) (string, []any, error) {
	var b strings.Builder
	b.WriteString("r.type = ? AND r.deleted = 0")
	args := []any{q.Type}
	for _, c := range q.Clauses {
		cond, cargs, err := compileClause(q.Type, c)
		if err != nil {
			return "", nil, err
		}
		b.WriteString(" AND ")
		b.WriteString(cond)
		args = append(args, cargs...)
	}
	return b.String(), args, nil
}

// compileClause compiles one clause: any of its values may match (OR).
func compileClause(typ string, c search.Clause) (string, []any, error) {
	switch c.Param.Type {
	case search.TypeToken:
		if c.Param.Name == "_id" {
			cond, args := compileID(c.Values)
			return cond, args, nil
		}
		cond, args := compileToken(typ, c.Param.Name, c.Values)
		return cond, args, nil
	}
	return "", nil, fmt.Errorf("search parameter %s: no SQL compiler for parameter type %d", c.Param.Name, c.Param.Type)
}

// compileToken looks token values up in the index, one primary-key range per value.
func compileToken(typ, param string, vs []search.Token) (string, []any) {
	parts := make([]string, 0, len(vs))
	args := make([]any, 0, 4*len(vs))
	for _, v := range vs {
		const sel = "SELECT id FROM tokens WHERE type = ? AND param = ? AND "
		switch {
		case v.AnySystem:
			parts = append(parts, sel+"code = ?")
			args = append(args, typ, param, v.Code)
		case v.AnyCode:
			parts = append(parts, sel+"system = ?")
			args = append(args, typ, param, v.System)
		default:
			parts = append(parts, sel+"code = ? AND system = ?")
			args = append(args, typ, param, v.Code, v.System)
		}
	}
	return "r.id IN (" + strings.Join(parts, " UNION ALL ") + ")", args
}

// compileID answers _id from the record itself. An id is a token without a system, so
// only "id" and "|id" can match; "system|id" and "system|" never do.
func compileID(vs []search.Token) (string, []any) {
	var args []any
	for _, v := range vs {
		if v.AnySystem || (!v.AnyCode && v.System == "") {
			args = append(args, v.Code)
		}
	}
	if len(args) == 0 {
		return "0", nil
	}
	return "r.id IN (?" + strings.Repeat(", ?", len(args)-1) + ")", args
}
