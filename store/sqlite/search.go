package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// Search returns one page of the live resources matching q, in q.Sort's order then by
// id, with what q's includes reach from them. Everything is read in one read
// transaction, so the page, the total and the included resources are one snapshot.
//
// Total: -1 under _total=none (unless _summary=count asks for it); otherwise the number
// of matches, counted. _total=estimate counts too, except that a first page holding
// every match is its own total: a count costs what the matches cost, and no cheaper
// bound that stays honest was worth its complexity.
func (db *DB) Search(ctx context.Context, q *search.Query) (store.SearchResult, error) {
	const op = "sqlite.Search"
	leave, err := db.enter()
	if err != nil {
		return store.SearchResult{}, err
	}
	defer leave()
	var after *searchCursor
	if q.Cursor != "" {
		c, ok := decodeSearchCursor(q.Cursor, q)
		if !ok {
			return store.SearchResult{}, invalid(op, "the search cursor is not valid for this query")
		}
		after = &c
	}
	tx, err := db.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return store.SearchResult{}, translate(op, err)
	}
	defer tx.Rollback()
	s, err := newSearcher(ctx, txRunner{tx, db.reads.searches}, q, db.opts.Now())
	if err != nil {
		return store.SearchResult{}, translate(op, err)
	}
	s.cache = db.cache
	res, err := s.result(after)
	return res, translate(op, err)
}

// searcher runs one query on one snapshot.
type searcher struct {
	ctx   context.Context
	run   runner
	q     *search.Query
	preds []*pred
	none  bool // some pred never holds
	keys  []sortKey
	pl    *planner
	cache *cache    // current versions, to skip reading their JSON (nil: none)
	now   time.Time // of date ap
	asOf  int64     // when positive, page queries read only resources unchanged since this seq
}

func newSearcher(ctx context.Context, run runner, q *search.Query, now time.Time) (*searcher, error) {
	c := compiler{now: now}
	preds, err := c.compileQuery(q)
	if err != nil {
		return nil, err
	}
	keys, err := sortKeys(q.Type, q.Sort)
	if err != nil {
		return nil, err
	}
	s := &searcher{ctx: ctx, run: run, q: q, keys: keys, now: now}
	for _, p := range preds {
		switch p.kind {
		case predFalse:
			s.none = true
		case predTrue:
		default:
			s.preds = append(s.preds, p)
		}
	}
	s.pl = &planner{ctx: ctx, run: run, preds: s.preds, est: map[*pred]int{}}
	return s, nil
}

func (s *searcher) result(after *searchCursor) (store.SearchResult, error) {
	res := store.SearchResult{Total: -1}
	n := s.q.Count
	if s.q.Summary == search.SummaryCount {
		n = 0
	}
	var rows []pageRow
	if n > 0 && !s.none {
		var err error
		if rows, err = s.page(after, n+1); err != nil {
			return res, err
		}
		if len(rows) > n {
			rows = rows[:n]
			last := searchCursor{keys: rows[n-1].keys, id: rows[n-1].id}
			if after != nil {
				last.seq = after.seq
			} else if last.seq, err = s.snapshotSeq(); err != nil {
				return res, err
			}
			res.Next = encodeSearchCursor(last, s.q)
		}
		if res.Records, err = s.records(rows); err != nil {
			return res, err
		}
	}
	if s.q.Total != search.TotalNone || s.q.Summary == search.SummaryCount {
		if s.q.Total == search.TotalEstimate && after == nil && res.Next == "" && n > 0 {
			res.Total = int64(len(rows))
		} else {
			total, err := s.count()
			if err != nil {
				return res, err
			}
			res.Total = total
		}
	}
	var err error
	res.Included, res.Truncated, err = s.includes(rows)
	return res, err
}

// pageRow is one match: its id, the seq of its current version and its sort values.
type pageRow struct {
	typ, id string
	seq     int64
	keys    []any
	rec     *store.Record // the version to show, when it is not the current one (snapshot.go)
}

