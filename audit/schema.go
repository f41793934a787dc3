package audit

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" driver, as in store/sqlite
)

// migrations[i] takes the schema from version i to i+1. Append only: a released
// migration is never edited, since logs in the field have already run it.
var migrations = []string{
	// 1: events is the chain (seq is the position, assigned by the writer, never reused;
	// time is Unix milliseconds, UTC; client, type and interaction repeat the body for
	// the indexes and are checked against it by Verify). event_patients indexes the
	// patients of each event.
	`
CREATE TABLE events (
	seq         INTEGER PRIMARY KEY,
	time        INTEGER NOT NULL,
	client      TEXT    NOT NULL,
	type        TEXT    NOT NULL,
	interaction TEXT    NOT NULL,
	body        BLOB    NOT NULL,
	prev        TEXT    NOT NULL,
	hash        TEXT    NOT NULL
);
CREATE INDEX events_client ON events (client, seq);
CREATE INDEX events_time ON events (time);

CREATE TABLE event_patients (
	patient TEXT    NOT NULL,
	seq     INTEGER NOT NULL,
	PRIMARY KEY (patient, seq)
) WITHOUT ROWID;
`,
}

// Pragmas as in store/sqlite: synchronous=FULL fsyncs the WAL at every commit, so an
// event reported durable survives power loss; the log's own file means its fsyncs never
// wait behind the resource writer's. Readers never block the writer (WAL).
var (
	writerPragmas = []string{"busy_timeout=10000", "journal_mode=WAL", "synchronous=FULL",
		"journal_size_limit=67108864", "temp_store=MEMORY", "cache_size=-16384"}
	readerPragmas = []string{"busy_timeout=10000", "query_only=1", "temp_store=MEMORY", "cache_size=-8192"}
)

// fileURI creates dir and, if absent, dir/audit.db readable by its owner only (SQLite
// gives the -wal and -shm files the same mode), and returns the file's SQLite URI.
func fileURI(dir string) (string, error) {
	abs, err := filepath.Abs(filepath.Join(dir, "audit.db"))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return "", err
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return "file:" + (&url.URL{Path: abs}).EscapedPath(), nil
}

// openDB opens a pool on the SQLite URI; every new connection runs pragmas first.
func openDB(uri string, pragmas []string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	return sql.Open("sqlite", uri+sep+q.Encode())
}

// migrate brings the schema on conn to the latest version, each step in a transaction.
func migrate(ctx context.Context, conn *sql.Conn) error {
	var v int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("audit.db has schema version %d, newer than this program's %d", v, len(migrations))
	}
	for ; v < len(migrations); v++ {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback()
			return err
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
