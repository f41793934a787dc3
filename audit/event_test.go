package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNormalize(t *testing.T) {
	l := open(t, t.TempDir(), Options{})
	many := make([]string, MaxPatients+5)
	for i := range many {
		many[i] = fmt.Sprint("Patient/", i%(MaxPatients+2))
	}
	e := Event{
		Time: time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.FixedZone("x", 3600)), ClientID: "bad\xffutf8",
		Interaction: "search-type", Query: strings.Repeat("é", maxQuery), Patients: many,
		Entities: []string{"Immunization/a", "", "Immunization/a"}, Status: 200,
	}
	l.Record(e)
	l.Record(Event{Interaction: "read", Status: 200}) // no Time: the clock's
	flush(t, l)
	verify(t, l, 2)
	recs, _, err := l.Search(context.Background(), Query{})
	if err != nil {
		t.Fatal(err)
	}
	got := recs[0].Event
	switch {
	case !got.Time.Equal(time.Date(2026, 3, 1, 9, 0, 0, 123e6, time.UTC)) || got.Time.Location() != time.UTC:
		t.Errorf("Time = %v, want 09:00:00.123 UTC", got.Time)
	case got.ClientID != "bad\uFFFDutf8":
		t.Errorf("ClientID = %q", got.ClientID)
	case len(got.Query) > maxQuery || !strings.HasSuffix(got.Query, "é"):
		t.Errorf("Query of %d bytes not cut at a character boundary", len(got.Query))
	case len(got.Patients) != MaxPatients || !slices.Equal(got.Entities, []string{"Immunization/a"}) || !got.Truncated:
		t.Errorf("%d patients, entities %v, truncated %v", len(got.Patients), got.Entities, got.Truncated)
	case !recs[1].Event.Time.Equal(t0):
		t.Errorf("zero Time stored as %v, want the clock's %v", recs[1].Event.Time, t0)
	}
	if recs, _, _ := l.Search(context.Background(), Query{Client: "bad\uFFFDutf8"}); len(recs) != 1 {
		t.Errorf("search by the stored client found %d events", len(recs))
	}
	if e.Entities[2] != "Immunization/a" || e.Patients[0] != "Patient/0" {
		t.Error("the caller's slices were modified")
	}
}
