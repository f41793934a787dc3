package sqlite

import (
	"fmt"
)

// Rendering a pred as SQL: cond tests one candidate, set lists every candidate (see
// compile.go).

// indexed reports whether p holds only for resources that have index entries, hence
// are live: a chain needs to check that its target exists only otherwise. A _has pred
// holds for whatever its referrers name, which may be deleted.
func (p *pred) indexed() bool {
	return p.kind == predFalse || (p.kind == predTerms && !p.not && p.live())
}

// cond renders p as a test of the candidate whose id is the SQL expression id.
func (p *pred) cond(id string) sqlPart {
	var s sqlBuf
	switch p.kind {
	case predTrue:
		return part("1")
	case predFalse:
		return part("0")
	case predIDs:
		op := " IN ("
		if p.not {
			op = " NOT IN ("
		}
		args := make([]any, len(p.ids))
		for i, v := range p.ids {
			args[i] = v
		}
		return part(id+op+placeholders(len(p.ids))+")", args...)
	}
	if p.not {
		s.add("NOT ")
	}
	s.add("(")
	for i, g := range groupTerms(p.terms) {
		if i > 0 {
			s.add(" OR ")
		}
		t := g[0]
		// By (type, id, param): the candidate's own rows. Named, because for some shapes
		// SQLite would rather walk the parameter's range of another index.
		from := t.table + " " + p.alias
		if t.key == "id" {
			from += " INDEXED BY " + t.table + "_resource"
		}
		fmt.Fprintf(&s.b, "EXISTS (SELECT 1 FROM %s WHERE %[2]s.type = ? AND %[2]s.%s = %s AND %[2]s.param = ?",
			from, p.alias, t.key, id)
		s.args = append(s.args, t.typ, t.param)
		if anyWhere(g) {
			s.add(" AND (")
			for j, t := range g {
				if j > 0 {
					s.add(" OR ")
				}
				s.add("(").part(t.where).add(")")
			}
			s.add(")")
		}
		s.add(")")
	}
	s.add(")")
	return s.done()
}

// groupTerms groups terms on the same rows (table, type, parameter, key), in order, so
// that cond looks each candidate's rows up once.
func groupTerms(ts []term) [][]term {
	var out [][]term
next:
	for _, t := range ts {
		for i, g := range out {
			if g[0].table == t.table && g[0].typ == t.typ && g[0].param == t.param && g[0].key == t.key {
				out[i] = append(g, t)
				continue next
			}
		}
		out = append(out, []term{t})
	}
	return out
}

// anyWhere reports whether every term of g has a predicate; one that has none matches
// any row, and so does the group.
func anyWhere(g []term) bool {
	for _, t := range g {
		if t.where.sql == "" {
			return false
		}
	}
	return true
}

// set renders p as a SELECT of the ids (column id) of every candidate that passes it,
// as UNION ALL of one index range per term; false when p has none (negated or constant).
// With distinct, each id appears once.
func (p *pred) set(distinct bool) (sqlPart, bool) {
	var s sqlBuf
	switch {
	case p.not || p.kind == predTrue || p.kind == predFalse:
		return sqlPart{}, false
	case p.kind == predIDs:
		s.add("SELECT id FROM resources WHERE type = ? AND deleted = 0 AND id IN ("+placeholders(len(p.ids))+")", p.typ)
		for _, id := range p.ids {
			s.args = append(s.args, id)
		}
		return s.done(), true
	}
	union := " UNION ALL "
	if distinct {
		union = " UNION "
	}
	for i, t := range p.terms {
		if i > 0 {
			s.add(union)
		}
		sel := "SELECT "
		if distinct && len(p.terms) == 1 && !t.unique {
			sel = "SELECT DISTINCT "
		}
		fmt.Fprintf(&s.b, "%s%[2]s.%[3]s AS id FROM %[4]s %[2]s WHERE %[2]s.type = ? AND %[2]s.param = ?", sel, p.alias, t.key, t.table)
		s.args = append(s.args, t.typ, t.param)
		where := t.where
		if t.set != nil {
			where = *t.set
		}
		if where.sql != "" {
			s.add(" AND (").part(where).add(")")
		}
	}
	return s.done(), true
}

// cheap reports whether p has a set form made of index ranges only.
func (p *pred) cheap() bool {
	if p.not || (p.kind != predTerms && p.kind != predIDs) {
		return false
	}
	for _, t := range p.terms {
		if t.scan {
			return false
		}
	}
	return true
}

// live reports whether p's set names live resources only, so that counting it needs no
// look at resources.
func (p *pred) live() bool {
	for _, t := range p.terms {
		if t.dangling {
			return false
		}
	}
	return true
}
