// Package conformance builds the CapabilityStatement and other definitions from the same
// tables the code runs on (routes, resource types, search parameters, operations), so the
// server never claims more than it does. It imports no HTTP library.
package conformance
