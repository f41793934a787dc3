package sqlite

import (
	"fmt"
	"strings"
)

// sortedPage sorts every match by the sort keys (computed once each, in a materialised
// table) and returns the first n after the cursor.
func (s *searcher) sortedPage(after *searchCursor, n int) ([]pageRow, error) {
	if s.none {
		return nil, nil
	}
	driver, _, err := s.pl.driver()
	if err != nil {
		return nil, err
	}
	var q sqlBuf
	q.add("WITH m AS MATERIALIZED (SELECT r.id AS id, r.seq AS seq")
	for i, k := range s.keys {
		q.add(", ").part(k.expr).add(fmt.Sprintf(" AS k%d", i))
	}
	q.add(" FROM resources r WHERE ").part(s.where(driver, s.asOf).done())
	if driver != nil {
		set, _ := driver.set(false)
		q.add(" AND r.id IN (").part(set).add(")")
	}
	q.add(") SELECT id, seq")
	var order []string
	for i, k := range s.keys {
		q.add(fmt.Sprintf(", k%d", i))
		dir := ""
		if k.desc {
			dir = " DESC"
		}
		order = append(order, fmt.Sprintf("k%d IS NULL, k%[1]d%s", i, dir))
	}
	q.add(" FROM m")
	if after != nil {
		q.add(" WHERE ").part(keyset(s.keys, *after, 0))
	}
	q.add(" ORDER BY "+strings.Join(order, ", ")+", id LIMIT ?", n)
	return s.rows(q.done(), len(s.keys))
}

// keyset renders "strictly after the cursor" from sort key i on, in the order of
// sortedPage: by each key with values before no value, then by id.
func keyset(keys []sortKey, c searchCursor, i int) sqlPart {
	if i == len(keys) || i >= len(c.keys) {
		return part("id > ?", c.id)
	}
	k := fmt.Sprintf("k%d", i)
	rest := keyset(keys, c, i+1)
	var b sqlBuf
	if c.keys[i] == nil {
		return b.add("(" + k + " IS NULL AND ").part(rest).add(")").done()
	}
	cmp := " > ?"
	if keys[i].desc {
		cmp = " < ?"
	}
	b.add("(("+k+" IS NULL OR "+k+cmp+") OR ("+k+" = ? AND ", c.keys[i], c.keys[i])
	return b.part(rest).add("))").done()
}
