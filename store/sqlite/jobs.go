package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// Jobs (store.Jobs). Every change runs as a job of the writer, in a savepoint of a group
// commit like any Apply: the claim's read and write happen with no other write between
// them, so two claims never take the same job, and an answered change is durable. Reads
// go to the read pool.

const jobColumns = `id, kind, state, key, client, request, progress, cursor, result, error,
	owner, lease_until, attempts, created, updated`

func scanJob(row scanner) (store.Job, error) {
	var j store.Job
	var key sql.NullString
	var state string
	var lease, created, updated int64
	err := row.Scan(&j.ID, &j.Kind, &state, &key, &j.Client, &j.Request, &j.Progress, &j.Cursor, &j.Result,
		&j.Error, &j.Owner, &lease, &j.Attempts, &created, &updated)
	if err != nil {
		return store.Job{}, err
	}
	j.State, j.Key = store.JobState(state), key.String
	j.LeaseUntil, j.Created, j.Updated = instant(lease), instant(created), instant(updated)
	return j, nil
}

// instant reads Unix milliseconds, 0 being the zero time.
func instant(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func (w *writer) nowMs() int64 { return w.now().UnixMilli() }

func (w *writer) job(id string) (store.Job, error) {
	j, err := scanJob(w.conn.QueryRowContext(w.ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Job{}, jobNotFound(id)
	}
	return j, err
}

func jobNotFound(id string) error {
	return fhir.Errorf(fhir.KindNotFound, "not-found", "", "there is no job %q", id)
}

// CreateJob is store.Jobs.CreateJob.
func (db *DB) CreateJob(ctx context.Context, j store.Job) (store.Job, error) {
	const op = "sqlite.CreateJob"
	if j.ID == "" || j.Kind == "" {
		return store.Job{}, fhir.Wrap(op, errors.New("a job needs an id and a kind"))
	}
	var out store.Job
	err := db.run(ctx, func(w *writer) error {
		var clash string
		var key any
		if j.Key != "" {
			key = j.Key
		}
		err := w.conn.QueryRowContext(w.ctx, `SELECT id FROM jobs WHERE id = ? OR key = ? LIMIT 1`, j.ID, key).Scan(&clash)
		switch {
		case err == nil && clash == j.ID:
			return fhir.Errorf(fhir.KindConflict, "duplicate", "", "a job with id %q already exists", j.ID)
		case err == nil:
			return fhir.Errorf(fhir.KindConflict, "duplicate", "", "this work was submitted before (job %s has the same key)", clash)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		now := w.nowMs()
		_, err = w.conn.ExecContext(w.ctx, `INSERT INTO jobs (`+jobColumns+`, lease_ms)
			VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, NULL, '', '', 0, 0, ?, ?, 0)`,
			j.ID, j.Kind, string(store.JobQueued), key, j.Client, j.Request, now, now)
		if err != nil {
			return err
		}
		out, err = w.job(j.ID)
		return err
	})
	return out, translate(op, err)
}

// ClaimJob is store.Jobs.ClaimJob. An idle worker polls it: a look in the read pool
// answers "nothing to do" without queueing behind writes.
func (db *DB) ClaimJob(ctx context.Context, kinds []string, owner string, lease time.Duration) (store.Job, bool, error) {
	const op = "sqlite.ClaimJob"
	if len(kinds) == 0 {
		return store.Job{}, false, nil
	}
	if owner == "" || lease < time.Millisecond {
		return store.Job{}, false, fhir.Wrap(op, errors.New("a claim needs an owner and a lease of at least a millisecond"))
	}
	where := `kind IN (?` + strings.Repeat(`, ?`, len(kinds)-1) + `) AND (state = 'queued' OR (state = 'running' AND lease_until <= ?))`
	args := func(now int64) []any {
		a := make([]any, 0, len(kinds)+1)
		for _, k := range kinds {
			a = append(a, k)
		}
		return append(a, now)
	}
	leave, err := db.enter()
	if err != nil {
		return store.Job{}, false, err
	}
	var id string
	err = db.rdb.QueryRowContext(ctx, `SELECT id FROM jobs WHERE `+where+` LIMIT 1`, args(db.opts.Now().UnixMilli())...).Scan(&id)
	leave()
	if errors.Is(err, sql.ErrNoRows) {
		return store.Job{}, false, nil
	}
	if err != nil {
		return store.Job{}, false, translate(op, err)
	}
	var out store.Job
	var found bool
	err = db.run(ctx, func(w *writer) error {
		now := w.nowMs()
		err := w.conn.QueryRowContext(w.ctx, `SELECT id FROM jobs WHERE `+where+` ORDER BY created, id LIMIT 1`, args(now)...).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // another worker was quicker
		}
		if err != nil {
			return err
		}
		_, err = w.conn.ExecContext(w.ctx, `UPDATE jobs SET state = 'running', owner = ?, lease_until = ?, lease_ms = ?,
			attempts = attempts + 1, updated = ? WHERE id = ?`, owner, now+lease.Milliseconds(), lease.Milliseconds(), now, id)
		if err != nil {
			return err
		}
		out, err = w.job(id)
		found = err == nil
		return err
	})
	if err != nil {
		return store.Job{}, false, translate(op, err)
	}
	return out, found, nil
}

// UpdateJob is store.Jobs.UpdateJob.
func (db *DB) UpdateJob(ctx context.Context, j store.Job) (store.Job, error) {
	const op = "sqlite.UpdateJob"
	switch j.State {
	case store.JobRunning, store.JobQueued, store.JobCompleted, store.JobFailed:
	default:
		return store.Job{}, fhir.Errorf(fhir.KindInvalid, "invalid", "",
			"a job's worker may set it running, queued, completed or failed, not %q", j.State)
	}
	var out store.Job
	err := db.run(ctx, func(w *writer) error {
		var state, owner string
		var attempts int
		var leaseUntil, leaseMs int64
		err := w.conn.QueryRowContext(w.ctx, `SELECT state, owner, attempts, lease_until, lease_ms FROM jobs WHERE id = ?`, j.ID).
			Scan(&state, &owner, &attempts, &leaseUntil, &leaseMs)
		if errors.Is(err, sql.ErrNoRows) {
			return jobNotFound(j.ID)
		}
		if err != nil {
			return err
		}
		now := w.nowMs()
		switch {
		case store.JobState(state) == store.JobCancelled:
			return fhir.Errorf(fhir.KindConflict, "conflict", "", "job %s was cancelled", j.ID)
		case store.JobState(state) != store.JobRunning:
			return fhir.Errorf(fhir.KindConflict, "conflict", "", "job %s is %s, not running", j.ID, state)
		case owner != j.Owner || attempts != j.Attempts || leaseUntil <= now:
			return fhir.Errorf(fhir.KindConflict, "conflict", "", "the lease on job %s is not held by this worker: it expired or was taken over", j.ID)
		}
		owner, leaseUntil = j.Owner, now+leaseMs
		switch j.State {
		case store.JobQueued:
			owner, leaseUntil = "", 0
		case store.JobCompleted, store.JobFailed:
			leaseUntil = 0 // the owner stays, saying who finished it
		}
		_, err = w.conn.ExecContext(w.ctx, `UPDATE jobs SET state = ?, progress = ?, cursor = ?, result = ?, error = ?,
			owner = ?, lease_until = ?, updated = ? WHERE id = ?`,
			string(j.State), j.Progress, j.Cursor, j.Result, j.Error, owner, leaseUntil, now, j.ID)
		if err != nil {
			return err
		}
		out, err = w.job(j.ID)
		return err
	})
	return out, translate(op, err)
}

// GetJob is store.Jobs.GetJob.
func (db *DB) GetJob(ctx context.Context, id string) (store.Job, error) {
	const op = "sqlite.GetJob"
	leave, err := db.enter()
	if err != nil {
		return store.Job{}, err
	}
	defer leave()
	j, err := scanJob(db.rdb.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Job{}, jobNotFound(id)
	}
	return j, translate(op, err)
}

// DeleteJob is store.Jobs.DeleteJob.
func (db *DB) DeleteJob(ctx context.Context, id string) error {
	const op = "sqlite.DeleteJob"
	err := db.run(ctx, func(w *writer) error {
		res, err := w.conn.ExecContext(w.ctx, `UPDATE jobs SET state = 'cancelled', owner = '', lease_until = 0, updated = ?
			WHERE id = ? AND state != 'cancelled'`, w.nowMs(), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		_, err = w.job(id) // already cancelled, or unknown
		return err
	})
	return translate(op, err)
}
