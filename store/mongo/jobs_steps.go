package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mdb "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// The steps of a job's life, in leases. Every change of a job after its creation is
// linearised by one insert: a writer reads the latest step n, decides from it alone
// (is the job queued, or its lease expired? does the caller hold the lease, and has it
// not expired? is the job cancelled already?) and inserts step n+1 with the state that
// follows. Of all writers who read step n exactly one insert succeeds; the others read
// again and decide afresh. So:
//
//   - two claims of one job never both succeed, whichever replica makes them;
//   - a renewal is a step too, not an update of the claim's expiry: a renewal and a
//     take-over of a lease about to expire contend for the same _id, so a renewal that
//     returns has no rival for the whole of the lease it grants. (Updating the expiry
//     in place would let a take-over that read the old expiry win alongside it.)
//   - the progress and cursor saved with a step are saved if and only if the step won:
//     a worker that lost its lease cannot overwrite its successor's cursor;
//   - cancelled is final: no rule makes a step after one.
//
// docs/SCALE.md numbers lease documents by attempt and renews by updating the expiry;
// steps are numbered by change instead, for the reason above, and carry the attempt.
//
// A superseded step is cut to a tombstone (its payload unset), never deleted: a freed
// _id could be inserted again by a writer that read an old step long ago, and that
// writer would believe it had won.

// stepDoc is step Seq of job Job. Step 0 is never stored: it is the job as created.
type stepDoc struct {
	ID       string `bson:"_id"` // stepID(Job, Seq)
	Job      string `bson:"job"`
	Seq      int64  `bson:"seq"`
	State    string `bson:"state"`
	Owner    string `bson:"owner,omitempty"`
	Attempts int    `bson:"attempts"`
	Until    int64  `bson:"until"`   // the lease's end, Unix ms; 0 when none
	LeaseMs  int64  `bson:"leasems"` // the lease duration ClaimJob was given, for renewals
	Progress []byte `bson:"progress,omitempty"`
	Cursor   []byte `bson:"cursor,omitempty"`
	Result   []byte `bson:"result,omitempty"`
	Error    string `bson:"error,omitempty"`
	Updated  int64  `bson:"updated"`
	Old      bool   `bson:"old,omitempty"` // a tombstone: a later step exists
}

// stepID is the _id of step n of job id. The number after the last '#' has no '#', so
// two jobs' steps never share an _id whatever their ids hold.
func stepID(id string, n int64) string { return fmt.Sprintf("%s#%d", id, n) }

// carry is a step with s's payload, attempts and lease duration, for a rule to fill in.
func (s stepDoc) carry() stepDoc {
	return stepDoc{Attempts: s.Attempts, LeaseMs: s.LeaseMs, Progress: s.Progress, Cursor: s.Cursor, Result: s.Result, Error: s.Error}
}

// head reads the latest step of job id. A tombstone read as the latest can only come
// from a view older than the step that superseded it: reading again finds that step.
func (db *DB) head(ctx context.Context, id string) (stepDoc, error) {
	latest := options.FindOne().SetSort(bson.D{{Key: "seq", Value: -1}})
	for range 5 {
		var s stepDoc
		err := db.leases.FindOne(ctx, bson.D{{Key: "job", Value: id}}, latest).Decode(&s)
		switch {
		case errors.Is(err, mdb.ErrNoDocuments):
			return stepDoc{Job: id, State: string(store.JobQueued)}, nil
		case err != nil:
			return stepDoc{}, err
		case !s.Old:
			return s, nil
		}
	}
	return stepDoc{}, fmt.Errorf("job %s: the latest step read is a tombstone, five times", id)
}

// rule decides the step that follows head at instant now (Unix ms). It fills in the
// state and payload only; ok false leaves the job as it is.
type rule func(head stepDoc, now int64) (next stepDoc, ok bool, err error)

// maxRaces bounds how often one call reads a job again after another writer inserted
// the step it meant to. Each loss is another writer's progress, so this is reached only
// under a storm of changes to one job.
const maxRaces = 100

// advance applies r to job id: it reads the latest step, asks r for the next and inserts
// it, reading again when another writer was first. It returns the step inserted and
// true, or the latest step and false when r made none.
func (db *DB) advance(ctx context.Context, id string, r rule) (stepDoc, bool, error) {
	for range maxRaces {
		head, err := db.head(ctx, id)
		if err != nil {
			return stepDoc{}, false, err
		}
		now := db.now().UnixMilli()
		next, ok, err := r(head, now)
		if err != nil || !ok {
			return head, false, err
		}
		next.ID, next.Job, next.Seq, next.Updated = stepID(id, head.Seq+1), id, head.Seq+1, now
		_, err = db.leases.InsertOne(ctx, next)
		switch {
		case err == nil:
			db.tidyStep(ctx, head, next)
			return next, true, nil
		case !isDup(err):
			return stepDoc{}, false, err
		}
	}
	return stepDoc{}, false, unavailable("a job is being changed by too many writers at once; retry")
}

