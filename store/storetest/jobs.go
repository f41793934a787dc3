package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

var jobTests = []test{
	{"JobCreateGet", testJobCreateGet},
	{"JobKeyDedupe", testJobKeyDedupe},
	{"JobClaimOrderAndKinds", testJobClaimOrder},
	{"JobConcurrentClaims", testJobConcurrentClaims},
	{"JobExpiredLeaseTakenOver", testJobExpiredLease},
	{"JobStaleOwnerRefused", testJobStaleOwner},
	{"JobUpdateAndRelease", testJobUpdateAndRelease},
	{"JobCancel", testJobCancel},
}

// A lease no test outlives, and one every test outlives. The store's clock may be a
// fake one that moves a millisecond per reading: a millisecond lease has expired by the
// next call, and a real clock passes it during expire's sleep.
const (
	longLease  = time.Hour
	shortLease = time.Millisecond
)

func expire() { time.Sleep(5 * time.Millisecond) }

func newJob(t *testing.T, s store.Store, id, kind, key string) store.Job {
	t.Helper()
	j, err := s.CreateJob(ctx(t), store.Job{ID: id, Kind: kind, Key: key, Client: "client-" + id, Request: []byte(`{"n":1}`)})
	if err != nil {
		t.Fatalf("CreateJob(%s): %v", id, err)
	}
	return j
}

func claim(t *testing.T, s store.Store, owner string, lease time.Duration, kinds ...string) (store.Job, bool) {
	t.Helper()
	j, ok, err := s.ClaimJob(ctx(t), kinds, owner, lease)
	if err != nil {
		t.Fatalf("ClaimJob(%v, %s): %v", kinds, owner, err)
	}
	return j, ok
}

func mustClaim(t *testing.T, s store.Store, owner string, lease time.Duration, kinds ...string) store.Job {
	t.Helper()
	j, ok := claim(t, s, owner, lease, kinds...)
	if !ok {
		t.Fatalf("ClaimJob(%v, %s) found nothing to claim", kinds, owner)
	}
	return j
}

func getJob(t *testing.T, s store.Store, id string) store.Job {
	t.Helper()
	j, err := s.GetJob(ctx(t), id)
	if err != nil {
		t.Fatalf("GetJob(%s): %v", id, err)
	}
	return j
}

func testJobCreateGet(t *testing.T, s store.Store) {
	created := newJob(t, s, "j1", "import", "")
	if created.State != store.JobQueued || created.Attempts != 0 || created.Owner != "" || !created.LeaseUntil.IsZero() {
		t.Fatalf("CreateJob = %+v, want queued, no attempts, no owner or lease", created)
	}
	if created.Created.IsZero() || created.Created.Location() != time.UTC || !created.Updated.Equal(created.Created) {
		t.Fatalf("CreateJob: Created %v Updated %v, want the same UTC instant", created.Created, created.Updated)
	}
	got := getJob(t, s, "j1")
	if got.Kind != "import" || got.Client != "client-j1" || string(got.Request) != `{"n":1}` || got.State != store.JobQueued {
		t.Fatalf("GetJob = %+v, want what was created", got)
	}
	_, err := s.GetJob(ctx(t), "nope")
	wantKind(t, err, fhir.KindNotFound)
	_, err = s.CreateJob(ctx(t), store.Job{ID: "j1", Kind: "import"})
	wantKind(t, err, fhir.KindConflict)
}

func testJobKeyDedupe(t *testing.T, s store.Store) {
	newJob(t, s, "a", "import", "file-sha256:abc")
	newJob(t, s, "b", "import", "") // jobs without a key never clash
	newJob(t, s, "c", "import", "")
	_, err := s.CreateJob(ctx(t), store.Job{ID: "d", Kind: "import", Key: "file-sha256:abc"})
	if fe := wantKind(t, err, fhir.KindConflict); fe.Issues[0].Code != "duplicate" {
		t.Fatalf("duplicate key: issue code %q, want duplicate", fe.Issues[0].Code)
	}
	if _, err := s.GetJob(ctx(t), "d"); fhir.KindOf(err) != fhir.KindNotFound {
		t.Fatalf("the refused job was stored: GetJob(d) = %v", err)
	}
	// The key stays taken once its job has ended, or been cancelled.
	j := mustClaim(t, s, "w", longLease, "import")
	j.State = store.JobCompleted
	if _, err := s.UpdateJob(ctx(t), j); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteJob(ctx(t), "a"); err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateJob(ctx(t), store.Job{ID: "e", Kind: "import", Key: "file-sha256:abc"})
	wantKind(t, err, fhir.KindConflict)
}

