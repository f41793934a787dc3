// Package fhir holds what NIMS knows about FHIR R4 itself: decoding and canonical
// encoding of resources (lossless: the client's JSON is kept, never round-tripped through
// structs), validation against the R4 structure definitions and the NHS rules, the error
// type every layer returns, and NHS identifiers and code systems.
//
// It imports no other NIMS package: everything else stands on it.
package fhir
