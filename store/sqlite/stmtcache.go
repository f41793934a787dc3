package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"
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
//
// Preparing on a pool (*sql.DB) takes a connection of the pool. A reader that holds one
// (inside a read transaction) must therefore never wait for a prepare: with every
// connection held by such readers, none would be left for it, and all would wait until
// their requests timed out (measured: 16 clients, 8 connections, a new query shape →
// every request 30 s). Readers in a transaction take a statement only if it is ready
// (cached) and otherwise run the query unprepared while the statement is prepared in the
// background, off any request.
type stmtCache struct {
	q       querier
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	pending map[string]bool // queries being prepared in the background
	wg      sync.WaitGroup
	closed  bool
}

func newStmtCache(q querier) *stmtCache {
	return &stmtCache{q: q, m: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

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

// prepared returns the statement of query, preparing it now if needed; nil when the
// cache is full and query is not in it. The caller must not hold a connection of the
// querier's pool (see ready for those that do).
func (c *stmtCache) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if stmt, ok := c.lookup(query); ok {
		return stmt, nil
	}
	c.mu.Lock()
	full := len(c.m) >= maxCachedStmts
	c.mu.Unlock()
	if full {
		return nil, nil
	}
	stmt, err := c.q.PrepareContext(ctx, query) // not under mu: a prepare may wait for a connection
	if err != nil {
		return nil, err
	}
	return c.keep(query, stmt), nil
}

// ready returns the statement of query if it is prepared already; if not, it starts
// preparing it in the background and returns nil: the caller runs the query unprepared.
func (c *stmtCache) ready(query string) *sql.Stmt {
	if stmt, ok := c.lookup(query); ok {
		return stmt
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.pending[query] || len(c.m)+len(c.pending) >= maxCachedStmts {
		return nil
	}
	c.pending[query] = true
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		stmt, err := c.q.PrepareContext(ctx, query)
		c.mu.Lock()
		delete(c.pending, query)
		c.mu.Unlock()
		if err == nil {
			c.keep(query, stmt)
		}
	}()
	return nil
}

func (c *stmtCache) lookup(query string) (*sql.Stmt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	stmt, ok := c.m[query]
	return stmt, ok
}

// keep caches stmt as the statement of query, unless another was cached meanwhile (or the
// cache closed or filled): then stmt is closed and the cached one returned.
func (c *stmtCache) keep(query string, stmt *sql.Stmt) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if have, ok := c.m[query]; ok {
		stmt.Close()
		return have
	}
	if c.closed || len(c.m) >= maxCachedStmts {
		stmt.Close()
		return nil
	}
	c.m[query] = stmt
	return stmt
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.wg.Wait() // background prepares end (their statements are closed by keep)
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for k, s := range c.m {
		errs = append(errs, s.Close())
		delete(c.m, k)
	}
	return errors.Join(errs...)
}
