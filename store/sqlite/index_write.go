package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
)

// Writing the index. A resource's entries go to each table in one multi-row INSERT (a
// Patient's fifteen entries are four or five statements, not fifteen): on the single
// writer, statements rather than b-tree work were the cost of indexing.

// The index tables, and the columns each row is inserted with.
const (
	tTokens = iota
	tTexts
	tStrings
	tDates
	tNumbers
	tRefs
	tURIs
	nTables
)

var (
	indexTables  = []string{"tokens", "texts", "strings", "dates", "numbers", "refs", "uris"}
	indexColumns = []string{
		"type, param, code, system, id, dup",
		"type, param, text, id",
		"type, param, text, value, id",
		"type, param, low, high, id",
		"type, param, number, code, system, id, numlow, numhigh",
		"type, param, refid, reftype, url, id",
		"type, param, value, id",
	}
)

// maxInsertRows bounds the rows of one INSERT; a resource with more is written in several.
const maxInsertRows = 64

// indexer writes index entries through statements prepared on one connection: the
// writer's, or the migration's. It is used by one goroutine.
type indexer struct {
	conn      *sql.Conn
	clear     []*sql.Stmt // one per indexTables
	inserts   map[insertShape]*sql.Stmt
	deletes   [nTables]*sql.Stmt // by primary key, prepared when first needed (bulk.go)
	bulk      bool               // a bulk load: the (type, id) indexes are dropped (bulk.go)
	rows      [nTables][]any     // the pending rows' values, per table
	tokenRows []tokenRow         // scratch of add

	// Deferred mode (a transaction whose ops never read the index): add queues its rows
	// and flush writes those of every resource's last version at once, each table's rows
	// in primary-key order, so that neighbouring keys share the b-tree pages they touch.
	deferred bool
	queued   [nTables][]queuedRow
	latest   map[resourceKey]int // resource → generation of its last add
	gen      int
}

// queuedRow is one index row of deferred mode.
type queuedRow struct {
	vals []any
	sort string // the primary key's values, encoded so that bytes order as SQLite orders them
	key  resourceKey
	gen  int
}

// pkCols are, per table, the positions in indexColumns of its primary key's columns.
var pkCols = [nTables][]int{
	tTokens:  {0, 1, 2, 4, 3},
	tTexts:   {0, 1, 2, 3},
	tStrings: {0, 1, 2, 3, 4},
	tDates:   {0, 1, 2, 3, 4},
	tNumbers: {0, 1, 2, 3, 4, 5},
	tRefs:    {0, 1, 2, 3, 4, 5},
	tURIs:    {0, 1, 2, 3},
}

type insertShape struct{ table, rows int }

type tokenRow struct{ param, code, system string }

func newIndexer(ctx context.Context, conn *sql.Conn) (*indexer, error) {
	ix := &indexer{conn: conn, inserts: map[insertShape]*sql.Stmt{}}
	for _, t := range indexTables {
		stmt, err := conn.PrepareContext(ctx, clearSQL(t))
		if err != nil {
			ix.close()
			return nil, err
		}
		ix.clear = append(ix.clear, stmt)
	}
	return ix, nil
}

// clearSQL deletes the rows of one resource from index table t. INDEXED BY: without it
// SQLite 3.54 deletes a resource's tokens rows by walking every tokens row of its type (the
// primary key's type prefix): 100 ms per update of a Patient at 100,000 people.
func clearSQL(t string) string {
	return `DELETE FROM ` + t + ` INDEXED BY ` + t + `_resource WHERE type = ? AND id = ?`
}

