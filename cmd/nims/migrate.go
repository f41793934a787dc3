package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/nimsproject/nims/store/mongo"
)

// migrate is nims migrate: it brings a MongoDB database to the layout this nims needs
// (collections, indexes, schema version). It is a command of its own, run once per
// upgrade by an operator, because nims serve replicas share the database and must not
// each change its layout at start (mongo.Open refuses a database that has not been
// migrated). The embedded store has one process and migrates itself when opened.
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeURI := fs.String("store", getenv("NIMS_STORE"), "store URI: mongodb://HOST/DATABASE or mongodb+srv://… (NIMS_STORE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	uri := *storeURI
	if !isMongoURI(uri) {
		if uri == "" || uri == "sqlite" || strings.HasPrefix(uri, "sqlite:") {
			fmt.Fprintln(stdout, "nothing to do: the embedded store migrates itself when nims opens it")
			return nil
		}
		return fmt.Errorf("store URI %q: want mongodb://… (the embedded store needs no migration)", uri)
	}
	name := mongoDatabase(uri)
	fmt.Fprintf(stderr, "migrating the MongoDB database %q…\n", name)
	t0 := time.Now()
	if err := mongo.Migrate(ctx, uri, mongo.Options{}); err != nil {
		return err
	}
	// Open is what nims serve does: it succeeding proves the replicas will start.
	db, err := mongo.Open(ctx, uri, mongo.Options{})
	if err != nil {
		return err
	}
	db.Close()
	fmt.Fprintf(stdout, "migrated the MongoDB database %q in %s: collections, indexes and schema version are current; nims serve --store can use it\n",
		name, time.Since(t0).Round(time.Millisecond))
	return nil
}

func isMongoURI(uri string) bool {
	return strings.HasPrefix(uri, "mongodb://") || strings.HasPrefix(uri, "mongodb+srv://")
}

// mongoDatabase is the database a MongoDB URI names, for messages: the URI's path, or
// "nims", as mongo.Open reads it.
func mongoDatabase(uri string) string {
	if u, err := url.Parse(uri); err == nil {
		if name := strings.Trim(u.Path, "/"); name != "" {
			return name
		}
	}
	return "nims"
}
