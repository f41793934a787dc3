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

// A body parses back to the event it encodes, bodyPatients agrees with it, and a body
// cut short or followed by anything does not parse.
func TestBodyRoundTrip(t *testing.T) {
	for _, e := range append(slices.Clone(fixtures), benchEvent, Event{Time: t0, Interaction: "token", Status: -1, Truncated: true}) {
		normalize(&e)
		b := appendBody(nil, &e)
		r, err := parseBody(b)
		if err != nil {
			t.Fatalf("parseBody(appendBody(%+v)): %v", e, err)
		}
		if got := r.event(); fmt.Sprint(got) != fmt.Sprint(e) {
			t.Errorf("round trip = %+v, want %+v", got, e)
		}
		if ps, ok := bodyPatients(b); !ok || !slices.Equal(ps.strings(), e.Patients) {
			t.Errorf("bodyPatients = %v, %v; want %v", ps.strings(), ok, e.Patients)
		}
		for _, bad := range [][]byte{b[:len(b)-1], append(slices.Clone(b), 0), {}, append([]byte{2}, b[1:]...)} {
			if _, err := parseBody(bad); err == nil {
				t.Errorf("parseBody(%q) = nil error", bad)
			}
		}
	}
}

// Nothing stored can make the decoders of bodies, segments and index blocks panic:
// Verify reads what anyone may have written.
func FuzzDecoders(f *testing.F) {
	e := benchEvent
	normalize(&e)
	body := appendBody(nil, &e)
	f.Add(body)
	f.Add(appendSegmentData(nil, body, 0, []int{len(body)}, make([]byte, 32)))
	var block []byte
	bw := blockWriter{run: 1, emit: func(_, data []byte) error { block = slices.Clone(data); return nil }}
	bw.add([]byte("Patient/1"), 1)
	bw.add([]byte("Patient/10"), 3)
	bw.flush()
	f.Add(block)
	f.Fuzz(func(t *testing.T, data []byte) {
		if r, err := parseBody(data); err == nil {
			r.event()
		}
		if ps, ok := bodyPatients(data); ok {
			ps.strings()
		}
		s := segment{first: 1, last: 1, data: data}
		if s.parse() == nil {
			for i := range s.n() {
				s.body(i)
				s.hash(i)
			}
		}
		for r := newBlockReader(data, 1); r.next(); {
		}
	})
}
