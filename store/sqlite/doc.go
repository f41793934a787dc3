// Package sqlite is the embedded store.Store: one SQLite file (dir/nims.db) in WAL mode,
// durable at every acknowledged write, with group commit so that concurrent writers
// share each fsync. schema.go holds the schema and its migrations; write.go the group
// commit, apply.go the semantics of each op and writer.go its statements; read.go the
// reads by id and history, cursor.go the history and search cursors and driver.go the
// SQLite driver, chosen by benchmark.
//
// Search: index.go is the search index (one table per kind of value, written in the
// transaction of each version) and reindex.go rebuilds it; compile.go and compile_*.go
// compile a search.Query to SQL, one small function per value type; plan.go chooses how
// to drive a query; search.go, search_sort.go and search_count.go run it, include.go
// follows _include and _revinclude, and snapshot.go keeps pages consistent while writes
// continue.
//
// It imports fhir, fhir/search and store; never api, auth or HTTP libraries.
package sqlite
