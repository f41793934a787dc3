package store

import (
	"context"
	"time"
)

// JobState is where a job stands. A job is created queued; ClaimJob makes it running;
// its owner ends it completed or failed (or gives it back queued); DeleteJob cancels it
// from any state. completed, failed and cancelled are final.
type JobState string

const (
	JobQueued    JobState = "queued"
	JobRunning   JobState = "running"
	JobCompleted JobState = "completed"
	JobFailed    JobState = "failed"
	JobCancelled JobState = "cancelled"
)

// Final reports whether no worker will touch a job in state s again.
func (s JobState) Final() bool {
	return s == JobCompleted || s == JobFailed || s == JobCancelled
}

// Job is a piece of long-running work kept in the store (see DESIGN.md, "Long-running
// work"): it survives a restart, and a worker holds it by a lease that another takes over
// when it expires. The byte fields are opaque to the store: each Kind's package defines
// their JSON.
type Job struct {
	ID     string   // chosen by the caller of CreateJob
	Kind   string   // what to do, e.g. "import"; ClaimJob selects by it
	State  JobState //
	Key    string   // dedupe key, "" for none: no two jobs ever share one
	Client string   // the client that asked for it, for authorising reads of its status

	Request  []byte // what was asked (JSON), set at creation
	Progress []byte // how far it is, for status reads
	Cursor   []byte // where to resume, for the next owner
	Result   []byte // the outcome, when completed
	Error    string // why it failed; shown to the client, so no internals

	Owner      string    // the worker holding the lease ("" when none)
	LeaseUntil time.Time // when the lease expires (zero when none)
	Attempts   int       // how many times it was claimed
	Created    time.Time // UTC, to the millisecond
	Updated    time.Time
}

// Jobs is the part of Store that keeps jobs. Instants come from the store's clock, so
// leases are judged by one clock whatever the workers' clocks say. Every method returns
// *fhir.Error values, and may also return KindInternal or KindUnavailable.
type Jobs interface {
	// CreateJob stores j as a new queued job (Owner, LeaseUntil, Attempts, Progress,
	// Cursor, Result and Error are ignored) and returns it as stored. j.ID and j.Kind are
	// required. Errors: KindConflict with issue code "duplicate" when a job with j.ID, or
	// with j.Key (when not empty), was ever created, whatever its state now: a key is
	// never free again, so it can refuse work sent twice.
	CreateJob(ctx context.Context, j Job) (Job, error)

	// ClaimJob takes the oldest job (by Created, then ID) of one of kinds that is queued,
	// or running with an expired lease (LeaseUntil not after now), atomically: two
	// callers never get the same job while its lease runs. The job becomes running, owned
	// by owner until now+lease, with Attempts one more. ok is false when there is none.
	// The lease duration is kept with the job for UpdateJob's renewals.
	ClaimJob(ctx context.Context, kinds []string, owner string, lease time.Duration) (j Job, ok bool, err error)

	// UpdateJob saves j's State, Progress, Cursor, Result and Error, provided its caller
	// still holds the lease: the stored job is running with j.Owner and j.Attempts (as
	// ClaimJob returned them: a later claim by the same owner is another lease) and its
	// lease has not expired. State running renews the lease for the duration given to
	// ClaimJob; queued gives the job back (no owner, no lease: any worker may claim it at
	// once); completed and failed end it. It returns the job as stored. Errors: KindConflict
	// when the caller does not hold the lease: it expired, another worker took the job
	// over, or the job was cancelled or ended (the caller must stop working on it);
	// KindNotFound for an unknown ID; KindInvalid for a State other than these four.
	UpdateJob(ctx context.Context, j Job) (Job, error)

	// GetJob returns a job. KindNotFound for an unknown id.
	GetJob(ctx context.Context, id string) (Job, error)

	// DeleteJob cancels a job, whatever its state: it becomes cancelled, loses its owner
	// and lease, is never claimed again, and its owner learns of it at its next UpdateJob
	// (KindConflict). The job is kept, so its Key stays taken. Cancelling a cancelled job
	// does nothing. KindNotFound for an unknown id.
	DeleteJob(ctx context.Context, id string) error
}
