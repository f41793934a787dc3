package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nimsproject/nims/store/mongo"
)

// mongoTestURI is a URI naming a database of the test's own on the server MONGO_URI
// names, dropped when the test ends. The test fails without a server when
// NIMS_REQUIRE_MONGO is set (scripts/test.sh starts FerretDB and sets both), and is
// skipped otherwise, so that go test ./... works on a laptop.
func mongoTestURI(t *testing.T) string {
	t.Helper()
	base := os.Getenv("MONGO_URI")
	if base == "" {
		if os.Getenv("NIMS_REQUIRE_MONGO") != "" {
			t.Fatal("MONGO_URI is not set: the test command starts FerretDB and sets it (scripts/test.sh)")
		}
		t.Skip("MONGO_URI is not set; scripts/test.sh starts FerretDB and sets it")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("MONGO_URI: %v", err)
	}
	u.Path = fmt.Sprintf("/nimscli_%d_%d", os.Getpid(), cliDatabases.Add(1))
	uri := u.String()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if db, err := mongo.Open(ctx, uri, mongo.Options{}); err == nil { // only a migrated one has anything to drop
			db.Drop(ctx)
			db.Close()
		}
	})
	return uri
}

var cliDatabases atomic.Int64

// Every command that opens a MongoDB database nims migrate has not prepared tells the
// operator to run it; after nims migrate (twice: it is idempotent) the store opens.
func TestMigrateMongo(t *testing.T) {
	uri := mongoTestURI(t)
	ctx := context.Background()
	noEnv := func(string) string { return "" }

	if st, err := openStore(ctx, uri, t.TempDir(), 0); err == nil {
		st.Close()
		t.Fatal("openStore opened an unmigrated database")
	} else if msg := errText(err); !strings.Contains(msg, "nims migrate") {
		t.Errorf("openStore on an unmigrated database: the operator reads %q, which does not say to run nims migrate", msg)
	}
	err := run(ctx, []string{"serve", "--data", t.TempDir(), "--store", uri, "--addr", "127.0.0.1:0"}, noEnv, &strings.Builder{}, &strings.Builder{})
	if err == nil || !strings.Contains(errText(err), "run nims migrate") {
		t.Errorf("nims serve on an unmigrated database: %v", err)
	}

	for i := range 2 {
		var out, errOut strings.Builder
		if err := run(ctx, []string{"migrate", "--store", uri}, noEnv, &out, &errOut); err != nil {
			t.Fatalf("nims migrate (run %d): %s\n%s", i+1, errText(err), errOut.String())
		}
		name := uri[strings.LastIndex(uri, "/")+1:]
		if want := fmt.Sprintf("migrated the MongoDB database %q", name); !strings.Contains(out.String(), want) {
			t.Errorf("nims migrate (run %d) printed %q, want %q", i+1, out.String(), want)
		}
	}

	env := func(k string) string { // as a deployment sets it
		if k == "NIMS_STORE" {
			return uri
		}
		return ""
	}
	if err := run(ctx, []string{"migrate"}, env, &strings.Builder{}, &strings.Builder{}); err != nil {
		t.Errorf("nims migrate with NIMS_STORE: %s", errText(err))
	}
	st, err := openStore(ctx, uri, t.TempDir(), 64)
	if err != nil {
		t.Fatalf("openStore after nims migrate: %s", errText(err))
	}
	if err := st.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	st.Close()
}

// The embedded store needs no migration: nims migrate says so and touches nothing.
func TestMigrateEmbedded(t *testing.T) {
	ctx := context.Background()
	noEnv := func(string) string { return "" }
	for _, args := range [][]string{{"migrate"}, {"migrate", "--store", "sqlite:" + t.TempDir()}} {
		var out strings.Builder
		if err := run(ctx, args, noEnv, &out, &strings.Builder{}); err != nil {
			t.Errorf("nims %s: %v", strings.Join(args, " "), err)
		}
		if !strings.Contains(out.String(), "embedded store migrates itself") {
			t.Errorf("nims %s printed %q", strings.Join(args, " "), out.String())
		}
	}
	if err := run(ctx, []string{"migrate", "--store", "postgres://x/y"}, noEnv, &strings.Builder{}, &strings.Builder{}); err == nil {
		t.Error("nims migrate took a postgres:// URI")
	}
	if err := run(ctx, []string{"migrate", "extra"}, noEnv, &strings.Builder{}, &strings.Builder{}); err == nil {
		t.Error("nims migrate took an argument")
	}
}
