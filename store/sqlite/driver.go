package sqlite

// The SQLite driver, chosen by benchmark. Both candidates ran the same store code
// (BenchmarkCreate: durable creates from 16 concurrent callers, each acknowledged after
// its group's fsync; BenchmarkRead: Read by id from 16 callers over 20,000 resources) on
// the project's 2-core machine, in alternating runs (6 of creates, 5 of reads) while
// other work shared the machine, hence the wide ranges:
//
//	                            creates/s              reads/s                 CPU µs per
//	                            median (range)         median (range)          create  read
//	modernc.org/sqlite v1.62.0  7,200 (6,600–8,300)    51,600 (5,600–75,300)   114     28
//	mattn/go-sqlite3 v1.14.53   7,750 (6,750–8,650)    21,200 (7,600–36,300)   106     38
//
// Timed on the writer alone (groups of 100 creates, no concurrent callers), both drivers
// cost the same: about 70 µs of writer time per create.
//
// mattn is about 7 % ahead on creates, inside the run-to-run noise and within the 10 %
// that the pure-Go driver is allowed; modernc reads cost a quarter less CPU (mattn pays
// a cgo call per step and a goroutine per query to watch its context). modernc needs no
// cgo and no C toolchain in CI or cross-builds. So: modernc.

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"net/url"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/nimsproject/nims/fhir/search"
)

// nims_text_matches(text, query) is search.TextMatches, the word-prefix rule of token and
// reference :text, registered once for every connection the driver opens: the compiler
// calls the reference function rather than copying its rules into SQL.
func init() {
	sqlite.MustRegisterDeterministicScalarFunction("nims_text_matches", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		text, _ := args[0].(string)
		query, _ := args[1].(string)
		return search.TextMatches(text, query), nil
	})
}

// openDB opens a pool on the SQLite URI; every new connection runs pragmas first.
func openDB(uri string, pragmas []string) *sql.DB {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	db, _ := sql.Open("sqlite", uri+sep+q.Encode()) // fails only for an unknown driver name
	return db
}

// isBusy reports whether err means the database was locked by another process.
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	c := se.Code() & 0xff
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}
