package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
)

// Bulk loading. Each index table has, beside its primary key, an index by (type, id,
// param) that searches use to test one candidate and writes use to remove a resource's
// entries; dates also have one by high. Keeping them up to date doubles the b-tree
// inserts of a load, where building them once at the end sorts each table in one pass.
// So a first load into an empty store drops them, writes (removing a replaced version's
// entries by their primary keys, rebuilt from its stored JSON, instead of by the dropped
// index), then builds them again. Open builds any that are missing, so a load that dies
// half way leaves a store that is whole at its next start.

// loadIndexes are the secondary indexes of the index tables, as created by the schema.
var loadIndexes = []struct{ name, create string }{
	{"tokens_resource", `CREATE INDEX IF NOT EXISTS tokens_resource ON tokens (type, id, param)`},
	{"texts_resource", `CREATE INDEX IF NOT EXISTS texts_resource ON texts (type, id, param)`},
	{"strings_resource", `CREATE INDEX IF NOT EXISTS strings_resource ON strings (type, id, param)`},
	{"dates_high", `CREATE INDEX IF NOT EXISTS dates_high ON dates (type, param, high)`},
	{"dates_resource", `CREATE INDEX IF NOT EXISTS dates_resource ON dates (type, id, param)`},
	{"numbers_resource", `CREATE INDEX IF NOT EXISTS numbers_resource ON numbers (type, id, param)`},
	{"refs_resource", `CREATE INDEX IF NOT EXISTS refs_resource ON refs (type, id, param)`},
	{"uris_resource", `CREATE INDEX IF NOT EXISTS uris_resource ON uris (type, id, param)`},
}

// ensureIndexes creates the secondary indexes a bulk load left out (none when whole).
func ensureIndexes(ctx context.Context, conn *sql.Conn) error {
	for _, ix := range loadIndexes {
		if _, err := conn.ExecContext(ctx, ix.create); err != nil {
			return err
		}
	}
	return nil
}

// BeginBulkLoad prepares an empty store for a large first load, for a process that has
// the store to itself (nims import, nims seed; never a serving one, whose searches need
// the indexes it drops). It reports false, changing nothing, when the store already holds
// resources. Until EndBulkLoad every write works as usual; searches are slower.
func (db *DB) BeginBulkLoad(ctx context.Context) (bool, error) {
	began := false
	err := db.run(ctx, func(w *writer) error {
		var any int
		if err := w.conn.QueryRowContext(w.ctx, `SELECT EXISTS (SELECT 1 FROM resources)`).Scan(&any); err != nil || any == 1 {
			return err
		}
		for _, ix := range loadIndexes {
			if _, err := w.conn.ExecContext(w.ctx, `DROP INDEX IF EXISTS `+ix.name); err != nil {
				return err
			}
		}
		w.ix.bulk, began = true, true
		return nil
	})
	return began, translate("sqlite.BeginBulkLoad", err)
}

// EndBulkLoad builds the indexes BeginBulkLoad dropped; the store is then as if loaded
// one write at a time.
func (db *DB) EndBulkLoad(ctx context.Context) error {
	err := db.run(ctx, func(w *writer) error {
		w.ix.bulk = false
		return ensureIndexes(w.ctx, w.conn)
	})
	return translate("sqlite.EndBulkLoad", err)
}

// removeBulk removes the index entries of typ/id's version at seq without the dropped
// (type, id) indexes: their rows are rebuilt from the version's JSON and deleted by
// primary key.
func (w *writer) removeBulk(typ, id string, seq int64) error {
	w.ix.forget(typ, id)
	rec, err := w.record(seq)
	if err != nil {
		return err
	}
	r, err := fhir.Decode(rec.JSON)
	if err != nil {
		return err
	}
	ix := w.ix
	ix.build(typ, id, rec.LastUpdated, search.ExtractAll(typ, r.Object))
	for t, vals := range ix.rows {
		cols := strings.Count(indexColumns[t], ",") + 1
		stmt, err := ix.deleteStmt(w.ctx, t)
		if err != nil {
			return err
		}
		for ; len(vals) > 0; vals = vals[cols:] {
			args := make([]any, len(pkCols[t]))
			for i, c := range pkCols[t] {
				args[i] = vals[c]
			}
			if _, err := stmt.ExecContext(w.ctx, args...); err != nil {
				return err
			}
		}
	}
	return nil
}

// deleteStmt returns the DELETE of one row of table t by its primary key.
func (ix *indexer) deleteStmt(ctx context.Context, t int) (*sql.Stmt, error) {
	if s := ix.deletes[t]; s != nil {
		return s, nil
	}
	names := strings.Split(indexColumns[t], ", ")
	var where []string
	for _, c := range pkCols[t] {
		where = append(where, names[c]+" = ?")
	}
	s, err := ix.conn.PrepareContext(ctx, `DELETE FROM `+indexTables[t]+` WHERE `+strings.Join(where, " AND "))
	if err != nil {
		return nil, err
	}
	ix.deletes[t] = s
	return s, nil
}
