package main

import (
	"context"
	"errors"
	"strings"

	"fmt"
	"github.com/nimsproject/nims/fhir"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "nims:", errText(err))
		os.Exit(1)
	}
}

// errText is what the operator reads of err: for a FHIR error its diagnostics (the
// message with its values), which the logs never carry, else the error itself. An
// internal error's diagnostics are a generic message for API clients; the operator
// gets its cause (say, the database refusing the credentials), which is loggable.
func errText(err error) string {
	var fe *fhir.Error
	if !errors.As(err, &fe) || len(fe.Issues) == 0 || (fe.Kind == fhir.KindInternal && fe.Err != nil) {
		return err.Error()
	}
	var parts []string
	for _, is := range fe.Issues {
		parts = append(parts, is.Diagnostics)
	}
	return strings.Join(parts, "; ")
}

const usage = `usage: nims <command> [flags]

commands:
  serve     run the FHIR API (nims serve --help for flags)
  migrate   prepare a MongoDB database for this nims: run before the first serve and
            after each upgrade (nims migrate --store mongodb://HOST/DATABASE)
  reindex   rebuild the search index after the search parameters changed
            (nims reindex --data DIR [--store URI] [--type T])
  import    load FHIR NDJSON files (resumable) and NHS batch CSV files into the store
            (nims import --data DIR FILE.ndjson… FILE.csv…)
  feed      apply a programme feed: the PDS delta, GP ethnicity, a priority-group list
            (nims feed demographics|ethnicity|priority-list --data DIR … FILE; nims feed for more)
  seed      generate a synthetic England into the store or NDJSON files
            (nims seed --patients N [--seed S] (--data DIR [--store URI] | --out DIR))
  token     print a bearer token for an operator on this machine
            (nims token --data DIR --role admin [--scope S] [--ods CODE] [--permissions FLU.CRUDS])
  client    register and manage API clients (SMART Backend Services)
            (nims client add --data DIR --name N --role R --jwks FILE|URL [--ods CODE]… [--permissions …];
             nims client list --data DIR; nims client disable --data DIR CLIENT_ID)
  audit     check or export the audit trail
            (nims audit verify --data DIR; nims audit export --data DIR [--since T])
  version   print the version
`

// run is the whole program, callable from tests: arguments, environment and output are
// parameters, and ctx ends it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stdout, stderr)
	case "reindex":
		return reindex(ctx, args[1:], getenv, stdout, stderr)
	case "import":
		return importCmd(ctx, args[1:], getenv, stdout, stderr)
	case "feed":
		return feedCmd(ctx, args[1:], getenv, stdout, stderr)
	case "seed":
		return seedCmd(ctx, args[1:], getenv, stdout, stderr)
	case "token":
		return tokenCmd(args[1:], getenv, stdout, stderr)
	case "client":
		return clientCmd(args[1:], getenv, stdout, stderr)
	case "audit":
		return auditCmd(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "nims", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
