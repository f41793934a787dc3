package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// writer owns the one read-write connection and its prepared statements. Only the
// writer goroutine uses it (and Open and Close, before and after that goroutine).
type writer struct {
	ctx     context.Context // statements are not cancelled: a group is never left half run
	conn    *sql.Conn
	now     func() time.Time
	matches *stmtCache

	begin, savepoint, rollbackTo, release, commit, rollback *sql.Stmt

	current, recordAt, insertVersion, upsertResource *sql.Stmt
	releaseKeys, claimKey, keyHolder                 *sql.Stmt
	replay, remember, purge                          *sql.Stmt

	all []*sql.Stmt // every statement above, for close
	ix  *indexer    // the search index's statements

	cache     *cache         // read cache the writer publishes commits to (nil: none)
	published []store.Record // scratch for publish
	extra     []store.Record // versions written by jobs of the group, for publish
}

func newWriter(ctx context.Context, conn *sql.Conn, now func() time.Time) (*writer, error) {
	w := &writer{ctx: context.Background(), conn: conn, now: now}
	w.matches = newStmtCache(conn)
	for _, s := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&w.begin, `BEGIN IMMEDIATE`},
		{&w.savepoint, `SAVEPOINT op`},
		{&w.rollbackTo, `ROLLBACK TO op`},
		{&w.release, `RELEASE op`},
		{&w.commit, `COMMIT`},
		{&w.rollback, `ROLLBACK`},
		{&w.current, `SELECT version, seq, deleted FROM resources WHERE type = ? AND id = ?`},
		{&w.recordAt, `SELECT ` + recordColumns + ` FROM versions WHERE seq = ?`},
		{&w.insertVersion, `INSERT INTO versions (type, id, version, last_updated, deleted, json, how) VALUES (?, ?, ?, ?, ?, ?, ?)`},
		{&w.upsertResource, `INSERT INTO resources (type, id, version, seq, deleted) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (type, id) DO UPDATE SET version = excluded.version, seq = excluded.seq, deleted = excluded.deleted`},
		{&w.releaseKeys, `DELETE FROM unique_keys WHERE type = ? AND id = ?`},
		{&w.claimKey, `INSERT INTO unique_keys (key, type, id) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`},
		{&w.keyHolder, `SELECT type, id FROM unique_keys WHERE key = ?`},
		{&w.replay, `SELECT outcome, seq FROM requests WHERE key = ?`},
		{&w.remember, `INSERT INTO requests (key, outcome, seq, created) VALUES (?, ?, ?, ?)`},
		{&w.purge, `DELETE FROM requests WHERE created < ?`},
	} {
		stmt, err := conn.PrepareContext(ctx, s.sql)
		if err != nil {
			w.close()
			return nil, err
		}
		*s.stmt = stmt
		w.all = append(w.all, stmt)
	}
	ix, err := newIndexer(ctx, conn)
	if err != nil {
		w.close()
		return nil, err
	}
	w.ix = ix
	return w, nil
}

func (w *writer) exec(stmt *sql.Stmt, args ...any) error {
	_, err := stmt.ExecContext(w.ctx, args...)
	return err
}

// close releases the statements and the connection.
func (w *writer) close() error {
	if w == nil {
		return nil
	}
	var errs []error
	for _, s := range w.all {
		errs = append(errs, s.Close())
	}
	if w.ix != nil {
		errs = append(errs, w.ix.close())
	}
	errs = append(errs, w.matches.close(), w.conn.Close())
	return errors.Join(errs...)
}

// match returns the ids and current seqs of up to limit live resources matching q, in id
// order, as the transaction sees them: the same compiler and planner as Search, run on
// the writer's connection.
func (w *writer) match(q *search.Query, limit int) (ids []string, seqs []int64, err error) {
	s, err := newSearcher(w.ctx, w.matches, q, w.now())
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.idPage("", limit)
	for _, r := range rows {
		ids, seqs = append(ids, r.id), append(seqs, r.seq)
	}
	return ids, seqs, err
}
