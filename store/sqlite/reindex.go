package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
)

// Reindexing rebuilds the search index of current versions from their stored JSON, with
// the parameter table of this program: after the table gains a parameter or an
// extractor changes, old resources are found like new ones.

// reindexBatchSize is how many resources one writer transaction reindexes: large enough
// to amortise the commit, small enough that writes queued behind it wait little.
const reindexBatchSize = 500

// Reindex rebuilds the index entries of the live resources of type typ (of every type
// when typ is ""), in batches, each atomic and run by the writer between groups of writes
// so that it never races them. progress, when not nil, is called after each batch with
// the number of resources reindexed so far. When ctx ends, the batches done stay done.
func (db *DB) Reindex(ctx context.Context, typ string, progress func(done int)) error {
	const op = "sqlite.Reindex"
	var after resourceKey
	done := 0
	for {
		var last resourceKey
		var n int
		err := db.run(ctx, func(w *writer) error {
			var err error
			last, n, err = reindexBatch(w.ctx, w.conn, w.ix, typ, after, reindexBatchSize)
			return err
		})
		if err != nil {
			return translate(op, err)
		}
		done += n
		if progress != nil && n > 0 {
			progress(done)
		}
		if n < reindexBatchSize {
			return nil
		}
		after = last
	}
}

// reindexAll is migration 3's hook: it indexes every live resource, in the migration's
// transaction.
func reindexAll(ctx context.Context, conn *sql.Conn) error {
	ix, err := newIndexer(ctx, conn)
	if err != nil {
		return err
	}
	defer ix.close()
	var after resourceKey
	for {
		last, n, err := reindexBatch(ctx, conn, ix, "", after, reindexBatchSize)
		if err != nil || n < reindexBatchSize {
			return err
		}
		after = last
	}
}

type resourceKey struct{ typ, id string }

// reindexBatch replaces the entries of up to n live resources that follow after in
// (type, id) order, of type typ only unless typ is "". It returns the last resource done
// and how many were.
func reindexBatch(ctx context.Context, conn *sql.Conn, ix *indexer, typ string, after resourceKey, n int) (resourceKey, int, error) {
	const cols = `SELECT r.type, r.id, v.last_updated, v.json FROM resources r JOIN versions v ON v.seq = r.seq WHERE r.deleted = 0 AND `
	var rows *sql.Rows
	var err error
	if typ != "" {
		rows, err = conn.QueryContext(ctx, cols+`r.type = ? AND r.id > ? ORDER BY r.id LIMIT ?`, typ, after.id, n)
	} else {
		rows, err = conn.QueryContext(ctx, cols+`(r.type, r.id) > (?, ?) ORDER BY r.type, r.id LIMIT ?`, after.typ, after.id, n)
	}
	if err != nil {
		return after, 0, err
	}
	type live struct {
		key  resourceKey
		ms   int64
		json []byte
	}
	var batch []live
	for rows.Next() {
		var l live
		if err := rows.Scan(&l.key.typ, &l.key.id, &l.ms, &l.json); err != nil {
			rows.Close()
			return after, 0, err
		}
		batch = append(batch, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return after, 0, err
	}
	// The reads are done before the writes: one connection runs one statement at a time.
	for _, l := range batch {
		r, err := fhir.Decode(l.json)
		if err != nil {
			return after, 0, err
		}
		if err := ix.remove(ctx, l.key.typ, l.key.id); err != nil {
			return after, 0, err
		}
		entries := search.ExtractAll(l.key.typ, r.Object)
		if err := ix.add(ctx, l.key.typ, l.key.id, time.UnixMilli(l.ms), entries); err != nil {
			return after, 0, err
		}
		after = l.key
	}
	return after, len(batch), nil
}
