package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// Runner works on the import jobs of a store (DESIGN.md, "Long-running work"): it claims
// one at a time, renews its lease while it works, fetches the URL inputs, runs Import
// with checkpoints in the job's directory, records progress, and ends the job with its
// report. A runner that dies leaves its lease to expire; the runner that takes the job
// over resumes from the checkpoints, and writes nothing twice (ImportOptions.IDSeed).
// Several runners may share a store, given a Dir they all see.
type Runner struct {
	Store store.Store
	Owner string // this worker's name in leases, e.g. host:pid; unique among live workers
	Dir   string // the jobs' files: Dir/<job id>/ (see JobDir)

	Lease       time.Duration // how long a claim holds without renewal; 0 means 1 minute
	Poll        time.Duration // how often an idle runner looks for work; 0 means 2 s
	MaxAttempts int           // claims of one job before it is failed; 0 means 5

	Sources       Sources      // where URL inputs may be fetched from
	MaxFetchBytes int64        // largest fetched input; 0 means DefaultMaxImportBytes
	Client        *http.Client // for fetching; nil means one that follows redirects within Sources

	// Import tunes the imports (batch size, unique rules, Progress for observers); the
	// runner sets CheckpointDir, Cumulative, IDSeed and Types itself.
	Import ImportOptions
	Log    *slog.Logger
}

// Run works on jobs until ctx ends. A job in hand when it ends is given back, to be
// resumed by the next runner at once.
func (r *Runner) Run(ctx context.Context) { Work(ctx, r.RunOnce, r.poll(), r.log(), "import jobs") }

// Work calls once until ctx ends: again at once after a job it ran (ran true, no error),
// else after poll; errors are logged under what.
func Work(ctx context.Context, once func(context.Context) (ran bool, err error), poll time.Duration, log *slog.Logger, what string) {
	for ctx.Err() == nil {
		ran, err := once(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error(what, "cause", err.Error())
		}
		if ran && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(poll):
		}
	}
}

// RunOnce claims one import job and works on it until it ends, its lease is lost or ctx
// ends; ran says whether there was one. err is a failure to claim, or the job's own when
// it is to be tried again later.
func (r *Runner) RunOnce(ctx context.Context) (ran bool, err error) {
	j, ok, err := r.Store.ClaimJob(ctx, []string{KindImport}, r.Owner, r.lease())
	if err != nil || !ok {
		return false, err
	}
	return true, r.work(ctx, j)
}

// progressEvery bounds the interval of lease renewals, which also save the progress
// status reads show.
const progressEvery = 5 * time.Second

func (r *Runner) lease() time.Duration { return orDefault(r.Lease, time.Minute) }
func (r *Runner) poll() time.Duration  { return orDefault(r.Poll, 2*time.Second) }

