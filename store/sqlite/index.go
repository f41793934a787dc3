package sqlite

import "strings"

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

// ofTypeKey is the system column of an :of-type row: the type's system and code, each
// with \ and | escaped, joined by |.
func ofTypeKey(system, code string) string {
	return ofTypeEscaper.Replace(system) + "|" + ofTypeEscaper.Replace(code)
}

var ofTypeEscaper = strings.NewReplacer(`\`, `\\`, `|`, `\|`)
