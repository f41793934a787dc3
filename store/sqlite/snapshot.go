package sqlite

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// Paging while writes continue. Keyset paging alone repeats a resource that an update
// moves past the cursor and skips one it moves before it. So every page after the first
// is cut from the result as it stood at the first page's snapshot (the cursor's seq, S):
// resources unchanged since S come from the index as usual (their current version is
// their version at S); the few written since are taken at their version as of S (none if
// they were created later or deleted then), matched and placed in memory with
// search.Matcher, and merged in. The page shows them as of S too: a page is one
// consistent cut of the result, except that a resource deleted since is left out (a
// search returns live resources). Chains and _has of those few resolve against the
// current resources. Each costs a decode and a match, some tens of µs. When more than maxSnapshotChanges resources of the type changed since S,
// paging continues on the current values instead (a resource changed meanwhile may then
// repeat or be missed): the cost of a page must stay bounded.

const maxSnapshotChanges = 2000

// snapshotSeq is the change-log position of the transaction's snapshot.
func (s *searcher) snapshotSeq() (int64, error) {
	return queryInt(s.ctx, s.run, part(`SELECT coalesce(max(seq), 0) FROM versions`))
}

// changedSince returns the resources of the query's type written after c.seq that matched
// at c.seq and come after c, in order, with their version as of c.seq; ok is false when
// too many changed to do so.
func (s *searcher) changedSince(c searchCursor) (rows []pageRow, ok bool, err error) {
	res, err := s.run.query(s.ctx, `SELECT DISTINCT id FROM versions WHERE type = ? AND seq > ? LIMIT ?`,
		s.q.Type, c.seq, maxSnapshotChanges+1)
	if err != nil {
		return nil, false, err
	}
	var ids []string
	for res.Next() {
		var id string
		if err := res.Scan(&id); err != nil {
			res.Close()
			return nil, false, err
		}
		ids = append(ids, id)
	}
	res.Close()
	if err := res.Err(); err != nil || len(ids) > maxSnapshotChanges {
		return nil, false, err
	}
	if len(ids) == 0 {
		return nil, true, nil
	}
	// The version of each as of S, if it is still live now: a search returns live
	// resources only.
	res, err = s.run.query(s.ctx, `SELECT `+recordColumns+` FROM versions WHERE seq IN (
		SELECT max(v.seq) FROM versions v JOIN resources r ON r.type = v.type AND r.id = v.id AND r.deleted = 0
		WHERE v.type = ? AND v.seq <= ? AND v.id IN (SELECT value FROM json_each(?)) GROUP BY v.id)`,
		s.q.Type, c.seq, jsonList(ids))
	if err != nil {
		return nil, false, err
	}
	var then []store.Record
	for res.Next() {
		rec, err := scanRecord(res)
		if err != nil {
			res.Close()
			return nil, false, err
		}
		if !rec.Deleted {
			then = append(then, rec)
		}
	}
	res.Close()
	if err := res.Err(); err != nil {
		return nil, false, err
	}
	r := &txResolver{s: s}
	m := search.Matcher{Resolver: r, Now: s.now}
	for i := range then {
		doc, err := fhir.Decode(then[i].JSON)
		if err != nil {
			return nil, false, err
		}
		if !m.Match(s.q, doc.Object) {
			continue
		}
		row := pageRow{typ: then[i].Type, id: then[i].ID, seq: then[i].Seq, rec: &then[i], keys: memSortValues(s.q.Sort, then[i].ID, doc.Object)}
		if compareRows(s.keys, row, pageRow{keys: c.keys, id: c.id}) > 0 {
			rows = append(rows, row)
		}
	}
	if r.err != nil {
		return nil, false, r.err
	}
	return rows, true, nil
}

