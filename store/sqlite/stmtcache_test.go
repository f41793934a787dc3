package sqlite

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Readers holding every connection of the pool, each meeting a query shape not yet
// prepared, must not wait for a prepare (which needs a connection): they run unprepared.
// Before the fix, this hung until the context ended.
func TestNewQueryShapesUnderFullPool(t *testing.T) {
	db := openTest(t, t.TempDir(), Options{Readers: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each goroutine a different shape: _count differs, so the SQL differs.
			q := parseQuery(t, "Patient", fmt.Sprintf("family=x%d&gender=female&_count=%d", i, 1+i))
			if _, err := db.Search(ctx, q); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("search under a full pool: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("searches waited for the context to end")
	}
}

// One process per store: a second Open of the same directory is refused while the first
// is open, and allowed once it is closed.
func TestOneOpenPerStore(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir, Options{})
	if _, err := Open(context.Background(), dir, Options{}); err == nil {
		t.Fatal("a second Open of an open store succeeded")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	again.Close()
}
