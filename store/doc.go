// Package store defines what NIMS needs from a database: versioned records, their index
// entries, atomic conditional writes, history, an ordered change log, and search by a
// compiled query. Backends live in subpackages (sqlite, later mongo); storetest is the one
// behaviour suite all of them pass.
//
// It imports fhir and fhir/search only; never api, auth or HTTP libraries.
package store
