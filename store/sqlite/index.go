package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
)

// The search index: the entries search.ExtractAll finds in the current version of every
// live resource, one table per kind of value. Each table is keyed (type, param, value…,
// id), so that a search value is one range of its primary key, and has an index
// (type, id, param) that tests one candidate and removes a resource's entries. Entries of
// replaced and deleted versions are removed in the transaction that replaces them, so an
// entry always names a live resource: an index range is a set of live matches.
//
// _id is not indexed: the compiler answers it from resources. _lastUpdated is indexed
// from the instant the store stamps, not from what the client sent.
const indexSchema = `
DROP TABLE tokens;

-- token values (code, system); an Identifier :of-type entry under "param:of-type" with
-- code the identifier's value and system ofTypeKey(type system, type code). id before
-- system: "code" (any system) is one range in id order. dup is 1 when the resource has
-- the same code for the parameter in a lesser system too, so that counting a code needs
-- no DISTINCT.
CREATE TABLE tokens (
	type   TEXT    NOT NULL,
	param  TEXT    NOT NULL,
	code   TEXT    NOT NULL,
	system TEXT    NOT NULL,
	id     TEXT    NOT NULL,
	dup    INTEGER NOT NULL,
	PRIMARY KEY (type, param, code, id, system)
) WITHOUT ROWID;
CREATE INDEX tokens_resource ON tokens (type, id, param);

-- normalised displays and texts of token and reference entries, for :text
CREATE TABLE texts (
	type  TEXT NOT NULL,
	param TEXT NOT NULL,
	text  TEXT NOT NULL,
	id    TEXT NOT NULL,
	PRIMARY KEY (type, param, text, id)
) WITHOUT ROWID;
CREATE INDEX texts_resource ON texts (type, id, param);

-- string values: text normalised (starts-with is a range), value as written (:exact)
CREATE TABLE strings (
	type  TEXT NOT NULL,
	param TEXT NOT NULL,
	text  TEXT NOT NULL,
	value TEXT NOT NULL,
	id    TEXT NOT NULL,
	PRIMARY KEY (type, param, text, value, id)
) WITHOUT ROWID;
CREATE INDEX strings_resource ON strings (type, id, param);

-- date ranges [low, high) in Unix ms; a prefix is a range of low or of high
CREATE TABLE dates (
	type  TEXT    NOT NULL,
	param TEXT    NOT NULL,
	low   INTEGER NOT NULL,
	high  INTEGER NOT NULL,
	id    TEXT    NOT NULL,
	PRIMARY KEY (type, param, low, high, id)
) WITHOUT ROWID;
CREATE INDEX dates_high ON dates (type, param, high);
CREATE INDEX dates_resource ON dates (type, id, param);

-- numbers and quantities (unit as code and system; '' for numbers); numlow and numhigh
-- are the precision range of the value as written
CREATE TABLE numbers (
	type    TEXT NOT NULL,
	param   TEXT NOT NULL,
	number  REAL NOT NULL,
	code    TEXT NOT NULL,
	system  TEXT NOT NULL,
	id      TEXT NOT NULL,
	numlow  REAL NOT NULL,
	numhigh REAL NOT NULL,
	PRIMARY KEY (type, param, number, code, system, id)
) WITHOUT ROWID;
CREATE INDEX numbers_resource ON numbers (type, id, param);

-- references: local (refid, reftype; url '') or absolute (url; refid and reftype '').
-- A Reference.identifier is a tokens entry of the same parameter.
CREATE TABLE refs (
	type    TEXT NOT NULL,
	param   TEXT NOT NULL,
	refid   TEXT NOT NULL,
	reftype TEXT NOT NULL,
	url     TEXT NOT NULL,
	id      TEXT NOT NULL,
	PRIMARY KEY (type, param, refid, reftype, url, id)
) WITHOUT ROWID;
CREATE INDEX refs_resource ON refs (type, id, param);

CREATE TABLE uris (
	type  TEXT NOT NULL,
	param TEXT NOT NULL,
	value TEXT NOT NULL,
	id    TEXT NOT NULL,
	PRIMARY KEY (type, param, value, id)
) WITHOUT ROWID;
CREATE INDEX uris_resource ON uris (type, id, param);
`

// indexTables are the tables of the search index.
var indexTables = []string{"tokens", "texts", "strings", "dates", "numbers", "refs", "uris"}

// indexer writes index entries through statements prepared on one connection: the
// writer's, or the migration's.
type indexer struct {
	clear                                    []*sql.Stmt // one per indexTables
	token, text, str, date, number, ref, uri *sql.Stmt
	all                                      []*sql.Stmt
	tokenRows                                []tokenRow // scratch of add
}

type tokenRow struct{ param, code, system string }

