package sqlite

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// Group commit. Every Apply queues a request; one goroutine takes all queued requests
// (up to MaxBatch), runs them in one transaction, each inside its own savepoint so that
// an op that fails rolls back alone, commits once (one WAL fsync for the group) and then
// answers every caller. While a group commits, the next one queues up, so the batch size
// grows with the load by itself: no timer, no added latency when idle.
//
// Funnelling every write through one transaction at a time is also what makes
// conditional creates, If-Match and unique keys atomic: each op's condition is evaluated
// inside the transaction, after every op before it.

type request struct {
	ctx  context.Context
	op   store.Op
	job  func(w *writer) error // instead of op: the store's own work (Reindex)
	res  store.Result
	err  error
	done chan struct{}
}

// Apply performs one write atomically. A request whose ctx ends before the writer
// reaches it is not applied; once the writer has started it, Apply waits for its outcome
// (at most one group commit) so that the caller never misreads a committed write.
func (db *DB) Apply(ctx context.Context, op store.Op) (store.Result, error) {
	if err := ctx.Err(); err != nil {
		return store.Result{}, fhir.Wrap("sqlite.Apply", err)
	}
	if err := check(&op); err != nil {
		return store.Result{}, fhir.Wrap("sqlite.Apply", err)
	}
	r := &request{ctx: ctx, op: op, done: make(chan struct{})}
	if err := db.enqueue(r); err != nil {
		return store.Result{}, err
	}
	<-r.done
	return r.res, r.err
}

// run has the writer run job in its own savepoint of a group's transaction, like an op.
func (db *DB) run(ctx context.Context, job func(w *writer) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &request{ctx: ctx, job: job, done: make(chan struct{})}
	if err := db.enqueue(r); err != nil {
		return err
	}
	<-r.done
	return r.err
}

// enqueue hands r to the writer, unless the store is closed or ctx ends first.
func (db *DB) enqueue(r *request) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return unavailable("the store is closed")
	}
	select {
	case db.queue <- r:
		return nil
	case <-r.ctx.Done():
		return fhir.Wrap("sqlite.Apply", r.ctx.Err())
	}
}

// check rejects ops that the service layer should never build: bugs, not client errors.
func check(op *store.Op) error {
	switch {
	case op.Kind != store.OpCreate && op.Kind != store.OpUpdate && op.Kind != store.OpDelete:
		return fmt.Errorf("unknown op kind %d", op.Kind)
	case op.Type == "":
		return errors.New("an op needs a resource type")
	case op.Kind != store.OpDelete && len(op.JSON) == 0:
		return errors.New("a create or update needs the resource's JSON")
	case op.ID == "" && (op.Kind == store.OpCreate || op.Condition == nil):
		return errors.New("an op needs an id, or a condition for an update or delete")
	}
	return nil
}

// writeLoop is the writer goroutine. It ends when Close has closed the queue and every
// request in it has been answered.
func (db *DB) writeLoop() {
	defer close(db.done)
	batch := make([]*request, 0, db.opts.MaxBatch)
	purged := time.Now() // Open purged
	for r := range db.queue {
		batch = append(batch[:0], r)
		// Let the callers answered by the last group run first: each is about to queue
		// its next write, and taking those into this group nearly doubles its size
		// under steady load (measured: 8 → 12 ops per fsync at 16 clients).
		runtime.Gosched()
	fill:
		for len(batch) < db.opts.MaxBatch {
			select {
			case r, ok := <-db.queue:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		db.w.commitGroup(batch)
		for _, r := range batch {
			close(r.done)
		}
		clear(batch) // let the answered requests be collected
		if time.Since(purged) > purgeEvery {
			db.w.purgeRequests(db.opts.RequestKeyTTL) // a failure is retried at the next
			purged = time.Now()
		}
	}
}

// purgeEvery is how often the writer drops expired idempotency records.
const purgeEvery = time.Hour

// purgeRequests drops the idempotency records older than ttl, in its own transaction.
func (w *writer) purgeRequests(ttl time.Duration) error {
	return w.exec(w.purge, w.now().Add(-ttl).UnixMilli())
}

// errAborted answers ops whose group could not be committed.
var errAborted = errors.New("the transaction of this write's group failed")

// commitGroup applies batch in one transaction and sets each request's res and err.
func (w *writer) commitGroup(batch []*request) {
	const op = "sqlite.Apply"
	if err := w.exec(w.begin); err != nil {
		for _, r := range batch {
			r.err = translate(op, err)
		}
		return
	}
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = fhir.Wrap(op, err)
			continue
		}
		if err := w.exec(w.savepoint); err != nil {
			w.abort(batch, err)
			return
		}
		if r.job != nil {
			r.err = r.job(w)
		} else {
			r.res, r.err = w.apply(&r.op)
		}
		if r.err != nil {
			r.err = translate(op, r.err)
			r.res = store.Result{}
			if err := w.exec(w.rollbackTo); err != nil {
				w.abort(batch, err)
				return
			}
		}
		if err := w.exec(w.release); err != nil {
			w.abort(batch, err)
			return
		}
	}
	if err := w.exec(w.commit); err != nil {
		w.abort(batch, err)
		return
	}
	w.publish(batch)
}

// publish hands the group's new current versions to the read cache, before any caller is
// answered, so a caller told "written" never reads an older version afterwards.
func (w *writer) publish(batch []*request) {
	recs := w.published[:0]
	for _, r := range batch {
		if r.err != nil || r.res.Replayed {
			continue
		}
		switch r.res.Outcome {
		case store.Created, store.Updated, store.Deleted:
			recs = append(recs, r.res.Record)
		}
	}
	recs = append(recs, w.extra...)
	clear(w.extra)
	w.extra = w.extra[:0]
	w.cache.publish(recs)
	clear(recs)
	w.published = recs
}

// abort rolls the whole transaction back after a failure of the transaction itself (not
// of one op) and fails every op of the group: even an op's own error may have been
// caused by an earlier op of the group that is now undone.
func (w *writer) abort(batch []*request, cause error) {
	w.exec(w.rollback) // fails if SQLite has already rolled back; the state is clean either way
	clear(w.extra)
	w.extra = w.extra[:0] // nothing of the group was committed: nothing to publish
	err := translate("sqlite.Apply", errors.Join(errAborted, cause))
	for _, r := range batch {
		r.res, r.err = store.Result{}, err
	}
}