func testJobClaimOrder(t *testing.T, s store.Store) {
	newJob(t, s, "x1", "export", "")
	newJob(t, s, "i1", "import", "")
	newJob(t, s, "i2", "import", "")
	if _, ok := claim(t, s, "w", longLease, "invite"); ok {
		t.Fatal("claimed a job of a kind not asked for")
	}
	if _, ok := claim(t, s, "w", longLease); ok {
		t.Fatal("claimed a job with no kinds given")
	}
	for _, want := range []string{"i1", "i2"} {
		j := mustClaim(t, s, "w", longLease, "import")
		if j.ID != want || j.State != store.JobRunning || j.Owner != "w" || j.Attempts != 1 || !j.LeaseUntil.After(j.Updated) {
			t.Fatalf("ClaimJob = %+v, want %s running, owned by w, first attempt, leased", j, want)
		}
	}
	if _, ok := claim(t, s, "w", longLease, "import"); ok {
		t.Fatal("claimed a job whose lease runs")
	}
	if j := mustClaim(t, s, "w", longLease, "import", "export"); j.ID != "x1" {
		t.Fatalf("ClaimJob(import, export) = %s, want x1", j.ID)
	}
}

// Eight workers claim at once until nothing is left: each job goes to exactly one.
func testJobConcurrentClaims(t *testing.T, s store.Store) {
	const jobs, workers = 40, 8
	for i := range jobs {
		newJob(t, s, fmt.Sprintf("job-%02d", i), "import", "")
	}
	var mu sync.Mutex
	owners := map[string][]string{}
	errs := make([]error, workers)
	parallel(workers, func(w int) {
		owner := fmt.Sprintf("worker-%d", w)
		for {
			j, ok, err := s.ClaimJob(ctx(t), []string{"import"}, owner, longLease)
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
		}
		if j := getJob(t, s, id); j.Owner != o[0] || j.Attempts != 1 {
			t.Errorf("job %s: owner %s attempts %d, want %s and 1", id, j.Owner, j.Attempts, o[0])
		}
	}
}

func testJobExpiredLease(t *testing.T, s store.Store) {
	newJob(t, s, "j", "import", "")
	first := mustClaim(t, s, "crashed", shortLease, "import")
	expire()
	second := mustClaim(t, s, "rescuer", longLease, "import")
	if second.ID != "j" || second.Owner != "rescuer" || second.Attempts != first.Attempts+1 {
		t.Fatalf("take-over = %+v, want j owned by rescuer at attempt %d", second, first.Attempts+1)
	}
	if _, ok := claim(t, s, "third", longLease, "import"); ok {
		t.Fatal("a job was claimed while the rescuer's lease runs")
	}
}

func testJobStaleOwner(t *testing.T, s store.Store) {
	newJob(t, s, "j", "import", "")
	stale := mustClaim(t, s, "slow", shortLease, "import")
	expire()
	stale.Progress = []byte(`{"late":true}`)
	_, err := s.UpdateJob(ctx(t), stale)
	wantKind(t, err, fhir.KindConflict) // expired, though no one took it yet

	fresh := mustClaim(t, s, "fast", longLease, "import")
	_, err = s.UpdateJob(ctx(t), stale)
	wantKind(t, err, fhir.KindConflict)
	other := fresh
	other.Owner = "impostor"
	_, err = s.UpdateJob(ctx(t), other)
	wantKind(t, err, fhir.KindConflict)

	// The same owner's earlier lease is another lease: attempts tell them apart.
	newJob(t, s, "k", "export", "")
	old := mustClaim(t, s, "same", shortLease, "export")
	expire()
	cur := mustClaim(t, s, "same", longLease, "export")
	_, err = s.UpdateJob(ctx(t), old)
	wantKind(t, err, fhir.KindConflict)
	if _, err := s.UpdateJob(ctx(t), cur); err != nil {
		t.Fatalf("UpdateJob by the holder: %v", err)
	}
	if got := getJob(t, s, "j"); got.Progress != nil || got.Owner != "fast" {
		t.Fatalf("a refused update was saved: %+v", got)
	}
	_, err = s.UpdateJob(ctx(t), store.Job{ID: "nope", State: store.JobRunning, Owner: "fast", Attempts: 1})
	wantKind(t, err, fhir.KindNotFound)
	fresh.State = store.JobCancelled
	_, err = s.UpdateJob(ctx(t), fresh)
	wantKind(t, err, fhir.KindInvalid)
}

func testJobUpdateAndRelease(t *testing.T, s store.Store) {
	newJob(t, s, "j", "import", "")
	j := mustClaim(t, s, "w1", longLease, "import")
	j.Progress, j.Cursor = []byte(`{"bytes":10}`), []byte(`{"line":3}`)
	saved, err := s.UpdateJob(ctx(t), j)
	if err != nil {
		t.Fatal(err)
	}
	if string(saved.Progress) != `{"bytes":10}` || string(saved.Cursor) != `{"line":3}` || saved.State != store.JobRunning ||
		saved.LeaseUntil.Before(j.LeaseUntil) || saved.Updated.Before(j.Updated) {
		t.Fatalf("UpdateJob = %+v, want the progress saved and the lease renewed", saved)
	}
	// Given back, it is claimable at once, cursor kept.
	saved.State = store.JobQueued
	if saved, err = s.UpdateJob(ctx(t), saved); err != nil || saved.Owner != "" || !saved.LeaseUntil.IsZero() {
		t.Fatalf("release: %+v, %v; want no owner and no lease", saved, err)
	}
	j = mustClaim(t, s, "w2", longLease, "import")
	if j.Attempts != 2 || string(j.Cursor) != `{"line":3}` {
		t.Fatalf("claim after release = %+v, want attempt 2 with the cursor", j)
	}
	j.State, j.Result = store.JobCompleted, []byte(`{"loaded":5}`)
	done, err := s.UpdateJob(ctx(t), j)
	if err != nil || done.State != store.JobCompleted || string(done.Result) != `{"loaded":5}` || !done.LeaseUntil.IsZero() {
		t.Fatalf("complete: %+v, %v", done, err)
	}
	_, err = s.UpdateJob(ctx(t), j)
	wantKind(t, err, fhir.KindConflict) // ended: nothing more to save
	if _, ok := claim(t, s, "w3", longLease, "import"); ok {
		t.Fatal("a completed job was claimed")
	}
}

func testJobCancel(t *testing.T, s store.Store) {
	newJob(t, s, "queued", "import", "")
	newJob(t, s, "running", "import", "")
	if err := s.DeleteJob(ctx(t), "queued"); err != nil {
		t.Fatal(err)
	}
	j := mustClaim(t, s, "w", longLease, "import")
	if j.ID != "running" {
		t.Fatalf("claimed %s, want running (queued was cancelled)", j.ID)
	}
	if err := s.DeleteJob(ctx(t), "running"); err != nil {
		t.Fatal(err)
	}
	_, err := s.UpdateJob(ctx(t), j)
	wantKind(t, err, fhir.KindConflict) // the worker learns of it
	for _, id := range []string{"queued", "running"} {
		if got := getJob(t, s, id); got.State != store.JobCancelled || got.Owner != "" {
			t.Errorf("%s after cancel: %+v, want cancelled without owner", id, got)
		}
	}
	if err := s.DeleteJob(ctx(t), "running"); err != nil {
		t.Errorf("cancelling twice: %v", err)
	}
	wantKind(t, s.DeleteJob(ctx(t), "nope"), fhir.KindNotFound)
	expire()
	if _, ok := claim(t, s, "w", shortLease, "import"); ok {
		t.Fatal("a cancelled job was claimed")
	}
}
