package mongo

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
	"github.com/nimsproject/nims/store/storetest"
)

// These tests run two replicas of nims against one database: two *DB with their own
// connections, sharing nothing in the process but the clock. What keeps their workers
// apart can only be the server, so they show the job queue is safe across replicas,
// which the storetest suite on one *DB cannot.

// jobReplicas opens a fresh database twice, with one clock (nil meaning time.Now).
func jobReplicas(t *testing.T, now func() time.Time) [2]*DB {
	t.Helper()
	first := openTest(t, Options{Now: now})
	second, err := Open(context.Background(), serverURI(t), Options{Database: first.opts.Database, Now: first.opts.Now})
	if err != nil {
		t.Fatalf("Open (second replica): %v", err)
	}
	t.Cleanup(func() { second.Close() }) // runs before the first's drop
	return [2]*DB{first, second}
}

// run starts fn(i) for i in [0, n) at once and waits for all.
func run(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

// Workers on two replicas claim until nothing is left: each job goes to exactly one.
func TestJobClaimsAcrossReplicas(t *testing.T) {
	dbs := jobReplicas(t, storetest.Clock())
	ctx := t.Context()
	const jobs, workers = 30, 8 // workers split between the replicas
	for i := range jobs {
		if _, err := dbs[i%2].CreateJob(ctx, store.Job{ID: fmt.Sprintf("job-%02d", i), Kind: "import"}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	owners := map[string][]string{}
	errs := make([]error, workers)
	run(workers, func(w int) {
		owner := fmt.Sprintf("replica-%d/worker-%d", w%2, w)
		for {
			j, ok, err := dbs[w%2].ClaimJob(ctx, []string{"import"}, owner, time.Hour)
			if err != nil || !ok {
				errs[w] = err
				return
			}
			mu.Lock()
			owners[j.ID] = append(owners[j.ID], owner)
			mu.Unlock()
		}
	})
	for w, err := range errs {
		if err != nil {
			t.Fatalf("worker %d: %v", w, err)
		}
	}
	if len(owners) != jobs {
		t.Fatalf("%d jobs claimed, want %d", len(owners), jobs)
	}
	for id, o := range owners {
		if len(o) != 1 {
			t.Errorf("job %s claimed by %v, want one worker", id, o)
			continue
		}
		for _, db := range dbs {
			if j, err := db.GetJob(ctx, id); err != nil || j.Owner != o[0] || j.Attempts != 1 || j.State != store.JobRunning {
				t.Errorf("job %s read from a replica: %+v, %v; want running, owned by %s, attempt 1", id, j, err, o[0])
			}
		}
	}
}

// grant is a lease a worker was given (by a claim or a renewal), or gave back.
type grant struct {
	attempt     int
	owner       string
	from, until time.Time // until zero: given back at from
}

// Workers on two replicas fight over one job with short leases, renewing late (often
// after the lease has expired) and giving it back now and then. Whatever the timing,
// the leases they were granted never overlap: a claim of attempt n+1 comes no earlier
// than the end of every lease granted to attempt n, or its giving back. This is the race
// of a renewal against a take-over, which an expiry updated in place would lose.
func TestJobLeasesNeverOverlapAcrossReplicas(t *testing.T) {
	dbs := jobReplicas(t, nil) // the real clock: leases expire while workers sleep
	ctx := t.Context()
	if _, err := dbs[0].CreateJob(ctx, store.Job{ID: "contested", Kind: "import"}); err != nil {
		t.Fatal(err)
	}
	const workers = 6
	c := &contest{lease: 100 * time.Millisecond}
	deadline := time.Now().Add(2 * time.Second)
	errs := make([]error, workers)
	run(workers, func(w int) {
		db, owner := dbs[w%2], fmt.Sprintf("worker-%d", w)
		for time.Now().Before(deadline) && errs[w] == nil {
			errs[w] = c.hold(ctx, db, owner)
		}
	})
	for w, err := range errs {
		if err != nil {
			t.Fatalf("worker %d: %v", w, err)
		}
	}
	t.Logf("%d renewals refused", c.refused)
	checkNoOverlap(t, c.grants)
}

// contest is what the workers of TestJobLeasesNeverOverlapAcrossReplicas saw.
type contest struct {
	lease   time.Duration
	mu      sync.Mutex
	grants  []grant
	refused int
}

func (c *contest) record(owner string, j store.Job, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.refused++
		return
	}
	c.grants = append(c.grants, grant{j.Attempts, owner, j.Updated, j.LeaseUntil})
}

// pause is how long a worker waits before renewing: often till the lease's very end,
// where a renewal races a take-over, else anything up to one and a half leases.
func (c *contest) pause() time.Duration {
	if rand.IntN(2) == 0 {
		return c.lease - 3*time.Millisecond + rand.N(4*time.Millisecond)
	}
	return rand.N(c.lease * 3 / 2)
}

// hold claims the job and renews it up to three times, each after a pause, giving it
// back now and then or walking away. Losing the lease is no error.
func (c *contest) hold(ctx context.Context, db *DB, owner string) error {
	j, ok, err := db.ClaimJob(ctx, []string{"import"}, owner, c.lease)
	if err != nil || !ok {
		time.Sleep(time.Millisecond)
		return err
	}
	c.record(owner, j, nil)
	for range rand.IntN(4) {
		time.Sleep(c.pause())
		if rand.IntN(4) == 0 {
			j.State = store.JobQueued
		}
		saved, err := db.UpdateJob(ctx, j)
		if err != nil && fhir.KindOf(err) != fhir.KindConflict {
			return err
		}
		c.record(owner, saved, err)
		if err != nil || saved.State == store.JobQueued {
			return nil
		}
		j = saved
	}
	return nil
}

func checkNoOverlap(t *testing.T, grants []grant) {
	t.Helper()
	byAttempt := map[int][]grant{}
	for _, g := range grants {
		byAttempt[g.attempt] = append(byAttempt[g.attempt], g)
	}
	attempts := slices.Sorted(maps.Keys(byAttempt))
	t.Logf("%d leases granted or given back over %d attempts", len(grants), len(attempts))
	if len(attempts) < 2 {
		t.Fatalf("the job was claimed %d times: the test raced nothing", len(attempts))
	}
	for i, a := range attempts {
		gs := byAttempt[a]
		for _, g := range gs[1:] {
			if g.owner != gs[0].owner {
				t.Errorf("attempt %d granted to %s and %s", a, gs[0].owner, g.owner)
			}
		}
		if i == 0 || attempts[i-1] != a-1 {
			continue // the previous attempt's owner learnt nothing it could report
		}
		claimed := slices.MinFunc(gs, func(x, y grant) int { return x.from.Compare(y.from) }).from
		if end := heldUntil(byAttempt[a-1]); claimed.Before(end) {
			t.Errorf("attempt %d claimed at %v, while attempt %d held the job until %v", a, claimed, a-1, end)
		}
	}
}

// heldUntil is when an attempt's hold ended: its giving back, or the end of the last
// lease it was granted.
func heldUntil(gs []grant) time.Time {
	var end time.Time
	for _, g := range gs {
		if g.until.IsZero() {
			return g.from
		}
		if g.until.After(end) {
			end = g.until
		}
	}
	return end
}

// A replica cancels a job while the owner on the other replica renews it as fast as it
// can: the cancellation wins, and after it returns the owner's next renewal fails and no
// one can claim the job again.
func TestJobCancelWinsAcrossReplicas(t *testing.T) {
	dbs := jobReplicas(t, storetest.Clock())
	ctx := t.Context()
	for round := range 5 {
		id := fmt.Sprintf("job-%d", round)
		if _, err := dbs[0].CreateJob(ctx, store.Job{ID: id, Kind: "import"}); err != nil {
			t.Fatal(err)
		}
		j, ok, err := dbs[0].ClaimJob(ctx, []string{"import"}, "owner", time.Hour)
		if err != nil || !ok || j.ID != id {
			t.Fatalf("ClaimJob = %+v, %v, %v", j, ok, err)
		}
		cancelled := make(chan struct{})
		var renewErr error
		run(2, func(i int) {
			if i == 1 {
				if err := dbs[1].DeleteJob(ctx, id); err != nil {
					t.Errorf("DeleteJob: %v", err)
				}
				close(cancelled)
				return
			}
			renewErr = renewUntilRefused(ctx, dbs[0], j, cancelled)
		})
		if fhir.KindOf(renewErr) != fhir.KindConflict {
			t.Fatalf("round %d: renewals ended with %v, want a conflict", round, renewErr)
		}
		for _, db := range dbs {
			if got, err := db.GetJob(ctx, id); err != nil || got.State != store.JobCancelled || got.Owner != "" {
				t.Fatalf("round %d: after the cancellation: %+v, %v", round, got, err)
			}
		}
		if j, ok, err := dbs[1].ClaimJob(ctx, []string{"import"}, "other", time.Hour); ok || err != nil {
			t.Fatalf("round %d: claimed after the cancellation: %+v, %v", round, j, err)
		}
	}
}

// renewUntilRefused renews j until a renewal fails, and fails itself if one made after
// cancelled is closed succeeds.
func renewUntilRefused(ctx context.Context, db *DB, j store.Job, cancelled <-chan struct{}) error {
	for {
		after := false
		select {
		case <-cancelled:
			after = true
		default:
		}
		saved, err := db.UpdateJob(ctx, j)
		if err != nil {
			return err
		}
		if after {
			return fmt.Errorf("a renewal begun after the cancellation returned succeeded: %+v", saved)
		}
		j = saved
	}
}
