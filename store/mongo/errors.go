package mongo

import (
	"context"
	"errors"
	"strings"

	mdb "go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// translate makes err a *fhir.Error for the store's callers: the client's mistakes keep
// their kind, a server that cannot be reached is KindUnavailable, anything else internal.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	var oe *store.OpError
	if errors.As(err, &oe) {
		return &store.OpError{Index: oe.Index, Err: translate(op, oe.Err)}
	}
	var fe *fhir.Error
	if errors.As(err, &fe) {
		if fe.Op == "" {
			fe.Op = op
		}
		return fe
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fhir.Wrap(op, err)
	}
	if mdb.IsNetworkError(err) || mdb.IsTimeout(err) || errors.Is(err, mdb.ErrClientDisconnected) {
		return &fhir.Error{Kind: fhir.KindUnavailable, Op: op, Details: "MongoDB unavailable", Err: err,
			Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "transient", Diagnostics: "The database cannot be reached; retry later."}}}
	}
	return fhir.Wrap(op, err)
}

func unavailable(msg string) error {
	return &fhir.Error{Kind: fhir.KindUnavailable, Details: msg,
		Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "transient", Diagnostics: msg}}}
}

func invalid(op, msg string) error {
	return &fhir.Error{Kind: fhir.KindInvalid, Op: op, Details: msg,
		Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "invalid", Diagnostics: msg}}}
}

// isDup reports a duplicate key error: an _id (or unique key) already taken. FerretDB
// reports some as code 1 with the words of SQLite's constraint error.
func isDup(err error) bool {
	if err == nil {
		return false
	}
	if mdb.IsDuplicateKeyError(err) {
		return true
	}
	return strings.Contains(err.Error(), "E11000") || strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// redact drops credentials from a driver error that quotes the URI.
func redact(err error) string {
	s := err.Error()
	if i := strings.Index(s, "mongodb"); i >= 0 {
		if at := strings.Index(s[i:], "@"); at > 0 {
			if scheme := strings.Index(s[i:], "://"); scheme > 0 && scheme < at {
				s = s[:i+scheme+3] + "…" + s[i+at:]
			}
		}
	}
	return s
}
