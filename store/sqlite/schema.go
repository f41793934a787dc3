package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations[i] takes the schema from version i to i+1. Append only: a released
// migration is never edited, since databases in the field have already run it.
var migrations = []string{
	// 1: versions is the history and the change log (seq is the outbox position, never
	// reused: AUTOINCREMENT); resources points at each resource's current version; tokens
	// indexes the current live versions; unique_keys holds the business keys of live
	// resources; requests remembers the results of idempotent ops.
	`
CREATE TABLE versions (
	seq          INTEGER PRIMARY KEY AUTOINCREMENT,
	type         TEXT    NOT NULL,
	id           TEXT    NOT NULL,
	version      INTEGER NOT NULL,
	last_updated INTEGER NOT NULL, -- Unix milliseconds, UTC
	deleted      INTEGER NOT NULL,
	json         BLOB              -- NULL for a deletion marker
);
CREATE UNIQUE INDEX versions_resource ON versions (type, id, version);
CREATE INDEX versions_type ON versions (type, seq);

CREATE TABLE resources (
	type    TEXT    NOT NULL,
	id      TEXT    NOT NULL,
	version INTEGER NOT NULL,
	seq     INTEGER NOT NULL,
	deleted INTEGER NOT NULL,
	PRIMARY KEY (type, id)
) WITHOUT ROWID;

-- code before system: "identifier=system|value" and "identifier=value" are both a prefix
-- lookup; "identifier=system|" scans the parameter's entries of the type.
CREATE TABLE tokens (
	type   TEXT NOT NULL,
	param  TEXT NOT NULL,
	code   TEXT NOT NULL,
	system TEXT NOT NULL,
	id     TEXT NOT NULL,
	PRIMARY KEY (type, param, code, system, id)
) WITHOUT ROWID;
CREATE INDEX tokens_resource ON tokens (type, id);

CREATE TABLE unique_keys (
	key  TEXT NOT NULL PRIMARY KEY,
	type TEXT NOT NULL,
	id   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX unique_keys_resource ON unique_keys (type, id);

CREATE TABLE requests (
	key     TEXT    NOT NULL PRIMARY KEY,
	outcome INTEGER NOT NULL,
	seq     INTEGER NOT NULL, -- the version the result names; 0 for none
	created INTEGER NOT NULL  -- Unix milliseconds
) WITHOUT ROWID;
CREATE INDEX requests_created ON requests (created);
`,
	// 2: how records the interaction that wrote each version, for history entries:
	// 10·OpKind + 1 when the version made the resource exist (a create or re-creation).
	// Versions written before it read 0, and history falls back to guessing.
	`ALTER TABLE versions ADD COLUMN how INTEGER NOT NULL DEFAULT 0;`,
	// 3: the search index of every parameter of the table (index.go), rebuilt from the
	// current versions by migrationHooks[3]. tokens is recreated with id before system so
	// that "code" (any system) streams in id order.
	indexSchema,
	// 4: no schema change: the index gained entries (the identifiers of contained
	// resources a reference names, for patient.identifier on NHS records), so
	// migrationHooks[4] rebuilds it.
	`SELECT 1`,
	// 5: jobs (store.Jobs): long-running work and the leases on it. key is NULL when a
	// job has none (SQLite's UNIQUE lets NULLs repeat); rows are never deleted, so a key
	// stays taken. Instants are Unix milliseconds, 0 for none.
	`
CREATE TABLE jobs (
	id          TEXT    NOT NULL PRIMARY KEY,
	kind        TEXT    NOT NULL,
	state       TEXT    NOT NULL,
	key         TEXT    UNIQUE,
	client      TEXT    NOT NULL,
	request     BLOB,
	progress    BLOB,
	cursor      BLOB,
	result      BLOB,
	error       TEXT    NOT NULL,
	owner       TEXT    NOT NULL,
	lease_until INTEGER NOT NULL,
	lease_ms    INTEGER NOT NULL, -- the lease ClaimJob gave, for UpdateJob's renewals
	attempts    INTEGER NOT NULL,
	created     INTEGER NOT NULL,
	updated     INTEGER NOT NULL
);
CREATE INDEX jobs_claim ON jobs (kind, state, created, id);
`,
}

// migrationHooks[v] runs after migration v's SQL, in the same transaction: work that
// needs Go, such as extracting index entries from the stored JSON.
var migrationHooks = map[int]func(ctx context.Context, conn *sql.Conn) error{
	3: reindexAll,
	4: reindexAll,
}

// migrate brings the schema up to date in one immediate transaction, so that two
// processes opening a new database at once cannot both run a migration.
func migrate(ctx context.Context, conn *sql.Conn) (err error) {
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			conn.ExecContext(context.Background(), `ROLLBACK`)
		}
	}()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	var have int
	err = conn.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&have)
	if err == sql.ErrNoRows {
		_, err = conn.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`)
	}
	if err != nil {
		return err
	}
	if have > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this program's %d", have, len(migrations))
	}
	for v := have; v < len(migrations); v++ {
		if _, err := conn.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		if hook := migrationHooks[v+1]; hook != nil {
			if err := hook(ctx, conn); err != nil {
				return fmt.Errorf("migration %d: %w", v+1, err)
			}
		}
	}
	if _, err := conn.ExecContext(ctx, `UPDATE schema_version SET version = ?`, len(migrations)); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, `COMMIT`)
	return err
}