func (ix *indexer) close() error {
	var errs []error
	for _, s := range ix.clear {
		errs = append(errs, s.Close())
	}
	for _, s := range ix.inserts {
		errs = append(errs, s.Close())
	}
	for _, s := range ix.deletes {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

// remove deletes every entry of typ/id (and forgets any it queued).
func (ix *indexer) remove(ctx context.Context, typ, id string) error {
	ix.forget(typ, id)
	for _, s := range ix.clear {
		if _, err := s.ExecContext(ctx, typ, id); err != nil {
			return err
		}
	}
	return nil
}

// add writes the entries of the version of typ/id last updated at lastUpdated. Entries
// of _id and _lastUpdated are the store's own: _id is not indexed, _lastUpdated is the
// stamped instant whatever the client's JSON said.
func (ix *indexer) add(ctx context.Context, typ, id string, lastUpdated time.Time, entries []search.Entry) error {
	ix.build(typ, id, lastUpdated, entries)
	if ix.deferred {
		ix.queue(typ, id)
		return nil
	}
	for t, vals := range ix.rows {
		if err := ix.insert(ctx, t, vals); err != nil {
			return err
		}
	}
	return nil
}

// build makes, in ix.rows, the index rows of the version of typ/id last updated at
// lastUpdated with entries.
func (ix *indexer) build(typ, id string, lastUpdated time.Time, entries []search.Entry) {
	for t := range ix.rows {
		ix.rows[t] = ix.rows[t][:0]
	}
	ix.tokenRows = ix.tokenRows[:0]
	for i := range entries {
		if e := &entries[i]; e.Param != "_id" && e.Param != "_lastUpdated" {
			ix.entry(typ, id, e)
		}
	}
	if p := search.LookupParam(typ, "_lastUpdated"); p != nil {
		stamped := map[string]any{"meta": map[string]any{"lastUpdated": fhir.FormatInstant(lastUpdated)}}
		for _, e := range p.Extract(stamped) {
			ix.rows[tDates] = append(ix.rows[tDates], typ, e.Param, e.Low, e.High, id)
		}
	}
	ix.tokens(typ, id)
}

// startDeferred puts the indexer in deferred mode until flush.
func (ix *indexer) startDeferred() {
	ix.deferred, ix.latest, ix.gen = true, map[resourceKey]int{}, 0
	for t := range ix.queued {
		ix.queued[t] = ix.queued[t][:0]
	}
}

// queue moves the rows add made for typ/id to the deferred queue, superseding any queued
// for an earlier version of the same resource in this transaction.
func (ix *indexer) queue(typ, id string) {
	key := resourceKey{typ, id}
	ix.gen++
	ix.latest[key] = ix.gen
	for t, vals := range ix.rows {
		cols := strings.Count(indexColumns[t], ",") + 1
		for len(vals) > 0 {
			row := slices.Clone(vals[:cols])
			ix.queued[t] = append(ix.queued[t], queuedRow{vals: row, sort: rowOrder(t, row), key: key, gen: ix.gen})
			vals = vals[cols:]
		}
	}
}

// forget drops the queued rows of typ/id (its version is being replaced or deleted).
func (ix *indexer) forget(typ, id string) {
	if ix.deferred {
		ix.gen++
		ix.latest[resourceKey{typ, id}] = ix.gen // no queued row has this generation
	}
}

// flush writes the queued rows of each resource's last version, table by table in
// primary-key order, and leaves deferred mode.
func (ix *indexer) flush(ctx context.Context) error {
	ix.deferred = false
	for t := range ix.queued {
		rows := ix.queued[t][:0]
		for _, r := range ix.queued[t] {
			if ix.latest[r.key] == r.gen {
				rows = append(rows, r)
			}
		}
		slices.SortFunc(rows, func(a, b queuedRow) int { return strings.Compare(a.sort, b.sort) })
		vals := ix.rows[t][:0]
		for i, r := range rows {
			if i > 0 && rows[i-1].sort == r.sort {
				continue // the same entry twice (INSERT OR IGNORE would drop it too)
			}
			vals = append(vals, r.vals...)
		}
		ix.rows[t] = vals
		if err := ix.insert(ctx, t, vals); err != nil {
			return err
		}
		clear(ix.queued[t])
		ix.queued[t] = ix.queued[t][:0]
	}
	ix.latest = nil
	return nil
}

// discard leaves deferred mode without writing (the transaction failed).
func (ix *indexer) discard() {
	ix.deferred, ix.latest = false, nil
	for t := range ix.queued {
		clear(ix.queued[t])
		ix.queued[t] = ix.queued[t][:0]
	}
}

// rowOrder encodes the primary-key values of row (of table t) so that comparing keys as
// bytes orders rows as the table's primary key does: SQLite's BINARY collation is byte
// order, a string is followed by a 0 byte (so a prefix sorts first), numbers are 8
// big-endian bytes with the sign bit flipped (and a float's other bits too when negative).
// Sorting on one string instead of comparing []any column by column made the deferred
// index flush several times cheaper.
func rowOrder(t int, row []any) string {
	b := make([]byte, 0, 96)
	for _, c := range pkCols[t] {
		switch x := row[c].(type) {
		case string:
			b = append(b, x...)
			b = append(b, 0)
		case int64:
			b = binary.BigEndian.AppendUint64(b, uint64(x)^(1<<63))
		case int:
			b = binary.BigEndian.AppendUint64(b, uint64(int64(x))^(1<<63))
		case float64:
			u := math.Float64bits(x)
			if u>>63 == 1 {
				u = ^u
			} else {
				u |= 1 << 63
			}
			b = binary.BigEndian.AppendUint64(b, u)
		case bool:
			if x {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		}
	}
	return string(b)
}

// entry queues one entry for the table of its parameter's type.
func (ix *indexer) entry(typ, id string, e *search.Entry) {
	add := func(t int, vals ...any) { ix.rows[t] = append(ix.rows[t], vals...) }
	switch e.Kind(typ) {
	case search.TypeString:
		add(tStrings, typ, e.Param, e.Text, e.Code, id)
		return
	case search.TypeURI:
		add(tURIs, typ, e.Param, e.Code, id)
		return
	case search.TypeDate:
		add(tDates, typ, e.Param, e.Low, e.High, id)
		return
	case search.TypeNumber, search.TypeQuantity:
		add(tNumbers, typ, e.Param, e.Number, e.Code, e.System, id, e.NumLow, e.NumHigh)
		return
	case search.TypeReference:
		switch {
		case e.RefType != "" && e.RefID != "":
			add(tRefs, typ, e.Param, e.RefID, e.RefType, "", id)
		case e.URL != "":
			add(tRefs, typ, e.Param, "", "", e.URL, id)
		case e.System != "" || e.Code != "": // the Reference.identifier
			ix.tokenRows = append(ix.tokenRows, tokenRow{e.Param, e.Code, e.System})
		}
	default: // token
		if strings.HasSuffix(e.Param, search.OfTypeSuffix) {
			ix.tokenRows = append(ix.tokenRows, tokenRow{e.Param, e.Text, ofTypeKey(e.System, e.Code)})
			return
		}
		ix.tokenRows = append(ix.tokenRows, tokenRow{e.Param, e.Code, e.System})
	}
	if e.Text != "" {
		add(tTexts, typ, e.Param, e.Text, id)
	}
}

// tokens queues the token rows collected by entry, without repeats, marking dup on every
// row whose code the resource also has for the parameter in a lesser system.
func (ix *indexer) tokens(typ, id string) {
	rows := ix.tokenRows
	slices.SortFunc(rows, func(a, b tokenRow) int {
		if c := strings.Compare(a.param, b.param); c != 0 {
			return c
		}
		if c := strings.Compare(a.code, b.code); c != 0 {
			return c
		}
		return strings.Compare(a.system, b.system)
	})
	for i, r := range rows {
		if i > 0 && r == rows[i-1] {
			continue
		}
		dup := i > 0 && r.param == rows[i-1].param && r.code == rows[i-1].code
		ix.rows[tTokens] = append(ix.rows[tTokens], typ, r.param, r.code, r.system, id, dup)
	}
}

// insert writes the rows of table t whose values are vals, maxInsertRows at a time.
func (ix *indexer) insert(ctx context.Context, t int, vals []any) error {
	cols := strings.Count(indexColumns[t], ",") + 1
	for len(vals) > 0 {
		n := min(len(vals)/cols, maxInsertRows)
		stmt, err := ix.insertStmt(ctx, t, n)
		if err != nil {
			return err
		}
		if _, err := stmt.ExecContext(ctx, vals[:n*cols]...); err != nil {
			return err
		}
		vals = vals[n*cols:]
	}
	return nil
}

// insertStmt returns the INSERT of n rows into table t, preparing it the first time.
// Rows already there are ignored: a resource may give the same entry twice.
func (ix *indexer) insertStmt(ctx context.Context, t, n int) (*sql.Stmt, error) {
	if stmt, ok := ix.inserts[insertShape{t, n}]; ok {
		return stmt, nil
	}
	row := "(" + placeholders(strings.Count(indexColumns[t], ",")+1) + ")"
	q := "INSERT OR IGNORE INTO " + indexTables[t] + " (" + indexColumns[t] + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
	stmt, err := ix.conn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	ix.inserts[insertShape{t, n}] = stmt
	return stmt, nil
}