func orDefault[T time.Duration | int | int64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func (r *Runner) log() *slog.Logger {
	if r.Log == nil {
		return slog.Default()
	}
	return r.Log
}

// work runs job j, which this runner has just claimed.
func (r *Runner) work(ctx context.Context, j store.Job) error {
	log := r.log().With("job", j.ID, "attempt", j.Attempts)
	if limit := orDefault(r.MaxAttempts, 5); j.Attempts > limit {
		msg := fmt.Sprintf("the import was given up after %d attempts", limit)
		if j.Error != "" {
			msg += "; the last failed: " + j.Error
		}
		return r.end(ctx, log, j, store.JobFailed, nil, msg)
	}
	var req ImportRequest
	if err := json.Unmarshal(j.Request, &req); err != nil || len(req.Inputs) == 0 {
		return r.end(ctx, log, j, store.JobFailed, nil, "the import job's request is unreadable")
	}
	log.Info("import job started")
	h, wctx := HoldLease(ctx, r.Store, j, min(r.lease()/3, progressEvery), log)
	h.Report(ImportProgress{Phase: "fetching"})
	res, err := r.load(wctx, j, req, h)
	j, lost := h.Stop()
	switch {
	case lost:
		r.lost(ctx, log, j.ID)
		return nil
	case ctx.Err() != nil:
		return r.release(log, j, "")
	case err != nil && retryable(err):
		log.Warn("import job failed; it will be tried again", "cause", err.Error())
		return errors.Join(err, r.release(log, j, clientText(err)))
	case err != nil:
		log.Error("import job failed", "cause", err.Error())
		return r.end(ctx, log, j, store.JobFailed, nil, clientText(err))
	}
	body, err := json.Marshal(res)
	if err != nil {
		return err
	}
	log.Info("import job completed", "loaded", res.Loaded, "unchanged", res.Unchanged, "failed", res.Failed)
	return r.end(ctx, log, j, store.JobCompleted, body, "")
}

// load fetches the job's URL inputs not fetched yet, then imports them all.
func (r *Runner) load(ctx context.Context, j store.Job, req ImportRequest, h *Hold) (ImportResult, error) {
	in := InputDir(r.Dir, j.ID)
	if err := os.MkdirAll(in, 0o700); err != nil {
		return ImportResult{}, err
	}
	files := map[string]ImportInput{}
	var paths []string
	for i, input := range req.Inputs {
		var path string
		switch {
		case input.File != "" && filepath.Base(input.File) == input.File:
			path = filepath.Join(in, input.File)
		case input.URL != "":
			// Named by type, so that Import loads what others refer to first.
			path = filepath.Join(in, fmt.Sprintf("%s.%03d.ndjson", input.Type, i))
			if _, err := os.Stat(path); err != nil {
				if err := r.fetch(ctx, input.URL, path, orDefault(r.MaxFetchBytes, DefaultMaxImportBytes)); err != nil {
					return ImportResult{}, err
				}
			}
		default:
			return ImportResult{}, errors.New("an import input with neither file nor URL")
		}
		files[path] = input
		paths = append(paths, path)
	}
	opts := r.Import
	opts.CheckpointDir = filepath.Join(JobDir(r.Dir, j.ID), "checkpoints")
	opts.Cumulative, opts.IDSeed, opts.Types = true, j.ID, req.Types
	if opts.Types == nil {
		opts.Types = []string{}
	}
	observer := opts.Progress
	opts.Progress = func(p Progress) {
		h.Report(ImportProgress{Phase: "loading", Bytes: p.Bytes, TotalBytes: p.TotalBytes,
			Counts: Counts{Loaded: p.Loaded, Unchanged: p.Unchanged, Failed: p.Failed}})
		if observer != nil {
			observer(p)
		}
	}
	rep, err := Import(ctx, r.Store, paths, opts)
	if err != nil {
		return ImportResult{}, err
	}
	return result(rep, files), nil
}

// end finishes j in state (completed or failed) and deletes its files.
func (r *Runner) end(ctx context.Context, log *slog.Logger, j store.Job, state store.JobState, res []byte, msg string) error {
	j.State, j.Result, j.Error = state, res, msg
	if _, err := r.Store.UpdateJob(context.WithoutCancel(ctx), j); fhir.KindOf(err) == fhir.KindConflict {
		r.lost(ctx, log, j.ID)
		return nil
	} else if err != nil {
		log.Warn("import job could not be ended", "state", string(state), "cause", err.Error())
		return nil // its lease will expire and another attempt end it
	}
	if err := RemoveJobFiles(r.Dir, j.ID); err != nil {
		log.Warn("import job files not removed", "cause", err.Error())
	}
	return nil
}

// lost handles a job that is no longer this runner's: cancelled (its files go), or
// taken over by another runner after the lease expired.
func (r *Runner) lost(ctx context.Context, log *slog.Logger, id string) {
	cur, err := r.Store.GetJob(context.WithoutCancel(ctx), id)
	if err != nil || cur.State != store.JobCancelled {
		log.Warn("import job lost its lease")
		return
	}
	log.Info("import job cancelled")
	if err := RemoveJobFiles(r.Dir, id); err != nil {
		log.Warn("import job files not removed", "cause", err.Error())
	}
}

// release gives j back, to be claimed again (by this runner after a pause, or another).
func (r *Runner) release(log *slog.Logger, j store.Job, why string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	j.State, j.Error = store.JobQueued, why
	if _, err := r.Store.UpdateJob(ctx, j); err != nil {
		log.Warn("import job could not be given back; its lease will expire", "cause", err.Error())
	}
	return nil
}

// retryable reports whether a later attempt may succeed where err failed: the store or a
// source was unavailable, or failed inside.
func retryable(err error) bool {
	var fe *fhir.Error
	if !errors.As(err, &fe) {
		return false
	}
	return fe.Kind == fhir.KindUnavailable || fe.Kind == fhir.KindInternal
}

// clientText is what the client is told of a job's failure: a FHIR error's diagnostics,
// else nothing of the cause (which may name files of the server).
func clientText(err error) string {
	var fe *fhir.Error
	if errors.As(err, &fe) && fe.Kind != fhir.KindInternal && len(fe.Issues) > 0 {
		return fe.Issues[0].Diagnostics
	}
	return "the import failed because of a fault of the server; its log has the cause"
}

// Hold holds a claimed job's lease while it is worked on: it renews it (saving the
// latest progress) and ends the work's context when the lease is lost, to another worker
// or by a cancel. Every kind of job (imports, NHS batch files) holds its lease this way.
type Hold struct {
	st       store.Store
	cancel   context.CancelFunc
	done     sync.WaitGroup
	mu       sync.Mutex
	job      store.Job
	progress any // marshalled into the job's Progress at each renewal; nil keeps it
	lost     bool
}

// HoldLease starts renewing the lease of j, just claimed, every interval. The returned
// context, derived from ctx, is the work's: it ends when the lease is lost. Stop ends it.
func HoldLease(ctx context.Context, st store.Store, j store.Job, interval time.Duration, log *slog.Logger) (*Hold, context.Context) {
	wctx, cancel := context.WithCancel(ctx)
	h := &Hold{st: st, job: j, cancel: cancel}
	h.done.Go(func() { h.beat(wctx, max(interval, 10*time.Millisecond), log) })
	return h, wctx
}

// Report sets the progress saved with the next renewal.
func (h *Hold) Report(progress any) {
	h.mu.Lock()
	h.progress = progress
	h.mu.Unlock()
}

// Stop stops renewing and returns the job as last stored (for its owner's final
// UpdateJob) and whether the lease was lost meanwhile.
func (h *Hold) Stop() (store.Job, bool) {
	h.cancel()
	h.done.Wait()
	return h.job, h.lost
}

func (h *Hold) beat(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h.mu.Lock()
		j := h.job
		if h.progress != nil {
			j.Progress, _ = json.Marshal(h.progress)
		}
		h.mu.Unlock()
		stored, err := h.st.UpdateJob(ctx, j)
		switch {
		case err == nil:
			h.mu.Lock()
			h.job = stored
			h.mu.Unlock()
		case fhir.KindOf(err) == fhir.KindConflict:
			h.mu.Lock()
			h.lost = true
			h.mu.Unlock()
			h.cancel()
			return
		case ctx.Err() == nil:
			log.Warn("job lease not renewed", "job", j.ID, "cause", err.Error())
		}
	}
}
