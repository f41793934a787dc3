package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// Reads run on the read-only pool. In WAL mode each statement reads a snapshot of the
// last commit and never waits for the writer.

// recordColumns are the versions columns scanRecord reads, in its order.
const recordColumns = `type, id, seq, version, last_updated, deleted, json, how`

type readStmts struct {
	read, vread, changes                        *sql.Stmt
	historyInstance, historyType, historySystem *sql.Stmt
	searches                                    *stmtCache
}

func prepareReads(ctx context.Context, rdb *sql.DB) (*readStmts, error) {
	r := &readStmts{searches: newStmtCache(rdb)}
	const history = `SELECT ` + recordColumns + ` FROM versions WHERE `
	const page = ` seq < ? AND last_updated >= ? ORDER BY seq DESC LIMIT ?`
	for _, s := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&r.read, `SELECT v.type, v.id, v.seq, v.version, v.last_updated, v.deleted, v.json, v.how
			FROM resources r JOIN versions v ON v.seq = r.seq WHERE r.type = ? AND r.id = ?`},
		{&r.vread, `SELECT ` + recordColumns + ` FROM versions WHERE type = ? AND id = ? AND version = ?`},
		{&r.changes, `SELECT ` + recordColumns + ` FROM versions WHERE seq > ? ORDER BY seq LIMIT ?`},
		// A resource has few versions: read them by resource and sort. Left to itself the
		// planner walks the type's whole history newest first instead.
		{&r.historyInstance, `SELECT ` + recordColumns + ` FROM versions INDEXED BY versions_resource
			WHERE type = ? AND id = ? AND` + page},
		{&r.historyType, history + `type = ? AND` + page},
		{&r.historySystem, history + page},
	} {
		stmt, err := rdb.PrepareContext(ctx, s.sql)
		if err != nil {
			r.close()
			return nil, err
		}
		*s.stmt = stmt
	}
	return r, nil
}

func (r *readStmts) close() error {
	var errs []error
	for _, s := range []*sql.Stmt{r.read, r.vread, r.changes, r.historyInstance, r.historyType, r.historySystem} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(append(errs, r.searches.close())...)
}

type scanner interface{ Scan(dest ...any) error }

func scanRecord(row scanner) (store.Record, error) {
	var rec store.Record
	var ms, how int64
	if err := row.Scan(&rec.Type, &rec.ID, &rec.Seq, &rec.Version, &ms, &rec.Deleted, &rec.JSON, &how); err != nil {
		return store.Record{}, err
	}
	return withHow(rec, ms, how), nil
}

// withHow completes a record scanned with its last_updated and how columns.
func withHow(rec store.Record, ms, how int64) store.Record {
	rec.Op, rec.Created = store.OpKind(how/10), how%10 == 1
	rec.LastUpdated = time.UnixMilli(ms).UTC()
	return rec
}

func scanRecords(rows *sql.Rows, err error) ([]store.Record, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Record
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

// Read returns the current version: KindNotFound, or KindGone with the deletion marker.
func (db *DB) Read(ctx context.Context, typ, id string) (store.Record, error) {
	leave, err := db.enter()
	if err != nil {
		return store.Record{}, err
	}
	defer leave()
	if rec, ok := db.cache.get(typ, id); ok {
		return found("sqlite.Read", rec, nil, typ, id)
	}
	stamp := db.cache.stamp()
	rec, err := scanRecord(db.reads.read.QueryRowContext(ctx, typ, id))
	if err == nil {
		db.cache.fill(rec, stamp)
	}
	return found("sqlite.Read", rec, err, typ, id)
}

// VRead returns one version: KindNotFound, or KindGone with a deletion marker.
func (db *DB) VRead(ctx context.Context, typ, id string, version int64) (store.Record, error) {
	leave, err := db.enter()
	if err != nil {
		return store.Record{}, err
	}
	defer leave()
	rec, err := scanRecord(db.reads.vread.QueryRowContext(ctx, typ, id, version))
	return found("sqlite.VRead", rec, err, typ, id)
}

func found(op string, rec store.Record, err error, typ, id string) (store.Record, error) {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		e := fhir.Errorf(fhir.KindNotFound, "not-found", "", "%s/%s is not known", typ, id)
		e.Op = op
		return store.Record{}, e
	case err != nil:
		return store.Record{}, translate(op, err)
	case rec.Deleted:
		e := fhir.Errorf(fhir.KindGone, "deleted", "", "%s/%s has been deleted", typ, id)
		e.Op = op
		return rec, e
	}
	return rec, nil
}

// History returns one page of versions, newest first. The cursor is the seq of the last
// version shown: the next page holds only older versions, so later writes (which get
// higher seqs) neither shift nor repeat what the client is paging through.
func (db *DB) History(ctx context.Context, q store.HistoryQuery) (store.HistoryPage, error) {
	const op = "sqlite.History"
	leave, err := db.enter()
	if err != nil {
		return store.HistoryPage{}, err
	}
	defer leave()
	if q.Count <= 0 {
		return store.HistoryPage{}, invalid(op, "the history page size must be positive")
	}
	before := int64(math.MaxInt64)
	if q.Cursor != "" {
		var ok bool
		if before, ok = store.DecodeHistoryCursor(q.Cursor, q); !ok {
			return store.HistoryPage{}, invalid(op, "the history cursor is not valid for this query")
		}
	}
	tail := []any{before, sinceMillis(q.Since), q.Count + 1}
	var rows *sql.Rows
	switch {
	case q.ID != "":
		rows, err = db.reads.historyInstance.QueryContext(ctx, append([]any{q.Type, q.ID}, tail...)...)
	case q.Type != "":
		rows, err = db.reads.historyType.QueryContext(ctx, append([]any{q.Type}, tail...)...)
	default:
		rows, err = db.reads.historySystem.QueryContext(ctx, tail...)
	}
	recs, err := scanRecords(rows, err)
	if err != nil {
		return store.HistoryPage{}, translate(op, err)
	}
	page := store.HistoryPage{Records: recs}
	if len(recs) > q.Count {
		page.Records = recs[:q.Count]
		page.Next = store.EncodeHistoryCursor(page.Records[q.Count-1].Seq, q)
	}
	return page, nil
}

// sinceMillis is the least stored instant (whole milliseconds) at or after since.
func sinceMillis(since time.Time) int64 {
	if since.IsZero() {
		return math.MinInt64
	}
	ms := since.UnixMilli()
	if time.UnixMilli(ms).Before(since) {
		ms++
	}
	return ms
}

// Changes returns the change log after afterSeq, oldest first.
func (db *DB) Changes(ctx context.Context, afterSeq int64, limit int) ([]store.Record, error) {
	leave, err := db.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	if limit <= 0 {
		return nil, nil
	}
	recs, err := scanRecords(db.reads.changes.QueryContext(ctx, afterSeq, limit))
	return recs, translate("sqlite.Changes", err)
}

func invalid(op, details string) *fhir.Error {
	e := fhir.Errorf(fhir.KindInvalid, "invalid", "", "%s", details)
	e.Details, e.Op = details, op
	return e
}
