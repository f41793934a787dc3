package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nimsproject/nims/fhir"
)

// reindexConfig is the configuration of nims reindex. --data and --store also read
// NIMS_DATA and NIMS_STORE, as serve does, so that both find the same store.
type reindexConfig struct {
	data, storeURI, typ string
}

func parseReindex(args []string, getenv func(string) string, stderr io.Writer) (reindexConfig, error) {
	var c reindexConfig
	fs := flag.NewFlagSet("reindex", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv("NIMS_" + name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.data, "data", env("DATA", "./data"), "data directory of the embedded store (NIMS_DATA)")
	fs.StringVar(&c.storeURI, "store", env("STORE", ""), "store URI; empty means embedded SQLite in --data (NIMS_STORE)")
	fs.StringVar(&c.typ, "type", "", "rebuild the entries of this resource type only, e.g. Immunization; all types when empty")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if c.typ != "" && !fhir.IsResourceType(c.typ) {
		return c, fmt.Errorf("--type %q is not a FHIR R4 resource type", c.typ)
	}
	return c, nil
}

// reindex rebuilds the search index entries of the live resources from the current
// parameter table: after an upgrade that adds or changes search parameters, records
// written before it are found by the new parameters only once reindexed. Progress goes to
// stderr, the summary to stdout.
func reindex(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseReindex(args, getenv, stderr)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg.storeURI, cfg.data, 0)
	if err != nil {
		return err
	}
	defer st.Close()
	what := "every resource type"
	if cfg.typ != "" {
		what = cfg.typ
	}
	fmt.Fprintf(stderr, "reindexing %s…\n", what)
	start := time.Now()
	last, total := start, 0
	err = st.Reindex(ctx, cfg.typ, func(done int) {
		total = done
		if now := time.Now(); now.Sub(last) >= time.Second {
			last = now
			fmt.Fprintf(stderr, "  %d resources reindexed\n", done)
		}
	})
	if err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	fmt.Fprintf(stdout, "reindexed %d resources (%s) in %s\n", total, what, time.Since(start).Round(time.Millisecond))
	return nil
}
