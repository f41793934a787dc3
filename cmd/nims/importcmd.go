package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nimsproject/nims/bulk"
	"github.com/nimsproject/nims/bulk/nhscsv"
	"github.com/nimsproject/nims/store"
)

// importCmd is nims import: FHIR NDJSON files into the store, resumable.
func importCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := dataFlag(fs, getenv)
	jobs := jobsDirFlag(fs, getenv)
	storeURI := fs.String("store", getenv("NIMS_STORE"), "store URI, as for nims serve (NIMS_STORE)")
	batch := fs.Int("batch", 500, "resources per transaction")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("usage: nims import [--data DIR] [--store URI] FILE.ndjson… FILE.csv…")
	}
	var ndjson, batches []string
	for _, f := range fs.Args() {
		if ext := strings.ToLower(filepath.Ext(f)); ext == ".csv" || ext == ".dat" {
			batches = append(batches, f)
		} else {
			ndjson = append(ndjson, f)
		}
	}
	st, err := openStore(ctx, *storeURI, *data, 0) // no read cache: nothing here reads by id
	if err != nil {
		return err
	}
	defer st.Close()
	defer func() {
		err = errors.Join(err, auditOperator(*data, "operator-import", "", "files="+baseNames(fs.Args()), err))
	}()
	if len(ndjson) == 0 {
		return importBatches(ctx, st, jobsPath(*jobs, *data), batches, stdout)
	}
	progress := stderr
	if *quiet {
		progress = io.Discard
	}
	endLoad, err := beginLoad(ctx, st, progress)
	if err != nil {
		return err
	}
	opts := bulk.ImportOptions{BatchSize: *batch, CheckpointDir: filepath.Join(*data, "import-checkpoints")}
	if !*quiet {
		last := time.Time{}
		opts.Progress = func(p bulk.Progress) {
			if time.Since(last) < 200*time.Millisecond && p.Bytes < p.TotalBytes {
				return
			}
			last = time.Now()
			fmt.Fprintf(stderr, "\r%s", progressLine(p))
		}
	}
	t0 := time.Now()
	rep, err := bulk.Import(ctx, st, ndjson, opts)
	if !*quiet {
		fmt.Fprintln(stderr)
	}
	err = errors.Join(err, endLoad())
	rep.Elapsed = time.Since(t0) // the index build included
	for _, f := range rep.Resumed {
		fmt.Fprintf(stdout, "resumed %s from where the last run stopped\n", f)
	}
	for i, e := range rep.Errors {
		if i == 100 {
			fmt.Fprintf(stdout, "… and %d more line errors\n", rep.Failed-100)
			break
		}
		fmt.Fprintf(stdout, "%s:%d: %s\n", e.File, e.Line, errText(e.Err))
	}
	rate := float64(rep.Loaded+rep.Unchanged) / rep.Elapsed.Seconds()
	fmt.Fprintf(stdout, "loaded %d resources, %d unchanged, %d failed, in %s (%.0f/s)\n",
		rep.Loaded, rep.Unchanged, rep.Failed, rep.Elapsed.Round(time.Millisecond), rate)
	if err != nil {
		return fmt.Errorf("import stopped (run the same command again to resume): %w", err)
	}
	batchErr := importBatches(ctx, st, jobsPath(*jobs, *data), batches, stdout)
	if rep.Failed > 0 {
		return errors.Join(fmt.Errorf("%d lines were not loaded", rep.Failed), batchErr)
	}
	return batchErr
}

// importBatches applies NHS batch files (bulk/nhscsv) as the server does: each is kept
// and queued as a job under the jobs directory dir (a file whose name was received before
// is refused), then the queue is applied oldest first; each file's BUSACK report stays in
// its job's directory.
func importBatches(ctx context.Context, st store.Store, dir string, files []string, stdout io.Writer) error {
	if len(files) == 0 {
		return nil
	}
	var errs []error
	var jobs []store.Job
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		j, err := nhscsv.Submit(ctx, st, dir, filepath.Base(name), f, 1<<40, "nims import", nhscsv.BatchRequest{Permissions: "CUD"})
		f.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s", name, errText(err)))
			continue
		}
		jobs = append(jobs, j)
	}
	runner := &nhscsv.Runner{Store: st, Owner: "nims-import:" + strconv.Itoa(os.Getpid()), Dir: dir, Log: slog.New(slog.DiscardHandler)}
	for {
		ran, err := runner.RunOnce(ctx)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		if !ran {
			break
		}
	}
	for _, j := range jobs {
		j, err := st.GetJob(ctx, j.ID)
		if err != nil {
			return err
		}
		var req nhscsv.BatchRequest
		json.Unmarshal(j.Request, &req)
		if j.State != store.JobCompleted {
			errs = append(errs, fmt.Errorf("%s: %s", req.File, j.Error))
			continue
		}
		var res nhscsv.BatchResult
		json.Unmarshal(j.Result, &res)
		fmt.Fprintf(stdout, "%s: %d rows: %d created, %d updated, %d deleted, %d failed; BUSACK report %s\n",
			req.File, res.Rows, res.Created, res.Updated, res.Deleted, res.Failed, nhscsv.AckPath(dir, j.ID))
		if res.Failed > 0 {
			errs = append(errs, fmt.Errorf("%s: %d rows failed (see the BUSACK report)", req.File, res.Failed))
		}
	}
	return errors.Join(errs...)
}

// progressLine is the progress bar: how far through the bytes, the counts and the rate.
func progressLine(p bulk.Progress) string {
	const width = 30
	frac := 1.0
	if p.TotalBytes > 0 {
		frac = float64(p.Bytes) / float64(p.TotalBytes)
	}
	done := int(frac * width)
	elapsed := time.Since(p.Started).Seconds()
	rate := float64(p.Loaded+p.Unchanged) / max(elapsed, 0.001)
	return fmt.Sprintf("[%s%s] %3.0f%%  %d loaded, %d unchanged, %d failed  %.0f/s  %s   ",
		strings.Repeat("=", done), strings.Repeat(" ", width-done), 100*frac, p.Loaded, p.Unchanged, p.Failed, rate,
		filepath.Base(p.File))
}
