// Package search is FHIR search expressed once: the table of supported search parameters,
// parsing of a request into a typed Query, extraction of index entries from a resource at
// write time, and Match, the in-memory evaluation every store backend is tested against.
//
// It imports only fhir. Store backends compile a Query into their own language; they may
// assume a Query that Parse returned is valid.
package search
