package mongo

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nimsproject/nims/store"
	"github.com/nimsproject/nims/store/storetest"
)

// The tests run against the server MONGO_URI names: scripts/test.sh builds and starts
// FerretDB for them. Without one they fail when NIMS_REQUIRE_MONGO is set (as the test
// command sets it) and are skipped otherwise, so that go test ./... works on a laptop.
func serverURI(t testing.TB) string {
	t.Helper()
	uri := os.Getenv("MONGO_URI")
	if uri == "" {
		if os.Getenv("NIMS_REQUIRE_MONGO") != "" {
			t.Fatal("MONGO_URI is not set: the test command starts FerretDB and sets it (scripts/test.sh)")
		}
		t.Skip("MONGO_URI is not set; scripts/test.sh starts FerretDB and sets it")
	}
	return uri
}

var dbCounter atomic.Int64

// freshDatabase returns a new, migrated, empty database name on the test server, dropped
// when the test ends.
func freshDatabase(t testing.TB, uri string) string {
	t.Helper()
	name := fmt.Sprintf("nimstest_%d_%d", os.Getpid(), dbCounter.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := Migrate(ctx, uri, Options{Database: name}); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return name
}

func openTest(t testing.TB, opts Options) *DB {
	t.Helper()
	uri := serverURI(t)
	if opts.Database == "" {
		opts.Database = freshDatabase(t, uri)
	}
	db, err := Open(context.Background(), uri, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		db.Drop(ctx)
		db.Close()
	})
	return db
}

// TestStore runs the shared suite, with the default paging: by a list on FerretDB.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, Options{Now: storetest.Clock()}) })
}

// TestStoreKeysetPaging runs the search tests but the differential one with keyset
// paging, MongoDB's default, which TestStore does not use on FerretDB. The differential
// test pages about 450 searches to the end, several with _count=3, and keyset paging
// reads the whole collection for each page there: beyond what CI allows.
func TestStoreKeysetPaging(t *testing.T) {
	storetest.RunOnly(t, func(t *testing.T) store.Store {
		return openTest(t, Options{Now: storetest.Clock(), Paging: PagingKeyset})
	}, "SearchMatchesReference", "SearchPagingWhileWriting")
}
