package store

import (
	"context"
	"fmt"
	"time"

	"github.com/nimsproject/nims/fhir/search"
)

// Record is one version of one resource.
type Record struct {
	Type        string
	ID          string
	Version     int64
	LastUpdated time.Time // truncated to the millisecond, UTC
	Deleted     bool      // a deletion marker; JSON is nil
	JSON        []byte    // the stamped resource (id and meta set by the store)
	Seq         int64     // position in the store's change log (see Changes)
	Op          OpKind    // the kind of op that wrote this version (0 when not recorded)
	Created     bool      // this version made the resource exist: a create or re-creation
}

// OpKind says what an Op does.
type OpKind uint8

const (
	OpCreate OpKind = iota + 1
	OpUpdate
	OpDelete
)

// UniqueKey is a business key the new version claims, e.g.
// "Patient|https://fhir.nhs.uk/Id/nhs-number|9000000009". While any live resource holds a
// key, no other resource may claim it. Diagnostics is what the client is told on a clash.
type UniqueKey struct {
	Key         string
	Diagnostics string
}

// Op is one write. The store applies it atomically: the condition, the uniqueness checks,
// the new version, its index entries, its change-log entry and the idempotency record are
// written in one transaction or not at all.
type Op struct {
	Kind OpKind
	Type string
	// ID: for OpCreate, the id to assign (the caller generates it); for OpUpdate and
	// OpDelete, the target. With Condition set, ID is used only if the update creates.
	ID string
	// JSON is the compact resource for OpCreate and OpUpdate; the store sets id and meta.
	JSON []byte
	// Entries are the search index entries extracted from JSON.
	Entries []search.Entry
	// Unique are the business keys the new version claims.
	Unique []UniqueKey
	// IfMatch, when positive, is the version the current resource must have.
	IfMatch int64
	// IfNoneExist, for OpCreate: when a live resource matches, nothing is written and the
	// result is that resource with Outcome Existing. More than one match fails.
	IfNoneExist *search.Query
	// Condition, for OpUpdate and OpDelete: the target is the one live resource that
	// matches instead of ID.
	Condition *search.Query
	// ClientID says ID is the resource's own id, sent by the client. With a Condition, a
	// match with another id is then KindInvalid (FHIR: the ids must agree).
	ClientID bool
	// RequestKey, when set, makes the op idempotent: if an op with the same key was
	// applied before, nothing is written and its first Result is returned with Replayed.
	RequestKey string
	// FullURL, in a Transaction, is the name other ops' references may use for the
	// resource this op writes (a transaction entry's fullUrl, e.g. urn:uuid:…).
	FullURL string
	// SkipUnchanged, for OpUpdate: when the live current version already holds exactly
	// this JSON (id and meta aside), nothing is written and the result is that version
	// with Outcome NoOp. Loads and feeds replayed after a crash, or sent twice, then
	// change nothing.
	SkipUnchanged bool
}

// OpError is the failure of a Transaction at one of its ops: Index is the op's position
// in the ops given, Err the error (a *fhir.Error for the client's mistakes).
type OpError struct {
	Index int
	Err   error
}

func (e *OpError) Error() string { return fmt.Sprintf("op %d: %v", e.Index, e.Err) }
func (e *OpError) Unwrap() error { return e.Err }

// Outcome says what an applied Op did.
type Outcome uint8

const (
	Created  Outcome = iota + 1 // a new resource (or a re-creation after delete)
	Updated                     // a new version of an existing resource
	Deleted                     // a deletion marker was written
	Existing                    // conditional create matched; nothing was written
	NoOp                        // delete of an absent or already deleted resource
)

// Result is what Apply did. Record is the version written, or for Existing the match;
// for NoOp it is the zero Record, or the deletion marker when the resource was deleted.
type Result struct {
	Outcome  Outcome
	Record   Record
	Replayed bool
}

// MaxIncluded bounds the resources _include and _revinclude add to one page.
const MaxIncluded = 1000

// SearchResult is one page of a search.
type SearchResult struct {
	Records   []Record // the matches on this page, in order
	Included  []Record // what _include/_revinclude reached from them, de-duplicated
	Truncated bool     // Included was capped at MaxIncluded
	Next      string   // cursor of the next page; empty on the last page
	Total     int64    // number of matches (q.Total), -1 when not counted
}

