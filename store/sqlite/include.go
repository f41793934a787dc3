package sqlite

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// _include and _revinclude (search.Includes): round after round from the page's matches,
// the :iterate ones again from what the last round added, until a round adds nothing or
// store.MaxIncluded is reached. Each round reads the refs rows of the whole frontier in
// one query per include (by (type, id) for _include, by (type, param, refid) for
// _revinclude), keeps the targets that are live, and adds them in the order of
// discovery: frontier resource, then include in query order, then parameter, then the
// target's type and id (the order of entries inside one resource is not kept).

// includes returns what q's includes reach from the page's rows, and whether the cap cut
// it short.
func (s *searcher) includes(page []pageRow) ([]store.Record, bool, error) {
	if len(page) == 0 || (len(s.q.Include) == 0 && len(s.q.RevInclude) == 0) {
		return nil, false, nil
	}
	seen := make(map[resourceKey]bool, len(page))
	frontier := make([]pageRow, len(page))
	for i, r := range page {
		seen[resourceKey{r.typ, r.id}] = true
		frontier[i] = r
	}
	var included []pageRow
	truncated := false
	for first := true; len(frontier) > 0 && !truncated; first = false {
		found, err := s.includeRound(frontier, first)
		if err != nil {
			return nil, false, err
		}
		start := len(included)
		for _, r := range found {
			k := resourceKey{r.typ, r.id}
			if seen[k] {
				continue
			}
			if len(included) >= store.MaxIncluded {
				truncated = true
				break
			}
			seen[k] = true
			included = append(included, r)
		}
		frontier = included[start:]
	}
	recs, err := s.records(included)
	return recs, truncated, err
}

// includeRef is one reference an include followed: from the frontier resource at index
// src, by include number inc and parameter number param, to the live resource rec.
type includeRef struct {
	src, inc, param int
	rec             store.Record
}

// The queries of one include over a whole frontier, joined to the current version of
// each live resource reached. _include reads the frontier's rows by (type, id, param);
// _revinclude the rows that point at it by (type, param, refid, reftype).
const (
	includeQuery = `SELECT x.id, x.param, ` + joinedRecord + ` FROM refs x
		JOIN resources r ON r.type = x.reftype AND r.id = x.refid JOIN versions v ON v.seq = r.seq
		WHERE x.type = ? AND x.id IN (SELECT value FROM json_each(?)) AND x.param IN (SELECT value FROM json_each(?))
		AND x.reftype <> '' AND r.deleted = 0`
	revIncludeQuery = `SELECT x.refid, x.param, ` + joinedRecord + ` FROM refs x
		JOIN resources r ON r.type = x.type AND r.id = x.id JOIN versions v ON v.seq = r.seq
		WHERE x.type = ? AND x.param IN (SELECT value FROM json_each(?)) AND x.refid IN (SELECT value FROM json_each(?))
		AND x.reftype = ? AND r.deleted = 0`
	joinedRecord = `v.type, v.id, v.seq, v.version, v.last_updated, v.deleted, v.json, v.how`
)