// tidyStep tidies up after the insert of next: it cuts prev to a tombstone and copies the
// new state into the job's document for ClaimJob's query. Neither is needed for
// correctness, so errors are dropped: a step that was not cut costs space, and a copy
// that lags (the winner died, or on FerretDB two of these updates crossed) only makes a
// job look claimable when it is not (a claim then reads its step and mends the copy) or
// leased when it was given back (it is claimed once that old lease would have ended).
func (db *DB) tidyStep(ctx context.Context, prev, next stepDoc) {
	if prev.Seq > 0 {
		db.leases.UpdateOne(ctx, bson.D{{Key: "_id", Value: prev.ID}}, bson.D{
			{Key: "$set", Value: bson.D{{Key: "old", Value: true}}},
			{Key: "$unset", Value: bson.D{{Key: "progress", Value: ""}, {Key: "cursor", Value: ""}, {Key: "result", Value: ""}, {Key: "error", Value: ""}}},
		})
	}
	db.copyState(ctx, next)
}

// copyState copies step s's state into its job's document unless a later step's is
// there already.
func (db *DB) copyState(ctx context.Context, s stepDoc) {
	db.jobs.UpdateOne(ctx, bson.D{{Key: "_id", Value: s.Job}, {Key: "seq", Value: bson.D{{Key: "$lt", Value: s.Seq}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: s.State}, {Key: "until", Value: s.Until}, {Key: "seq", Value: s.Seq}}}})
}

// claimable reports whether a job at step s may be claimed at now: it is queued, or
// running with a lease that is not after now.
func claimable(s stepDoc, now int64) bool {
	return s.State == string(store.JobQueued) || (s.State == string(store.JobRunning) && s.Until <= now)
}

// claim is ClaimJob's rule: the job becomes running, owned by owner for lease, one
// attempt more, with the cursor and progress its last owner saved.
func claim(owner string, lease time.Duration) rule {
	return func(head stepDoc, now int64) (stepDoc, bool, error) {
		if !claimable(head, now) {
			return stepDoc{}, false, nil
		}
		next := head.carry()
		next.State, next.Owner, next.Attempts = string(store.JobRunning), owner, head.Attempts+1
		next.LeaseMs = lease.Milliseconds()
		next.Until = now + next.LeaseMs
		return next, true, nil
	}
}

// update is UpdateJob's rule for j, whose State is running, queued, completed or failed.
func update(j store.Job) rule {
	return func(head stepDoc, now int64) (stepDoc, bool, error) {
		if err := holds(head, j, now); err != nil {
			return stepDoc{}, false, err
		}
		next := head.carry()
		next.State, next.Owner = string(j.State), j.Owner
		next.Progress, next.Cursor, next.Result, next.Error = j.Progress, j.Cursor, j.Result, j.Error
		switch j.State {
		case store.JobRunning:
			next.Until = now + head.LeaseMs
		case store.JobQueued:
			next.Owner = "" // claimable at once
		}
		// completed and failed keep the owner, saying who finished the job, and no lease
		return next, true, nil
	}
}

// holds returns a conflict unless j's caller holds the lease of the job at step s at now.
func holds(s stepDoc, j store.Job, now int64) error {
	switch {
	case s.State == string(store.JobCancelled):
		return fhir.Errorf(fhir.KindConflict, "conflict", "", "job %s was cancelled", j.ID)
	case s.State != string(store.JobRunning):
		return fhir.Errorf(fhir.KindConflict, "conflict", "", "job %s is %s, not running", j.ID, s.State)
	case s.Owner != j.Owner || s.Attempts != j.Attempts || s.Until <= now:
		return fhir.Errorf(fhir.KindConflict, "conflict", "", "the lease on job %s is not held by this worker: it expired or was taken over", j.ID)
	}
	return nil
}

// cancel is DeleteJob's rule: the job becomes cancelled, without owner or lease, unless
// it is already.
func cancel(head stepDoc, now int64) (stepDoc, bool, error) {
	if head.State == string(store.JobCancelled) {
		return stepDoc{}, false, nil
	}
	next := head.carry()
	next.State = string(store.JobCancelled)
	return next, true, nil
}