// HistoryQuery selects versions: of one resource (Type and ID), of a type (Type), or of
// the whole system (neither).
type HistoryQuery struct {
	Type   string
	ID     string
	Since  time.Time // only versions last updated at or after Since; zero means all
	Count  int       // page size, > 0
	Cursor string    // from a previous page's Next; empty for the first page
}

// HistoryPage is one page of history, newest first. Next is empty on the last page.
// Pages stay consistent while writes continue: a version is never shown twice or skipped.
type HistoryPage struct {
	Records []Record
	Next    string
}

// Store is a NIMS database. Every method returns *fhir.Error values; the kinds each can
// return are listed. Any method may also return KindInternal or KindUnavailable.
type Store interface {
	// Jobs keeps long-running work: imports, exports, invitation runs (jobs.go).
	Jobs

	// Apply performs one write atomically.
	//   OpCreate: Created, or Existing when IfNoneExist matched one resource.
	//   OpUpdate: Updated, or Created when the id (or condition) found no live resource.
	//   OpDelete: Deleted, or NoOp when the resource is absent or already deleted.
	// Errors: KindPreconditionFailed (IfMatch differs; a condition matched several),
	// KindUnprocessable with issue code "duplicate" (a unique key is held by another live
	// resource), KindConflict (OpCreate with an id already in use), KindNotFound (IfMatch
	// on a resource that does not exist).
	// An id is in use while any version of it exists, a deletion included: only an update
	// re-creates a deleted resource, continuing its version numbers. IfMatch is compared
	// with the latest version, a deletion marker included. A conditional update that
	// matches nothing creates the resource with ID, or fails with KindConflict when ID
	// names a live resource (which therefore does not match). When ctx ends before the op
	// is started nothing is written, and the error wraps ctx.Err().
	Apply(ctx context.Context, op Op) (Result, error)

	// Read returns the current version. KindNotFound if the resource never existed;
	// KindGone if its current version is a deletion (the marker is returned too).
	Read(ctx context.Context, typ, id string) (Record, error)

	// VRead returns one version. KindNotFound if it does not exist; KindGone (with the
	// marker) when that version is a deletion.
	VRead(ctx context.Context, typ, id string, version int64) (Record, error)

	// History returns versions newest first. KindInvalid for a cursor it did not issue
	// (for this query) or a Count below 1.
	History(ctx context.Context, q HistoryQuery) (HistoryPage, error)

	// Search runs a parsed query: the live resources of q.Type passing every filter
	// (q.Filters, chains and _has resolved inside the store), ordered by
	// q.Sort then by id, one page of q.Count starting after q.Cursor; the resources
	// q.Include and q.RevInclude reach from that page (capped at MaxIncluded, Truncated
	// set when capped); and Total as q.Total asks (-1 when not counted). With
	// q.Summary == SummaryCount only Total is computed. The semantics are search.MatchWith,
	// search.Less and search.Includes: storetest checks every backend against them.
	// Errors: KindInvalid for a cursor it did not issue for this query.
	Search(ctx context.Context, q *search.Query) (SearchResult, error)

	// Transaction applies ops as one: all of them, in order, or none (the first failure
	// is returned and nothing is written). Before any op runs, each op with a FullURL is
	// bound to the resource it will write (a conditional create to its match, a
	// conditional update to its target, else Type/ID), and every reference in every op's
	// JSON to a bound FullURL, or of the conditional form Type?criteria (which must have
	// exactly one live match: KindPreconditionFailed otherwise), is rewritten to Type/id,
	// the op's index entries following. An unbound urn: reference is KindInvalid.
	// Results are in the order of ops.
	Transaction(ctx context.Context, ops []Op) ([]Result, error)

	// Reindex rebuilds the search index entries of every current version of typ (all
	// types when empty) from the parameter table, reporting progress; for when the table
	// changes. Writes continue meanwhile.
	Reindex(ctx context.Context, typ string, progress func(done int)) error

	// Changes returns the change log after position seq, oldest first, at most limit
	// entries: every create, update and delete in commit order (an outbox for feeds and
	// subscriptions). None when limit < 1.
	Changes(ctx context.Context, afterSeq int64, limit int) ([]Record, error)

	// Ping reports whether the store can serve requests.
	Ping(ctx context.Context) error

	// Close waits for writes in flight and releases the store.
	Close() error
}
