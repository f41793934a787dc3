package mongo

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/nimsproject/nims/fhir"
)

// Under test, every filter that claims to be exact is held to it: a candidate it selects
// that Match rejects fails the search (search.go, checkExact), so the differential suite
// checks the claims the server's counts rely on.
func init() { checkExact = true }

// A stored list reads back by position across its chunks, says when more follow, and
// is gone once purged.
func TestSearchList(t *testing.T) {
	db := openTest(t, Options{})
	ctx := context.Background()
	s := &searcher{ctx: ctx, db: db}
	ids := make([]string, 2*listChunk+500)
	for i := range ids {
		ids[i] = fmt.Sprintf("id-%06d", i)
	}
	list, err := db.saveList(s, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		off, n int
	}{{0, 7}, {listChunk - 3, 10}, {listChunk, 1}, {2*listChunk - 1, 2}, {len(ids) - 5, 10}, {len(ids) - 1, 1}, {5, 2 * listChunk}} {
		got, more, err := db.readList(s, list, int64(tc.off), tc.n)
		if err != nil {
			t.Fatalf("readList(%d, %d): %v", tc.off, tc.n, err)
		}
		end := min(tc.off+tc.n, len(ids))
		if !slices.Equal(got, ids[tc.off:end]) {
			t.Errorf("readList(%d, %d) = %d ids from %q, want %d from %q", tc.off, tc.n, len(got), first(got), end-tc.off, ids[tc.off])
		}
		if want := end < len(ids); more != want {
			t.Errorf("readList(%d, %d): more = %v, want %v", tc.off, tc.n, more, want)
		}
	}
	if err := db.purgeLists(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.readList(s, list, 0, 1); err != nil {
		t.Fatalf("a new list was purged: %v", err)
	}
	if _, err := db.searches.UpdateMany(ctx, bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: "created", Value: int64(0)}}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.purgeLists(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.readList(s, list, 0, 1); fhir.KindOf(err) != fhir.KindInvalid {
		t.Fatalf("reading a purged list: %v, want an invalid cursor", err)
	}
}

func first(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}
