package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
	"github.com/nimsproject/nims/synth"
)

// seedTypes are the resource types nims seed makes, in the order it makes them.
var seedTypes = []string{"Organization", "Patient", "Flag", "Immunization"}

// seedBatch is how many creates go into one store transaction.
const seedBatch = 1000

// seedCmd is nims seed: a synthetic England (package synth), loaded into the store or
// written as one NDJSON file per resource type.
func seedCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := dataFlag(fs, getenv)
	storeURI := fs.String("store", getenv("NIMS_STORE"), "store URI, as for nims serve (NIMS_STORE)")
	outDir := fs.String("out", "", "write Organization.ndjson, Patient.ndjson, Flag.ndjson and Immunization.ndjson here instead of loading the store")
	patients := fs.Int("patients", 0, "how many people to generate")
	seed := fs.Int64("seed", 1, "random seed: the same seed and size give the same data")
	quiet := fs.Bool("quiet", false, "no progress line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *patients < 1 || fs.NArg() > 0 {
		return errors.New("usage: nims seed --patients N [--seed S] (--data DIR [--store URI] | --out DIR)")
	}
	cfg := synth.Config{Patients: *patients, Seed: *seed}
	counts := map[string]int{}
	start, last := time.Now(), time.Now()
	tally := func(r synth.Resource) {
		counts[r.Type]++
		if !*quiet && r.Type == "Patient" && time.Since(last) >= 500*time.Millisecond {
			last = time.Now()
			fmt.Fprintf(stderr, "\r%d of %d people, %d resources, %.0f/s   ", counts["Patient"], cfg.Patients,
				total(counts), float64(total(counts))/time.Since(start).Seconds())
		}
	}
	var err error
	if *outDir != "" {
		err = seedFiles(ctx, *outDir, cfg, tally)
	} else {
		err = seedStore(ctx, *storeURI, *data, cfg, tally)
	}
	if !*quiet {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "seeded %d people: %d Organization, %d Patient, %d Flag, %d Immunization (%d resources) in %s (%.0f/s)\n",
		cfg.Patients, counts["Organization"], counts["Patient"], counts["Flag"], counts["Immunization"], total(counts),
		elapsed.Round(time.Millisecond), float64(total(counts))/elapsed.Seconds())
	return nil
}

func total(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// seedFiles writes one NDJSON file per type into dir.
func seedFiles(ctx context.Context, dir string, cfg synth.Config, tally func(synth.Resource)) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string]*os.File{}
	writers := map[string]*bufio.Writer{}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for _, typ := range seedTypes {
		f, err := os.Create(filepath.Join(dir, typ+".ndjson"))
		if err != nil {
			return err
		}
		files[typ], writers[typ] = f, bufio.NewWriterSize(f, 1<<20)
	}
	err := synth.Generate(cfg, func(r synth.Resource) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		tally(r)
		w := writers[r.Type]
		w.Write(r.JSON)
		return w.WriteByte('\n')
	})
	if err != nil {
		return err
	}
	for _, typ := range seedTypes {
		if err := writers[typ].Flush(); err != nil {
			return err
		}
		if err := files[typ].Close(); err != nil {
			return err
		}
		delete(files, typ)
	}
	return nil
}

// seedStore loads the population into the store of a data directory (see seedInto).
func seedStore(ctx context.Context, uri, data string, cfg synth.Config, tally func(synth.Resource)) (err error) {
	st, err := openStore(ctx, uri, data, 0)
	if err != nil {
		return err
	}
	defer st.Close()
	defer func() {
		err = errors.Join(err, auditOperator(data, "operator-seed", "", fmt.Sprintf("patients=%d&seed=%d", cfg.Patients, cfg.Seed), err))
	}()
	// The ids are the same on every run: a second seed would collide with the first.
	if _, err := st.Read(ctx, "Organization", "org-Y56"); fhir.KindOf(err) != fhir.KindNotFound {
		if err != nil {
			return err
		}
		return errors.New("the store already holds seeded data (Organization/org-Y56): seed into an empty store (a new data directory or database)")
	}
	return seedInto(ctx, st, cfg, tally)
}

// seedInto loads the population into st: generated on one goroutine, decoded, validated
// and indexed on every core, batch by batch, while the store's writer commits the
// previous batch; an empty embedded store takes it in bulk-load mode.
func seedInto(ctx context.Context, st store.Store, cfg synth.Config, tally func(synth.Resource)) (err error) {
	endLoad, err := beginLoad(ctx, st, io.Discard)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, endLoad()) }()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type prepared struct {
		rs  []synth.Resource
		ops []store.Op
		err error
	}
	ready := make(chan prepared, 2)
	go func() {
		defer close(ready)
		batch := make([]synth.Resource, 0, seedBatch)
		send := func() error {
			p := prepared{rs: batch}
			p.ops, p.err = prepare(batch)
			select {
			case ready <- p:
			case <-ctx.Done():
				return ctx.Err()
			}
			batch = make([]synth.Resource, 0, seedBatch)
			return p.err
		}
		err := synth.Generate(cfg, func(r synth.Resource) error {
			if batch = append(batch, r); len(batch) < seedBatch {
				return nil
			}
			return send()
		})
		if err == nil && len(batch) > 0 {
			err = send()
		}
		if err != nil && ctx.Err() == nil {
			ready <- prepared{err: err}
		}
	}()
	for p := range ready {
		if p.err != nil {
			return p.err
		}
		if _, err := st.Transaction(ctx, p.ops); err != nil {
			return err
		}
		for _, r := range p.rs {
			tally(r)
		}
	}
	return ctx.Err()
}

// prepare makes the creates of rs, decoding, validating and indexing on every core.
func prepare(rs []synth.Resource) ([]store.Op, error) {
	ops := make([]store.Op, len(rs))
	errs := make([]error, len(rs))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(rs); i += workers {
				r, err := fhir.Decode(rs[i].JSON)
				if err == nil {
					err = fhir.Validate(r)
				}
				if err != nil {
					errs[i] = fmt.Errorf("%s/%s: %w", rs[i].Type, rs[i].ID, err)
					continue
				}
				ops[i] = store.NewWrite(store.OpCreate, r, fhir.DefaultUniqueRules)
			}
		}()
	}
	wg.Wait()
	return ops, errors.Join(errs...)
}