func newIndexer(ctx context.Context, conn *sql.Conn) (*indexer, error) {
	ix := &indexer{clear: make([]*sql.Stmt, len(indexTables))}
	specs := []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&ix.token, `INSERT OR IGNORE INTO tokens (type, param, code, system, id, dup) VALUES (?, ?, ?, ?, ?, ?)`},
		{&ix.text, `INSERT OR IGNORE INTO texts (type, param, text, id) VALUES (?, ?, ?, ?)`},
		{&ix.str, `INSERT OR IGNORE INTO strings (type, param, text, value, id) VALUES (?, ?, ?, ?, ?)`},
		{&ix.date, `INSERT OR IGNORE INTO dates (type, param, low, high, id) VALUES (?, ?, ?, ?, ?)`},
		{&ix.number, `INSERT OR IGNORE INTO numbers (type, param, number, code, system, id, numlow, numhigh) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`},
		{&ix.ref, `INSERT OR IGNORE INTO refs (type, param, refid, reftype, url, id) VALUES (?, ?, ?, ?, ?, ?)`},
		{&ix.uri, `INSERT OR IGNORE INTO uris (type, param, value, id) VALUES (?, ?, ?, ?)`},
	}
	for i, t := range indexTables {
		specs = append(specs, struct {
			stmt **sql.Stmt
			sql  string
		}{&ix.clear[i], `DELETE FROM ` + t + ` WHERE type = ? AND id = ?`})
	}
	for _, s := range specs {
		stmt, err := conn.PrepareContext(ctx, s.sql)
		if err != nil {
			ix.close()
			return nil, err
		}
		*s.stmt = stmt
		ix.all = append(ix.all, stmt)
	}
	return ix, nil
}

func (ix *indexer) close() error {
	var errs []error
	for _, s := range ix.all {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// remove deletes every entry of typ/id.
func (ix *indexer) remove(ctx context.Context, typ, id string) error {
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
	ix.tokenRows = ix.tokenRows[:0]
	for i := range entries {
		e := &entries[i]
		if e.Param == "_id" || e.Param == "_lastUpdated" {
			continue
		}
		if err := ix.entry(ctx, typ, id, e); err != nil {
			return err
		}
	}
	if p := search.LookupParam(typ, "_lastUpdated"); p != nil {
		stamped := map[string]any{"meta": map[string]any{"lastUpdated": fhir.FormatInstant(lastUpdated)}}
		for _, e := range p.Extract(stamped) {
			if _, err := ix.date.ExecContext(ctx, typ, e.Param, e.Low, e.High, id); err != nil {
				return err
			}
		}
	}
	return ix.flushTokens(ctx, typ, id)
}

// entry writes one entry to the table of its parameter's type.
func (ix *indexer) entry(ctx context.Context, typ, id string, e *search.Entry) error {
	exec := func(s *sql.Stmt, args ...any) error {
		_, err := s.ExecContext(ctx, args...)
		return err
	}
	switch entryKind(typ, e) {
	case search.TypeString:
		return exec(ix.str, typ, e.Param, e.Text, e.Code, id)
	case search.TypeURI:
		return exec(ix.uri, typ, e.Param, e.Code, id)
	case search.TypeDate:
		return exec(ix.date, typ, e.Param, e.Low, e.High, id)
	case search.TypeNumber, search.TypeQuantity:
		return exec(ix.number, typ, e.Param, e.Number, e.Code, e.System, id, e.NumLow, e.NumHigh)
	case search.TypeReference:
		switch {
		case e.RefType != "" && e.RefID != "":
			if err := exec(ix.ref, typ, e.Param, e.RefID, e.RefType, "", id); err != nil {
				return err
			}
		case e.URL != "":
			if err := exec(ix.ref, typ, e.Param, "", "", e.URL, id); err != nil {
				return err
			}
		case e.System != "" || e.Code != "": // the Reference.identifier
			ix.tokenRows = append(ix.tokenRows, tokenRow{e.Param, e.Code, e.System})
		}
	default: // token
		if strings.HasSuffix(e.Param, search.OfTypeSuffix) {
			ix.tokenRows = append(ix.tokenRows, tokenRow{e.Param, e.Text, ofTypeKey(e.System, e.Code)})
			return nil
		}
		ix.tokenRows = append(ix.tokenRows, tokenRow{e.Param, e.Code, e.System})
	}
	if e.Text != "" {
		return exec(ix.text, typ, e.Param, e.Text, id)
	}
	return nil
}

// flushTokens writes the token rows collected by entry, marking dup on every row whose
// code the resource also has for the parameter in a lesser system.
func (ix *indexer) flushTokens(ctx context.Context, typ, id string) error {
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
		if _, err := ix.token.ExecContext(ctx, typ, r.param, r.code, r.system, id, dup); err != nil {
			return err
		}
	}
	return nil
}

// entryKind is the type of the parameter an entry belongs to; for a name the table does
// not know, what the entry's fields say.
func entryKind(typ string, e *search.Entry) search.ParamType {
	if strings.HasSuffix(e.Param, search.OfTypeSuffix) {
		return search.TypeToken
	}
	if p := search.LookupParam(typ, e.Param); p != nil {
		return p.Type
	}
	switch {
	case e.RefID != "" || e.URL != "":
		return search.TypeReference
	case e.Low != 0 || e.High != 0:
		return search.TypeDate
	case e.Number != 0 || e.NumLow != 0 || e.NumHigh != 0:
		return search.TypeNumber
	}
	return search.TypeToken
}

// ofTypeKey is the system column of an :of-type row: the type's system and code, each
// with \ and | escaped, joined by |.
func ofTypeKey(system, code string) string {
	return ofTypeEscaper.Replace(system) + "|" + ofTypeEscaper.Replace(code)
}

var ofTypeEscaper = strings.NewReplacer(`\`, `\\`, `|`, `\|`)
