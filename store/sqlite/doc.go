// Package sqlite is the embedded store.Store: one SQLite file (dir/nims.db) in WAL mode,
// durable at every acknowledged write, with group commit so that concurrent writers
// share each fsync. schema.go holds the schema and its migrations; write.go the group
// commit, apply.go the semantics of each op and writer.go its statements; read.go the
// reads, compile.go the compilation of search queries to SQL, cursor.go history cursors
// and driver.go the SQLite driver, chosen by benchmark.
//
// It imports fhir, fhir/search and store; never api, auth or HTTP libraries.
package sqlite