// mergeRows merges the changed rows into a page read from the index, in order, and keeps
// the first n.
func mergeRows(keys []sortKey, page, changed []pageRow, n int) []pageRow {
	out := append(page, changed...)
	slices.SortStableFunc(out, func(a, b pageRow) int { return compareRows(keys, a, b) })
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// compareRows is the order of sortedPage's ORDER BY (and of id for no keys): by each
// key's value, a value before none, then by id.
func compareRows(keys []sortKey, a, b pageRow) int {
	for i, k := range keys {
		x, y := a.keys[i], b.keys[i]
		switch {
		case x == nil && y == nil:
			continue
		case x == nil:
			return 1
		case y == nil:
			return -1
		}
		c := compareValue(x, y)
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return strings.Compare(a.id, b.id)
}

func compareValue(x, y any) int {
	switch v := x.(type) {
	case string:
		w, _ := y.(string)
		return strings.Compare(v, w)
	case int64:
		w, _ := y.(int64)
		return cmp.Compare(v, w)
	case float64:
		w, _ := y.(float64)
		return cmp.Compare(v, w)
	}
	return 0
}

// memSortValues computes, from a resource's entries, the sort values compile_sort.go's
// expressions read from the index.
func memSortValues(keys []search.SortKey, id string, obj map[string]any) []any {
	out := make([]any, len(keys))
	for i, k := range keys {
		if k.Param == nil {
			continue
		}
		if k.Param.Name == "_id" {
			out[i] = id
			continue
		}
		var best any
		for _, e := range k.Param.Extract(obj) {
			if strings.HasSuffix(e.Param, search.OfTypeSuffix) {
				continue
			}
			v := entrySortValue(k, &e)
			if v == nil {
				continue
			}
			if c := compareValue(v, best); best == nil || (k.Descending && c > 0) || (!k.Descending && c < 0) {
				best = v
			}
		}
		out[i] = best
	}
	return out
}

// entrySortValue is what the index holds for an entry in the column sortExpr reads; nil
// for none.
func entrySortValue(k search.SortKey, e *search.Entry) any {
	str := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	switch k.Param.Type {
	case search.TypeString:
		return str(e.Text)
	case search.TypeToken, search.TypeURI:
		return str(e.Code)
	case search.TypeDate:
		if k.Descending {
			return e.High
		}
		return e.Low
	case search.TypeNumber, search.TypeQuantity:
		return e.Number
	case search.TypeReference:
		if e.RefType != "" && e.RefID != "" {
			return e.RefType + "/" + e.RefID
		}
		return str(e.URL)
	}
	return nil
}

// txResolver resolves references for search.Matcher inside the search's transaction,
// against the current resources. Its first error is kept in err.
type txResolver struct {
	s   *searcher
	err error
}

func (r *txResolver) Resolve(typ, id string) (map[string]any, bool) {
	res, err := r.s.run.query(r.s.ctx, `SELECT v.json FROM resources x JOIN versions v ON v.seq = x.seq
		WHERE x.type = ? AND x.id = ? AND x.deleted = 0`, typ, id)
	if err != nil {
		r.fail(err)
		return nil, false
	}
	defer res.Close()
	if !res.Next() {
		r.fail(res.Err())
		return nil, false
	}
	var js []byte
	if err := res.Scan(&js); err != nil {
		r.fail(err)
		return nil, false
	}
	doc, err := fhir.Decode(js)
	if err != nil {
		r.fail(err)
		return nil, false
	}
	return doc.Object, true
}

func (r *txResolver) Referrers(typ string, param *search.Param, targetType, targetID string) []map[string]any {
	if param == nil {
		return nil
	}
	res, err := r.s.run.query(r.s.ctx, `SELECT DISTINCT id FROM refs WHERE type = ? AND param = ? AND refid = ? AND reftype = ? ORDER BY id`,
		typ, param.Name, targetID, targetType)
	if err != nil {
		r.fail(err)
		return nil
	}
	var ids []string
	for res.Next() {
		var id string
		if err := res.Scan(&id); err != nil {
			r.fail(err)
			break
		}
		ids = append(ids, id)
	}
	res.Close()
	r.fail(res.Err())
	var out []map[string]any
	for _, id := range ids {
		if obj, ok := r.Resolve(typ, id); ok {
			out = append(out, obj)
		}
	}
	return out
}

func (r *txResolver) fail(err error) {
	if r.err == nil && err != nil {
		r.err = err
	}
}

var _ search.Resolver = (*txResolver)(nil)

// jsonInts renders ints as a JSON array, for json_each.
func jsonInts(vs []int64) string {
	b, _ := json.Marshal(vs)
	return string(b)
}
