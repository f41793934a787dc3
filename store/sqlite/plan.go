package sqlite

import (
	"context"
	"database/sql"
	"slices"
)

// Planning. A search is driven either from the set of one pred (its index ranges, read
// into SQLite's IN list, each candidate then tested against the other preds), or by
// walking the type's resources in id order and testing each. The first wins when a set
// is small, the second when matches are dense; which holds depends on the data, which
// SQLite's statistics do not see per value (ANALYZE knows that an average code has few
// rows, not that COVID has a million). So the planner asks the data: it counts each
// cheap set up to probeCap rows, the most selective-looking first, and stops as soon as
// one is smallEnough. A walk that tests scanBudget candidates without filling its page
// hands over to the smallest set.

const (
	// probeCap bounds the index rows one probe reads (about 0.3 ms at the cap).
	probeCap = 1000
	// smallEnough ends probing: driving from a set this small costs little whatever the
	// other preds are.
	smallEnough = 100
	// scanBudget is how many candidates a walk in id order tests before it gives up.
	scanBudget = 5000
)

// runner runs a query: the read transaction of a search, or the writer's connection for
// conditional interactions.
type runner interface {
	query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// txRunner runs queries in a read transaction, prepared through the shared cache.
type txRunner struct {
	tx    *sql.Tx
	stmts *stmtCache
}

// query never waits for a prepare: the transaction holds a connection of the pool the
// cache prepares on (see stmtCache).
func (r txRunner) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	stmt := r.stmts.ready(query)
	if stmt == nil {
		return r.tx.QueryContext(ctx, query, args...)
	}
	return r.tx.StmtContext(ctx, stmt).QueryContext(ctx, args...)
}

// queryInt runs a query that returns one integer.
func queryInt(ctx context.Context, run runner, p sqlPart) (int64, error) {
	rows, err := run.query(ctx, p.sql, p.args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	return n, rows.Err()
}

// planner chooses how to drive one query's preds.
type planner struct {
	ctx   context.Context
	run   runner
	preds []*pred
	est   map[*pred]int
}

// driver returns the pred whose set should drive the search, and whether that set is
// small (below probeCap). When no cheap set is small, it returns the smallest-looking
// cheap one, or else one whose set needs a scan of its parameter's rows, or nil.
func (pl *planner) driver() (best *pred, small bool, err error) {
	bestN := -1
	for _, p := range pl.ranked() {
		n, err := pl.estimate(p)
		if err != nil {
			return nil, false, err
		}
		if n >= 0 && (best == nil || n < bestN) {
			best, bestN = p, n
		}
		if best != nil && bestN <= smallEnough {
			break
		}
	}
	if best != nil {
		return best, bestN < probeCap, nil
	}
	for _, p := range pl.preds {
		if _, ok := p.set(false); ok {
			return p, false, nil
		}
	}
	return nil, false, nil
}

// ranked orders the preds by how selective they look before any probe: an id list, then
// exact values (unique terms), then other index ranges, then chains and _has, whose
// probes cost more.
func (pl *planner) ranked() []*pred {
	rank := func(p *pred) int {
		switch {
		case p.kind == predIDs:
			return 0
		case slices.ContainsFunc(p.terms, func(t term) bool { return t.inner != nil }):
			return 3
		case !slices.ContainsFunc(p.terms, func(t term) bool { return !t.unique }):
			return 1
		}
		return 2
	}
	out := slices.Clone(pl.preds)
	slices.SortStableFunc(out, func(a, b *pred) int { return rank(a) - rank(b) })
	return out
}

// estimate returns the size of p's set below probeCap, probeCap at or above it (or when
// a chain's inner set is that large already), and -1 when p has no cheap set.
func (pl *planner) estimate(p *pred) (int, error) {
	if n, ok := pl.est[p]; ok {
		return n, nil
	}
	n, err := pl.probe(p)
	if err == nil {
		pl.est[p] = n
	}
	return n, err
}

func (pl *planner) probe(p *pred) (int, error) {
	if !p.cheap() {
		return -1, nil
	}
	for _, t := range p.terms {
		if t.inner == nil {
			continue
		}
		n, err := pl.estimate(t.inner)
		if err != nil || n < 0 || n >= probeCap {
			return probeCap, err
		}
	}
	set, _ := p.set(false)
	var s sqlBuf
	s.add("SELECT count(*) FROM (").part(set).add(" LIMIT ?)", probeCap)
	n, err := queryInt(pl.ctx, pl.run, s.done())
	return int(n), err
}