// page returns up to n matches after the cursor, in order: as they stood at the cursor's
// snapshot (snapshot.go).
func (s *searcher) page(after *searchCursor, n int) ([]pageRow, error) {
	var changed []pageRow
	if after != nil && after.seq > 0 {
		var ok bool
		var err error
		if changed, ok, err = s.changedSince(*after); err != nil {
			return nil, err
		}
		if ok {
			s.asOf = after.seq
		}
	}
	var rows []pageRow
	var err error
	switch {
	case len(s.keys) > 0:
		rows, err = s.sortedPage(after, n)
	case after != nil:
		rows, err = s.idPage(after.id, n)
	default:
		rows, err = s.idPage("", n)
	}
	if err != nil || len(changed) == 0 {
		return rows, err
	}
	return mergeRows(s.keys, rows, changed, n), nil
}

// idPage returns up to n matches with ids above afterID, in id order.
func (s *searcher) idPage(afterID string, n int) ([]pageRow, error) {
	if s.none {
		return nil, nil
	}
	driver, small, err := s.pl.driver()
	if err != nil {
		return nil, err
	}
	if small {
		return s.drivenPage(driver, afterID, n)
	}
	budget := 0
	if driver != nil {
		budget = scanBudget
	}
	rows, last, done, err := s.walkPage(afterID, n, budget)
	if err != nil || done {
		return rows, err
	}
	more, err := s.drivenPage(driver, last, n-len(rows))
	return append(rows, more...), err
}

// where renders the conditions every candidate r must meet: its type, live (unchanged
// since asOf, when positive), and each pred but skip, as a test of r.id.
func (s *searcher) where(skip *pred, asOf int64) *sqlBuf {
	var b sqlBuf
	b.add("r.type = ? AND r.deleted = 0", s.q.Type)
	if asOf > 0 {
		b.add(" AND r.seq <= ?", asOf)
	}
	for _, p := range s.preds {
		if p != skip {
			b.add(" AND ").part(p.cond("r.id"))
		}
	}
	return &b
}

// drivenPage reads driver's set, tests the other preds on each member and returns the
// first n above afterID.
func (s *searcher) drivenPage(driver *pred, afterID string, n int) ([]pageRow, error) {
	set, _ := driver.set(false)
	b := s.where(driver, s.asOf)
	q := (&sqlBuf{}).add("SELECT r.id, r.seq FROM resources r WHERE ").part(b.done()).
		add(" AND r.id IN (").part(set).add(") AND r.id > ? ORDER BY r.id LIMIT ?", afterID, n)
	return s.rows(q.done(), 0)
}

// walkPage walks the type's resources in id order above afterID, testing every pred,
// until it has n matches or has tested budget candidates (0: no limit). done is false
// when the budget ran out first; last is then the last id tested.
func (s *searcher) walkPage(afterID string, n, budget int) (rows []pageRow, last string, done bool, err error) {
	var q sqlBuf
	q.add("SELECT r.id, r.seq, ")
	if len(s.preds) == 0 {
		q.add("1")
	}
	for i, p := range s.preds {
		if i > 0 {
			q.add(" AND ")
		}
		q.add("(").part(p.cond("r.id")).add(")")
	}
	q.add(" FROM resources r WHERE r.type = ? AND r.deleted = 0 AND r.id > ?", s.q.Type, afterID)
	if s.asOf > 0 {
		q.add(" AND r.seq <= ?", s.asOf)
	}
	q.add(" ORDER BY r.id")
	if budget > 0 {
		q.add(" LIMIT ?", budget)
	}
	res, err := s.run.query(s.ctx, q.b.String(), q.args...)
	if err != nil {
		return nil, "", false, err
	}
	defer res.Close()
	tested := 0
	for res.Next() {
		r := pageRow{typ: s.q.Type}
		var ok bool
		if err := res.Scan(&r.id, &r.seq, &ok); err != nil {
			return nil, "", false, err
		}
		tested++
		last = r.id
		if ok {
			rows = append(rows, r)
			if len(rows) == n {
				return rows, last, true, nil
			}
		}
	}
	return rows, last, budget == 0 || tested < budget, res.Err()
}

// rows runs a page query whose columns are id, seq and nkeys sort values.
func (s *searcher) rows(q sqlPart, nkeys int) ([]pageRow, error) {
	res, err := s.run.query(s.ctx, q.sql, q.args...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var out []pageRow
	for res.Next() {
		r := pageRow{typ: s.q.Type, keys: make([]any, nkeys)}
		dest := []any{&r.id, &r.seq}
		for i := range r.keys {
			dest = append(dest, &r.keys[i])
		}
		if err := res.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, res.Err()
}
