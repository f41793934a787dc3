package nhscsv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nimsproject/nims/bulk"
	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// Batch files as jobs (DESIGN.md, "Long-running work"). Submit keeps a file under
// Dir/<job id>/ and queues a job whose dedupe key is the file's name, so that a file sent
// twice is refused (NHS England de-duplicates files by name); a Runner applies queued
// files one at a time, oldest first, so that one supplier's files for one vaccine type
// are applied in the order they came; the BUSACK report is kept beside the file. A job
// taken over after a crash applies its file again with the job's id as Options.IDSeed:
// what the first run applied is acknowledged, not written twice.

// KindBatch is the store.Job Kind of batch files.
const KindBatch = "nhs-batch-csv"

// BatchRequest is a batch job's Request.
type BatchRequest struct {
	File        string `json:"file"`        // the file's name, as sent (checked by ParseFileName)
	Permissions string `json:"permissions"` // the sender's CRUDS letters for the file's vaccine type
	MailboxFrom string `json:"mailboxFrom,omitempty"`
}

// BatchResult is a completed batch job's Result.
type BatchResult struct {
	Summary
	File string `json:"file"`
}

// AckPath is where job id's BUSACK report is kept under dir.
func AckPath(dir, id string) string { return filepath.Join(dir, id, "busack.csv") }

func inputPath(dir, id, name string) string { return filepath.Join(dir, id, "input", name) }

// Submit keeps the file name (read from r, at most maxBytes) and queues its job for
// client. Errors: KindInvalid for a name that breaks the rules; KindConflict (issue code
// "duplicate") for a file of that name received before; KindTooLarge beyond maxBytes.
func Submit(ctx context.Context, st store.Store, dir, name string, r io.Reader, maxBytes int64, client string, req BatchRequest) (store.Job, error) {
	fn, err := ParseFileName(name)
	if err != nil {
		return store.Job{}, err
	}
	id := uuid.Must(uuid.NewV7()).String()
	path := inputPath(dir, id, fn.Name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return store.Job{}, err
	}
	removeFiles := func() { os.RemoveAll(filepath.Join(dir, id)) }
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		removeFiles()
		return store.Job{}, err
	}
	n, err := io.Copy(f, io.LimitReader(r, maxBytes+1))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > maxBytes {
		err = fhir.Errorf(fhir.KindTooLarge, "too-costly", "", "the file is larger than %d bytes", maxBytes)
	}
	if err != nil {
		removeFiles()
		return store.Job{}, err
	}
	req.File = fn.Name
	body, _ := json.Marshal(req)
	j, err := st.CreateJob(ctx, store.Job{ID: id, Kind: KindBatch, Key: KindBatch + ":" + strings.ToUpper(fn.Name), Client: client, Request: body})
	if err != nil {
		removeFiles()
		if fhir.KindOf(err) == fhir.KindConflict {
			return store.Job{}, fhir.Errorf(fhir.KindConflict, "duplicate", "", "a file named %s was received before; a file is applied once (send changes in a new file)", fn.Name)
		}
		return store.Job{}, err
	}
	return j, nil
}

// Runner applies queued batch files, one at a time.
type Runner struct {
	Store store.Store
	Owner string // this worker's name in leases; unique among live workers
	Dir   string // the jobs' files (as given to Submit)
	Lease time.Duration
	Poll  time.Duration
	Log   *slog.Logger
}

// Run applies batch files until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	bulk.Work(ctx, r.RunOnce, orDefault(r.Poll, 2*time.Second), r.log(), "batch files")
}

func orDefault(v, def time.Duration) time.Duration {
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

// RunOnce claims the oldest queued batch file and applies it; ran says whether there was
// one.
func (r *Runner) RunOnce(ctx context.Context) (ran bool, err error) {
	lease := orDefault(r.Lease, time.Minute)
	j, ok, err := r.Store.ClaimJob(ctx, []string{KindBatch}, r.Owner, lease)
	if err != nil || !ok {
		return false, err
	}
	log := r.log().With("job", j.ID, "attempt", j.Attempts)
	var req BatchRequest
	fn, ferr := FileName{}, json.Unmarshal(j.Request, &req)
	if ferr == nil {
		fn, ferr = ParseFileName(req.File)
	}
	if ferr != nil || j.Attempts > 5 {
		j.State, j.Error = store.JobFailed, "the batch file could not be applied"
		_, err := r.Store.UpdateJob(ctx, j)
		return true, err
	}
	in, err := os.Open(inputPath(r.Dir, j.ID, fn.Name))
	if err != nil {
		j.State, j.Error = store.JobFailed, "the batch file is missing"
		_, uerr := r.Store.UpdateJob(ctx, j)
		return true, errors.Join(err, uerr)
	}
	defer in.Close()
	ack, err := os.Create(AckPath(r.Dir, j.ID))
	if err != nil {
		return true, err
	}
	defer ack.Close()

	// Hold the lease while the file is applied; stop if it is lost (or cancelled).
	h, wctx := bulk.HoldLease(ctx, r.Store, j, lease/3, log)
	log.Info("batch file started")
	sum, err := Apply(wctx, r.Store, fn, in, ack, Options{Permissions: req.Permissions, MessageID: j.ID, IDSeed: j.ID,
		ReceivedTime: j.Created, MailboxFrom: req.MailboxFrom})
	j, lost := h.Stop()
	if lost {
		log.Warn("batch file job lost its lease (cancelled or taken over)")
		return true, nil
	}
	if err == nil {
		err = ack.Sync()
	}
	switch {
	case ctx.Err() != nil || (err != nil && fhir.KindOf(err) == fhir.KindUnavailable):
		j.State = store.JobQueued // another run applies it again, writing nothing twice
		_, uerr := r.Store.UpdateJob(context.WithoutCancel(ctx), j)
		return true, errors.Join(err, uerr)
	case err != nil && (fhir.KindOf(err) == fhir.KindInvalid || fhir.KindOf(err) == fhir.KindForbidden):
		j.State, j.Error = store.JobFailed, errorText(err)
	case err != nil:
		log.Error("batch file failed", "cause", err.Error())
		j.State, j.Error = store.JobFailed, "the batch file could not be applied because of a fault of the server"
	default:
		j.State = store.JobCompleted
		j.Result, _ = json.Marshal(BatchResult{Summary: sum, File: fn.Name})
		log.Info("batch file applied", "rows", sum.Rows, "failed", sum.Failed)
	}
	_, uerr := r.Store.UpdateJob(context.WithoutCancel(ctx), j)
	return true, uerr
}

// errorText is the client's part of a file-level error.
func errorText(err error) string {
	var fe *fhir.Error
	if errors.As(err, &fe) && len(fe.Issues) > 0 {
		return fe.Issues[0].Diagnostics
	}
	return fmt.Sprint(err)
}
