// Package mongo is the store.Store for national scale: MongoDB (or any server speaking its
// wire protocol, FerretDB in the tests), shared by any number of stateless nims serve
// replicas. docs/SCALE.md is its design; this package follows it.
//
// Every write that must not race is linearised by inserting a document whose _id is the
// thing that must be unique: the next version of a resource (versions), a business key
// (keys), a conditional create's criteria (conds), a change-log position (changes), an
// idempotency key (requests), a job's dedupe key and a lease (jobs.go). An _id insert is
// atomic on a standalone server, on a sharded cluster and on FerretDB, which has no
// multi-document transactions and whose conditional updates are not atomic. Nothing here
// needs a transaction or a change stream.
//
// Files: mongo.go opens the store, creates its collections and indexes (Migrate) and
// purges idempotency records; record.go the documents; write.go the protocol of one
// write and apply.go the semantics of each op; keys.go business keys, conds.go
// conditional creates, seq.go the change log, requests.go idempotent requests, guard.go
// guarded writes (atomic filters on MongoDB, checked in Go on FerretDB); transaction.go
// all-or-nothing Bundles without server transactions; read.go reads by id, history and
// the change log; reindex.go; index.go the index entries kept in each current document;
// compile*.go and search*.go searches (a filter that selects candidates, refined by
// search.Match), cursor.go their cursors, resolver.go and include.go chains and
// includes; jobs.go and jobs_steps.go the job queue and its leases.
//
// It imports fhir, fhir/search and store; never api, auth or HTTP libraries.
package mongo
