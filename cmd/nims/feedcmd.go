package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nimsproject/nims/programme"
)

const feedUsage = `usage:
  nims feed demographics  [--data DIR] [--store URI] FILE.ndjson…   the PDS delta: Patients by NHS number
  nims feed ethnicity     [--data DIR] [--store URI] FILE.csv…      GP feed: NHS number,ethnic category
  nims feed priority-list [--data DIR] [--store URI] --code SNOMED --category C --start YYYY-MM-DD
                          [--end YYYY-MM-DD] [--display TEXT] FILE  a priority group's list of NHS numbers
`

// feedCmd is nims feed: the programme's regular feeds, applied by an operator.
func feedCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	if len(args) == 0 {
		fmt.Fprint(stderr, feedUsage)
		return errors.New("which feed?")
	}
	kind := args[0]
	fs := flag.NewFlagSet("feed "+kind, flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := dataFlag(fs, getenv)
	storeURI := fs.String("store", getenv("NIMS_STORE"), "store URI, as for nims serve (NIMS_STORE)")
	var list programme.PriorityList
	var start, end string
	if kind == "priority-list" {
		fs.StringVar(&list.Code, "code", "", "SNOMED CT code of the priority group (Flag.code)")
		fs.StringVar(&list.Display, "display", "", "display of the code")
		fs.StringVar(&list.Category, "category", "", "Flag category: one of the programme's (clinical-risk, pregnant, …)")
		fs.StringVar(&start, "start", "", "start of the list's period, YYYY-MM-DD")
		fs.StringVar(&end, "end", "", "end of the list's period, YYYY-MM-DD (optional)")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, feedUsage)
		return errors.New("no input file")
	}
	if kind == "priority-list" {
		if fs.NArg() != 1 {
			return errors.New("a priority list is one file")
		}
		if list.Start, err = time.Parse(time.DateOnly, start); err != nil {
			return fmt.Errorf("--start: want YYYY-MM-DD")
		}
		if end != "" {
			if list.End, err = time.Parse(time.DateOnly, end); err != nil {
				return fmt.Errorf("--end: want YYYY-MM-DD")
			}
		}
	}
	st, err := openStore(ctx, *storeURI, *data, 0)
	if err != nil {
		return err
	}
	defer st.Close()
	defer func() {
		err = errors.Join(err, auditOperator(*data, "operator-feed", "", "feed="+kind+"&files="+baseNames(fs.Args()), err))
	}()
	failed := int64(0)
	for _, name := range fs.Args() {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		t0 := time.Now()
		switch kind {
		case "demographics":
			rep, e := programme.ApplyDemographics(ctx, st, f, programme.FeedOptions{})
			for _, le := range rep.Errors {
				fmt.Fprintf(stdout, "%s:%d: %s\n", name, le.Line, errText(le.Err))
			}
			fmt.Fprintf(stdout, "%s: %d created, %d updated, %d unchanged, %d superseded numbers, %d deaths (%d invitations stopped), %d failed, in %s\n",
				name, rep.Created, rep.Updated, rep.Unchanged, rep.Superseded, rep.Died, rep.Stopped, rep.Failed, time.Since(t0).Round(time.Millisecond))
			failed, err = failed+rep.Failed, e
		case "ethnicity":
			rep, e := programme.ApplyEthnicity(ctx, st, f)
			for _, le := range rep.Errors {
				fmt.Fprintf(stdout, "%s:%d: %s\n", name, le.Line, errText(le.Err))
			}
			fmt.Fprintf(stdout, "%s: %d updated, %d unchanged, %d not held, %d failed, in %s\n",
				name, rep.Updated, rep.Unchanged, rep.Unmatched, rep.Failed, time.Since(t0).Round(time.Millisecond))
			failed, err = failed+rep.Failed, e
		case "priority-list":
			rep, e := programme.ApplyPriorityList(ctx, st, list, f, time.Now())
			for _, le := range rep.Errors {
				fmt.Fprintf(stdout, "%s:%d: %s\n", name, le.Line, errText(le.Err))
			}
			fmt.Fprintf(stdout, "%s: %d listed, %d flagged, %d already flagged, %d ended, %d not held (flagged by NHS number), %d failed, in %s\n",
				name, rep.Listed, rep.Flagged, rep.Kept, rep.Ended, rep.Unmatched, rep.Failed, time.Since(t0).Round(time.Millisecond))
			failed, err = failed+rep.Failed, e
		default:
			f.Close()
			fmt.Fprint(stderr, feedUsage)
			return fmt.Errorf("unknown feed %q", kind)
		}
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %s", name, errText(err))
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d lines were not applied", failed)
	}
	return nil
}
