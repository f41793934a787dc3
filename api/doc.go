// Package api is the HTTP face of NIMS: gin routes, handlers, middleware, content
// negotiation and the OpenAPI description. It is the only package that knows HTTP.
//
// Handlers parse a request, call one store or service method and write the answer; every
// body is read and written through encode.go, and every error becomes an OperationOutcome
// through errors.go. Nothing imports api except cmd/nims.
package api
