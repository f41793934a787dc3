// Command nims is the one NIMS binary: serve the API, and the operator's tools.
//
// It is the only place that wires concrete types together (store backend, HTTP server,
// logger). Nothing imports it.
package main
