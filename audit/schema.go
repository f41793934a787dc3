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
	// 1: segments is the chain. A segment is a run of consecutive events written in one
	// transaction: first and last are the seqs of its first and last event (seq is the
	// position, assigned by the writer, never reused), tmin and tmax the earliest and
	// latest event time (Unix milliseconds), data the events' bodies and hashes
	// (segment.go). segments_summary covers the columns that searches by time scan, so
	// that a scan never reads the bodies. segment_clients lists the clients of each
	// segment. patient_runs and patient_blocks are the patient index (index.go): each run
	// indexes the patients of the events run..last, in blocks of entries sorted by
	// patient, lo being a block's first patient. Verify checks all of them against the
	// bodies.
	`
CREATE TABLE segments (
	first INTEGER PRIMARY KEY,
	last  INTEGER NOT NULL,
	tmin  INTEGER NOT NULL,
	tmax  INTEGER NOT NULL,
	data  BLOB    NOT NULL
);
CREATE INDEX segments_summary ON segments (first, last, tmin, tmax);

CREATE TABLE segment_clients (
	client TEXT    NOT NULL,
	first  INTEGER NOT NULL,
	PRIMARY KEY (client, first)
) WITHOUT ROWID;

CREATE TABLE patient_runs (
	run  INTEGER PRIMARY KEY,
	last INTEGER NOT NULL
);

CREATE TABLE patient_blocks (
	run  INTEGER NOT NULL,
	lo   TEXT    NOT NULL,
	data BLOB    NOT NULL,
	PRIMARY KEY (run, lo)
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
