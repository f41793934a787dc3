package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"

	"github.com/nimsproject/nims/store"
	"github.com/nimsproject/nims/store/storetest"
)

func openTest(t testing.TB, dir string, opts Options) *DB {
	t.Helper()
	db, err := Open(t.Context(), dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, t.TempDir(), Options{Now: storetest.Clock()}) })
}

func patientOp(kind store.OpKind, id string) store.Op {
	return store.Op{Kind: kind, Type: "Patient", ID: id, JSON: []byte(`{"resourceType":"Patient","gender":"other"}`)}
}

// The clock is injectable and truncated to the millisecond, UTC.
func TestClock(t *testing.T) {
	at := time.Date(2021, 12, 24, 9, 30, 15, 123456789, time.FixedZone("CET", 3600))
	db := openTest(t, t.TempDir(), Options{Now: func() time.Time { return at }})
	res, err := db.Apply(t.Context(), patientOp(store.OpCreate, "p1"))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2021, 12, 24, 8, 30, 15, 123000000, time.UTC)
	if !res.Record.LastUpdated.Equal(want) || res.Record.LastUpdated.Location() != time.UTC {
		t.Fatalf("LastUpdated = %v, want %v", res.Record.LastUpdated, want)
	}
	if !strings.Contains(string(res.Record.JSON), `"lastUpdated":"2021-12-24T08:30:15.123Z"`) {
		t.Fatalf("stamped JSON %s lacks the clock's instant", res.Record.JSON)
	}
}

// Idempotency records older than RequestKeyTTL are purged when the store opens.
func TestRequestKeysPurged(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	op := patientOp(store.OpCreate, "p1")
	op.RequestKey = "req"
	db := openTest(t, dir, Options{Now: clock})
	if _, err := db.Apply(t.Context(), op); err != nil {
		t.Fatal(err)
	}
	db.Close()

	now = now.Add(23 * time.Hour)
	db = openTest(t, dir, Options{Now: clock})
	if res, err := db.Apply(t.Context(), op); err != nil || !res.Replayed {
		t.Fatalf("after 23 h: Apply = %+v, %v; want a replay", res, err)
	}
	db.Close()

	now = now.Add(2 * time.Hour)
	db = openTest(t, dir, Options{Now: clock})
	op.ID = "p2"
	if res, err := db.Apply(t.Context(), op); err != nil || res.Replayed || res.Record.ID != "p2" {
		t.Fatalf("after 25 h: Apply = %+v, %v; want a fresh create", res, err)
	}
}

// Close answers every write it accepted; writes after it are refused as unavailable.
func TestCloseDrains(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(t.Context(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const writers = 200
	var wg sync.WaitGroup
	acked := make([]bool, writers)
	for i := range writers {
		wg.Go(func() {
			_, err := db.Apply(context.Background(), patientOp(store.OpCreate, fmt.Sprintf("p%d", i)))
			if err == nil {
				acked[i] = true
			} else if fhir.KindOf(err) != fhir.KindUnavailable {
				t.Errorf("write %d: %v", i, err)
			}
		})
	}
	time.Sleep(time.Millisecond)
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	if _, err := db.Read(t.Context(), "Patient", "p0"); fhir.KindOf(err) != fhir.KindUnavailable {
		t.Fatalf("Read after Close: %v, want unavailable", err)
	}
	db = openTest(t, dir, Options{})
	for i, ok := range acked {
		if _, err := db.Read(t.Context(), "Patient", fmt.Sprintf("p%d", i)); ok && err != nil {
			t.Fatalf("write %d was acknowledged before Close but is missing: %v", i, err)
		}
	}
}

// A cancelled context is reported as the context's error, wrapped.
func TestCancelled(t *testing.T) {
	db := openTest(t, t.TempDir(), Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := db.Apply(ctx, patientOp(store.OpCreate, "p1")); !errors.Is(err, context.Canceled) || fhir.KindOf(err) != fhir.KindInternal {
		t.Fatalf("Apply(cancelled) = %v, want a wrapped context.Canceled", err)
	}
	if _, err := db.Read(ctx, "Patient", "p1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read(cancelled) = %v, want a wrapped context.Canceled", err)
	}
}

// A database written by a newer program is refused, not damaged.
func TestSchemaTooNew(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir, Options{})
	if _, err := db.w.conn.ExecContext(t.Context(), `UPDATE schema_version SET version = 999`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err := Open(t.Context(), dir, Options{}); err == nil {
		db.Close()
		t.Fatal("Open of a database from a newer schema succeeded")
	}
}
