// Package storetest is the one behaviour suite every store.Store backend passes. A
// backend's test calls Run with a function that opens a fresh, empty store for one
// subtest (and closes it in t.Cleanup). The suite is the executable form of the comments
// in store/store.go; search results are checked against search.Match over the same
// fixtures, so a backend's query compiler cannot drift from the reference semantics.
//
// It imports fhir, fhir/search, store and testing; never a backend, api or HTTP libraries.
package storetest
