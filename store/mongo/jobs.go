package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mdb "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// Jobs (store.Jobs), with no transaction and no conditional update trusted to be atomic:
// FerretDB has neither, and lets several writers "win" an update filtered on a state.
// The one atomic thing is the insert of a document whose _id is taken (docs/SCALE.md,
// "Job leases"). A job is kept in three collections:
//
//   - jobkeys/{key} reserves a dedupe key, inserted before the job, so that of two
//     creators with one key exactly one gets past it.
//   - jobs/{id} holds what never changes (kind, key, client, request, created), and a copy
//     of the current state that only ClaimJob's query reads.
//   - leases/{id}#{n} is step n of the job's life (jobs_steps.go): every change after
//     creation (claim, renewal, give-back, end, cancellation) inserts the next step,
//     holding the whole state it leads to. The step with the highest n is the job's
//     state; with none, the job is queued as created.

// jobDoc is a job in jobs. State, Until and Seq copy step Seq for ClaimJob's query: they
// may lag behind the steps (jobs_steps.go, tidyStep), so nothing else reads them.
type jobDoc struct {
	ID      string `bson:"_id"`
	Kind    string `bson:"kind"`
	Key     string `bson:"key,omitempty"`
	Client  string `bson:"client"`
	Request []byte `bson:"request,omitempty"`
	Created int64  `bson:"created"` // Unix ms

	State string `bson:"state"`
	Until int64  `bson:"until"`
	Seq   int64  `bson:"seq"`
}

// jobKeyDoc reserves a dedupe key for the job that names it.
type jobKeyDoc struct {
	Key     string `bson:"_id"`
	Job     string `bson:"job"`
	Created int64  `bson:"created"`
}

// job is the job d as of step s.
func (d *jobDoc) job(s stepDoc) store.Job {
	j := store.Job{ID: d.ID, Kind: d.Kind, State: store.JobState(s.State), Key: d.Key, Client: d.Client,
		Request: d.Request, Progress: s.Progress, Cursor: s.Cursor, Result: s.Result, Error: s.Error,
		Owner: s.Owner, LeaseUntil: instant(s.Until), Attempts: s.Attempts, Created: instant(d.Created), Updated: instant(s.Updated)}
	if s.Seq == 0 {
		j.Updated = j.Created
	}
	return j
}

// instant reads Unix milliseconds, 0 being the zero time.
func instant(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func jobNotFound(id string) error {
	return fhir.Errorf(fhir.KindNotFound, "not-found", "", "there is no job %q", id)
}

func (db *DB) jobDoc(ctx context.Context, id string) (jobDoc, error) {
	var d jobDoc
	err := db.jobs.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mdb.ErrNoDocuments) {
		return jobDoc{}, jobNotFound(id)
	}
	return d, err
}

// CreateJob is store.Jobs.CreateJob. The key is reserved before the job exists, so that
// no job is ever visible with a key another job also got.
func (db *DB) CreateJob(ctx context.Context, j store.Job) (store.Job, error) {
	const op = "mongo.CreateJob"
	if j.ID == "" || j.Kind == "" {
		return store.Job{}, invalid(op, "a job needs an id and a kind")
	}
	leave, err := db.enter()
	if err != nil {
		return store.Job{}, err
	}
	defer leave()
	now := db.now().UnixMilli()
	if j.Key != "" {
		if err := db.takeKey(ctx, j.Key, j.ID, now); err != nil {
			return store.Job{}, translate(op, err)
		}
	}
	d := jobDoc{ID: j.ID, Kind: j.Kind, Key: j.Key, Client: j.Client, Request: j.Request, Created: now,
		State: string(store.JobQueued)}
	_, err = db.jobs.InsertOne(ctx, d)
	if isDup(err) {
		if j.Key != "" {
			db.freeKey(ctx, j.Key, j.ID)
		}
		return store.Job{}, translate(op, fhir.Errorf(fhir.KindConflict, "duplicate", "", "a job with id %q already exists", j.ID))
	}
	if err != nil {
		// The job may have been stored all the same (an answer lost on the way): its key
		// stays reserved, which is right if it was and only refuses a retry if it was not.
		return store.Job{}, translate(op, err)
	}
	return d.job(stepDoc{Job: j.ID, State: string(store.JobQueued)}), nil
}

// takeKey reserves key for job id: of two callers with one key, one insert fails.
func (db *DB) takeKey(ctx context.Context, key, id string, now int64) error {
	_, err := db.jobKeys.InsertOne(ctx, jobKeyDoc{Key: key, Job: id, Created: now})
	if isDup(err) {
		return fhir.Errorf(fhir.KindConflict, "duplicate", "", "this work was submitted before (a job has the same key)")
	}
	return err
}