// includeRound returns the live resources the includes reach from frontier, in order
// (with repeats).
func (s *searcher) includeRound(frontier []pageRow, first bool) ([]pageRow, error) {
	pos := make(map[resourceKey]int, len(frontier))
	byType := map[string][]string{}
	for i, r := range frontier {
		pos[resourceKey{r.typ, r.id}] = i
		byType[r.typ] = append(byType[r.typ], r.id)
	}
	var refs []includeRef
	for i, inc := range s.q.Include {
		if !first && !inc.Iterate {
			continue
		}
		params := includeParams(inc)
		if len(byType[inc.Type]) == 0 || len(params) == 0 {
			continue
		}
		q, args := includeQuery, []any{inc.Type, jsonList(byType[inc.Type]), jsonList(params)}
		if inc.TargetType != "" {
			q += ` AND x.reftype = ?`
			args = append(args, inc.TargetType)
		}
		err := s.scanRefs(q, args, func(src, param string, rec store.Record) {
			refs = append(refs, includeRef{pos[resourceKey{inc.Type, src}], i, slices.Index(params, param), rec})
		})
		if err != nil {
			return nil, err
		}
	}
	for i, inc := range s.q.RevInclude {
		if !first && !inc.Iterate {
			continue
		}
		params := includeParams(inc)
		for typ, ids := range byType {
			if (inc.TargetType != "" && inc.TargetType != typ) || len(params) == 0 {
				continue
			}
			err := s.scanRefs(revIncludeQuery, []any{inc.Type, jsonList(params), jsonList(ids), typ}, func(target, param string, rec store.Record) {
				refs = append(refs, includeRef{pos[resourceKey{typ, target}], len(s.q.Include) + i, slices.Index(params, param), rec})
			})
			if err != nil {
				return nil, err
			}
		}
	}
	slices.SortFunc(refs, func(a, b includeRef) int {
		if c := cmpInts(a.src, b.src, a.inc, b.inc, a.param, b.param); c != 0 {
			return c
		}
		if c := strings.Compare(a.rec.Type, b.rec.Type); c != 0 {
			return c
		}
		return strings.Compare(a.rec.ID, b.rec.ID)
	})
	out := make([]pageRow, len(refs))
	for i := range refs {
		r := &refs[i].rec
		out[i] = pageRow{typ: r.Type, id: r.ID, seq: r.Seq, rec: r}
	}
	return out, nil
}

// includeParams are the reference parameters an include follows: its own, or for Type:*
// every reference parameter of Type.
func includeParams(inc search.Include) []string {
	if !inc.Wildcard {
		if inc.Param == nil || inc.Param.Type != search.TypeReference {
			return nil
		}
		return []string{inc.Param.Name}
	}
	var out []string
	for _, p := range search.AllParams(inc.Type) {
		if p.Type == search.TypeReference {
			out = append(out, p.Name)
		}
	}
	return out
}

// scanRefs runs an include query and hands each row to f: the frontier resource's id,
// the parameter, and the resource reached.
func (s *searcher) scanRefs(q string, args []any, f func(id, param string, rec store.Record)) error {
	rows, err := s.run.query(s.ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, param string
		var rec store.Record
		var ms, how int64
		if err := rows.Scan(&id, &param, &rec.Type, &rec.ID, &rec.Seq, &rec.Version, &ms, &rec.Deleted, &rec.JSON, &how); err != nil {
			return err
		}
		f(id, param, withHow(rec, ms, how))
	}
	return rows.Err()
}

// records returns the versions the rows name: from the cache when it holds that very
// version, otherwise read by seq in one query.
func (s *searcher) records(rows []pageRow) ([]store.Record, error) {
	out := make([]store.Record, len(rows))
	at := map[int64]int{}
	var seqs []int64
	for i, r := range rows {
		if r.rec != nil {
			out[i] = *r.rec
			continue
		}
		if rec, ok := s.cache.get(r.typ, r.id); ok && rec.Seq == r.seq {
			out[i] = rec
			continue
		}
		at[r.seq] = i
		seqs = append(seqs, r.seq)
	}
	if len(seqs) == 0 {
		return out, nil
	}
	res, err := s.run.query(s.ctx, `SELECT `+recordColumns+` FROM versions WHERE seq IN (SELECT value FROM json_each(?))`, jsonInts(seqs))
	if err != nil {
		return nil, err
	}
	defer res.Close()
	for res.Next() {
		rec, err := scanRecord(res)
		if err != nil {
			return nil, err
		}
		out[at[rec.Seq]] = rec
	}
	return out, res.Err()
}

func jsonList(vs []string) string {
	b, _ := json.Marshal(vs)
	return string(b)
}

// cmpInts compares pairs in turn: (a0, b0), then (a1, b1), …
func cmpInts(pairs ...int) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] != pairs[i+1] {
			if pairs[i] < pairs[i+1] {
				return -1
			}
			return 1
		}
	}
	return 0
}
