package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/nimsproject/nims/store"
)

// bulkLoader is a store with a faster path for a first load by a process that holds the
// store alone (sqlite.DB: see store/sqlite/bulkload.go).
type bulkLoader interface {
	BeginBulkLoad(context.Context) (bool, error)
	EndBulkLoad(context.Context) error
}

// beginLoad puts st in bulk-load mode when it can (an empty embedded store). The
// returned end finishes it (building the indexes the mode left out, even when ctx has
// ended, so the store is whole when the command exits) and is always safe to call.
func beginLoad(ctx context.Context, st store.Store, stderr io.Writer) (end func() error, err error) {
	bl, ok := st.(bulkLoader)
	if !ok {
		return func() error { return nil }, nil
	}
	began, err := bl.BeginBulkLoad(ctx)
	if err != nil || !began {
		return func() error { return nil }, err
	}
	return func() error {
		t0 := time.Now()
		fmt.Fprint(stderr, "building the search indexes… ")
		err := bl.EndBulkLoad(context.WithoutCancel(ctx))
		fmt.Fprintf(stderr, "%s\n", time.Since(t0).Round(time.Millisecond))
		return err
	}, nil
}