// freeKey gives back a key reserved for a job whose id turned out to be taken: no job
// ever had the key, and keeping it would refuse the work for good. A creator that
// tried the same key in the instant between the two inserts was refused though no job
// keeps it: both chose it at once, and the id clash means this one was itself a
// mistake (ids are random). If this delete fails the key stays taken, the safe side.
func (db *DB) freeKey(ctx context.Context, key, id string) {
	db.jobKeys.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "job", Value: id}})
}

// ClaimJob is store.Jobs.ClaimJob. The query finds candidates by the copies of state in
// jobs; each is judged by its latest step, and claimed by inserting the next one.
func (db *DB) ClaimJob(ctx context.Context, kinds []string, owner string, lease time.Duration) (store.Job, bool, error) {
	const op = "mongo.ClaimJob"
	if len(kinds) == 0 {
		return store.Job{}, false, nil
	}
	if owner == "" || lease < time.Millisecond {
		return store.Job{}, false, invalid(op, "a claim needs an owner and a lease of at least a millisecond")
	}
	leave, err := db.enter()
	if err != nil {
		return store.Job{}, false, err
	}
	defer leave()
	cur, err := db.jobs.Find(ctx, candidates(kinds, db.now().UnixMilli()),
		options.Find().SetSort(bson.D{{Key: "created", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return store.Job{}, false, translate(op, err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d jobDoc
		if err := cur.Decode(&d); err != nil {
			return store.Job{}, false, translate(op, err)
		}
		s, won, err := db.advance(ctx, d.ID, claim(owner, lease))
		if err != nil {
			return store.Job{}, false, translate(op, err)
		}
		if won {
			return d.job(s), true, nil
		}
		if s.Seq > d.Seq {
			db.copyState(ctx, s) // the copy made this look claimable: mend it
		}
	}
	return store.Job{}, false, translate(op, cur.Err())
}

// candidates selects the jobs of kinds that look claimable at now.
func candidates(kinds []string, now int64) bson.D {
	return bson.D{
		{Key: "kind", Value: bson.D{{Key: "$in", Value: kinds}}},
		{Key: "$or", Value: bson.A{
			bson.D{{Key: "state", Value: string(store.JobQueued)}},
			bson.D{{Key: "state", Value: string(store.JobRunning)}, {Key: "until", Value: bson.D{{Key: "$lte", Value: now}}}},
		}},
	}
}

// UpdateJob is store.Jobs.UpdateJob.
func (db *DB) UpdateJob(ctx context.Context, j store.Job) (store.Job, error) {
	const op = "mongo.UpdateJob"
	switch j.State {
	case store.JobRunning, store.JobQueued, store.JobCompleted, store.JobFailed:
	default:
		return store.Job{}, translate(op, fhir.Errorf(fhir.KindInvalid, "invalid", "",
			"a job's worker may set it running, queued, completed or failed, not %q", j.State))
	}
	leave, err := db.enter()
	if err != nil {
		return store.Job{}, err
	}
	defer leave()
	d, err := db.jobDoc(ctx, j.ID)
	if err != nil {
		return store.Job{}, translate(op, err)
	}
	s, _, err := db.advance(ctx, j.ID, update(j))
	if err != nil {
		return store.Job{}, translate(op, err)
	}
	return d.job(s), nil
}

// GetJob is store.Jobs.GetJob.
func (db *DB) GetJob(ctx context.Context, id string) (store.Job, error) {
	const op = "mongo.GetJob"
	leave, err := db.enter()
	if err != nil {
		return store.Job{}, err
	}
	defer leave()
	d, err := db.jobDoc(ctx, id)
	if err != nil {
		return store.Job{}, translate(op, err)
	}
	s, err := db.head(ctx, id)
	if err != nil {
		return store.Job{}, translate(op, err)
	}
	return d.job(s), nil
}

// DeleteJob is store.Jobs.DeleteJob. The cancellation is a step like any other, so it
// takes effect at once whatever the owner is doing: the owner's next step, decided from
// an earlier one, fails to insert, and none is allowed after a cancellation.
func (db *DB) DeleteJob(ctx context.Context, id string) error {
	const op = "mongo.DeleteJob"
	leave, err := db.enter()
	if err != nil {
		return err
	}
	defer leave()
	if _, err := db.jobDoc(ctx, id); err != nil {
		return translate(op, err)
	}
	_, _, err = db.advance(ctx, id, cancel)
	return translate(op, err)
}
