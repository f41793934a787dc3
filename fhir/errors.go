package fhir

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error by what the caller should do about it. The api package maps
// each Kind to one HTTP status. Append only: the values are compared, never persisted,
// but keeping the order stable keeps the table in api readable.
type Kind uint8

const (
	KindInternal           Kind = iota // 500: a fault of ours; details are logged, not shown
	KindInvalid                        // 400: malformed request or resource
	KindUnauthorized                   // 401: no or bad credentials
	KindForbidden                      // 403: authenticated but not allowed
	KindNotFound                       // 404: no such resource or route
	KindMethodNotAllowed               // 405
	KindNotAcceptable                  // 406: cannot produce the requested format
	KindConflict                       // 409: version conflict without If-Match, id clash
	KindGone                           // 410: the resource was deleted
	KindPreconditionFailed             // 412: If-Match mismatch, ambiguous conditional
	KindTooLarge                       // 413: request body over the limit
	KindUnsupportedMedia               // 415: body in a format we do not read
	KindUnprocessable                  // 422: business rule, e.g. duplicate business identifier
	KindNotImplemented                 // 501: recognised but not supported
	KindUnavailable                    // 503: store unreachable, shutting down
	KindTooManyRequests                // 429: the client's rate limit is spent
)

var kindNames = [...]string{
	"internal", "invalid", "unauthorized", "forbidden", "not-found", "method-not-allowed",
	"not-acceptable", "conflict", "gone", "precondition-failed", "too-large",
	"unsupported-media", "unprocessable", "not-implemented", "unavailable", "too-many-requests",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Severity of an OperationOutcome issue.
type Severity uint8

const (
	SeverityError Severity = iota
	SeverityFatal
	SeverityWarning
	SeverityInformation
)

func (s Severity) String() string {
	switch s {
	case SeverityFatal:
		return "fatal"
	case SeverityWarning:
		return "warning"
	case SeverityInformation:
		return "information"
	}
	return "error"
}

// Issue is one OperationOutcome.issue. Code is a code from
// http://hl7.org/fhir/ValueSet/issue-type ("invalid", "structure", "required", "value",
// "invariant", "duplicate", "not-found", "deleted", "conflict", "not-supported", "too-long",
// "security", "forbidden", "exception", "processing", "business-rule", "informational", …).
// Diagnostics may quote client data: it goes to the response only, never to logs.
type Issue struct {
	Severity    Severity
	Code        string
	Diagnostics string
	Expression  []string
}

// Error is the one error type of NIMS. Details is safe to log (no patient data, no client
// values); Issues go to the client as an OperationOutcome.
type Error struct {
	Kind    Kind
	Op      string // what failed, e.g. "sqlite.Apply", "api.create"
	Details string // loggable
	Issues  []Issue
	Err     error // cause, logged, never shown
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	if e.Details != "" {
		b.WriteString(": ")
		b.WriteString(e.Details)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with one error-severity issue. The formatted text becomes the
// issue's diagnostics; details (loggable) is the format string itself, which by convention
// carries no client values.
func Errorf(kind Kind, code, expression, format string, args ...any) *Error {
	var expr []string
	if expression != "" {
		expr = []string{expression}
	}
	return &Error{
		Kind:    kind,
		Details: format,
		Issues:  []Issue{{Severity: SeverityError, Code: code, Diagnostics: fmt.Sprintf(format, args...), Expression: expr}},
	}
}

// Wrap returns an internal error for a cause from a library or driver. The cause is logged;
// the client sees a generic message.
func Wrap(op string, err error) *Error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	return &Error{Kind: KindInternal, Op: op, Err: err,
		Issues: []Issue{{Severity: SeverityError, Code: "exception", Diagnostics: "Unable to process request. Issue may be transient."}}}
}

// KindOf returns the Kind of err, KindInternal for errors that are not *Error.
func KindOf(err error) Kind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return KindInternal
}

// DataFault reports whether err is a *Error about the data it was given (one line, row or
// record of a load: the rest may go on) rather than about the server (internal, or
// unavailable: the load must stop). An error of another type is the server's.
func DataFault(err error) bool {
	var fe *Error
	return errors.As(err, &fe) && fe.Kind != KindInternal && fe.Kind != KindUnavailable
}

// Issues collects problems while checking a request so that all of them are reported at
// once (a client fixing a resource should not have to resubmit once per mistake).
type Issues []Issue

// Add records an error-severity issue.
func (is *Issues) Add(code, expression, format string, args ...any) {
	var expr []string
	if expression != "" {
		expr = []string{expression}
	}
	*is = append(*is, Issue{Severity: SeverityError, Code: code, Diagnostics: fmt.Sprintf(format, args...), Expression: expr})
}

// Err returns nil when no error-severity issue was recorded, else an Error of kind.
func (is Issues) Err(kind Kind, details string) error {
	for _, i := range is {
		if i.Severity == SeverityError || i.Severity == SeverityFatal {
			return &Error{Kind: kind, Details: details, Issues: is}
		}
	}
	return nil
}
