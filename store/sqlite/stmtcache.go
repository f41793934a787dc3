package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxCachedStmts bounds the compiled queries kept prepared. A query's SQL depends only on
// its shape (how many clauses and values, of which forms), so real traffic needs few.
const maxCachedStmts = 256

// querier is what *sql.DB and *sql.Conn share.
type querier interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// stmtCache keeps compiled queries prepared on one querier. Statements stay open until
// close; past the bound, queries run unprepared rather than evicting a statement that
// another goroutine may be about to use.
type stmtCache struct {
	q  querier
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(q querier) *stmtCache { return &stmtCache{q: q, m: map[string]*sql.Stmt{}} }

func (c *stmtCache) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	stmt, err := c.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	if stmt == nil {
		return c.q.QueryContext(ctx, query, args...)
	}
	return stmt.QueryContext(ctx, args...)
}

// prepared returns the statement of query, preparing it if needed; nil when the cache is
// full and query is not in it.
func (c *stmtCache) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	stmt, ok := c.m[query]
	if !ok && len(c.m) < maxCachedStmts {
		var err error
		if stmt, err = c.q.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		c.m[query] = stmt
	}
	return stmt, nil
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for k, s := range c.m {
		errs = append(errs, s.Close())
		delete(c.m, k)
	}
	return errors.Join(errs...)
}
