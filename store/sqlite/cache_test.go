package sqlite

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

func patientJSON(n int) []byte {
	return []byte(`{"resourceType":"Patient","gender":"other","birthDate":"2000-01-01","name":[{"family":"F` + strconv.Itoa(n) + `"}]}`)
}

// Readers hammering resources while writers update them never see, after a write was
// acknowledged, a version older than it, with a cache small enough to evict constantly.
func TestCacheNeverServesStaleVersions(t *testing.T) {
	for _, limit := range []int64{-1, 4 << 10, 64 << 20} {
		t.Run(fmt.Sprint("cache=", limit), func(t *testing.T) {
			db, err := Open(context.Background(), t.TempDir(), Options{CacheBytes: limit})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			const ids, rounds = 8, 60
			for i := range ids {
				if _, err := db.Apply(ctx, store.Op{Kind: store.OpUpdate, Type: "Patient", ID: "p" + strconv.Itoa(i), JSON: patientJSON(0)}); err != nil {
					t.Fatal(err)
				}
			}
			var acked [ids]int64 // highest acknowledged version per id
			var mu sync.Mutex
			var wg sync.WaitGroup
			stop := make(chan struct{})
			for i := range ids {
				wg.Add(1)
				go func() { // one writer per id, so versions per id are sequential
					defer wg.Done()
					for r := 1; r <= rounds; r++ {
						res, err := db.Apply(ctx, store.Op{Kind: store.OpUpdate, Type: "Patient", ID: "p" + strconv.Itoa(i), JSON: patientJSON(r)})
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						acked[i] = res.Record.Version
						mu.Unlock()
					}
				}()
			}
			var readers sync.WaitGroup
			for range 4 {
				readers.Add(1)
				go func() {
					defer readers.Done()
					for n := 0; ; n++ {
						select {
						case <-stop:
							return
						default:
						}
						i := n % ids
						mu.Lock()
						floor := acked[i]
						mu.Unlock()
						rec, err := db.Read(ctx, "Patient", "p"+strconv.Itoa(i))
						if err != nil {
							t.Error(err)
							return
						}
						if rec.Version < floor {
							t.Errorf("read p%d version %d after version %d was acknowledged", i, rec.Version, floor)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(stop)
			readers.Wait()
			for i := range ids {
				rec, err := db.Read(ctx, "Patient", "p"+strconv.Itoa(i))
				if err != nil || rec.Version != rounds+1 {
					t.Errorf("final read of p%d: version %d, err %v; want %d", i, rec.Version, err, rounds+1)
				}
			}
			// A deletion is served from the cache as Gone, too.
			if _, err := db.Apply(ctx, store.Op{Kind: store.OpDelete, Type: "Patient", ID: "p0"}); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Read(ctx, "Patient", "p0"); fhir.KindOf(err) != fhir.KindGone {
				t.Errorf("read after delete: %v, want KindGone", err)
			}
		})
	}
}

func TestCacheEvictsWithinLimit(t *testing.T) {
	c := newCache(10 << 10)
	for i := range 1000 {
		c.publish([]store.Record{{Type: "Patient", ID: strconv.Itoa(i), Seq: int64(i + 1), JSON: patientJSON(i)}})
		if c.size > c.limit {
			t.Fatalf("after %d puts the cache holds %d bytes, limit %d", i+1, c.size, c.limit)
		}
	}
	if _, ok := c.get("Patient", "999"); !ok {
		t.Error("the newest entry was evicted")
	}
	if _, ok := c.get("Patient", "0"); ok {
		t.Error("the oldest entry survived 1000 puts into a 10 KiB cache")
	}
	// A fill stamped before a publish is dropped.
	s := c.stamp()
	c.publish(nil)
	c.fill(store.Record{Type: "Patient", ID: "late", Seq: 1, JSON: patientJSON(1)}, s)
	if _, ok := c.get("Patient", "late"); ok {
		t.Error("a fill stamped before a later commit was cached")
	}
}

// A new version too large to cache must not leave the old one behind.
func TestCacheDropsOldVersionOfOversizeRecord(t *testing.T) {
	c := newCache(8 << 10)
	c.publish([]store.Record{{Type: "Binary", ID: "b", Seq: 1, JSON: []byte(`{"resourceType":"Binary"}`)}})
	big := make([]byte, 4<<10)
	c.publish([]store.Record{{Type: "Binary", ID: "b", Seq: 2, JSON: big}})
	if rec, ok := c.get("Binary", "b"); ok {
		t.Errorf("after an oversize update the cache still serves seq %d", rec.Seq)
	}
}
