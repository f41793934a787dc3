package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// fixtures are recorded in this order: event i gets seq i+1.
var fixtures = []Event{
	{Time: t0, ClientID: "gp-1", Interaction: "read", Type: "Immunization", Entities: []string{"Immunization/a"}, Patients: []string{"Patient/1"}, Status: 200},
	{Time: t0.Add(time.Minute), ClientID: "gp-1", Interaction: "search-type", Type: "Immunization", Query: "patient=Patient/1", Entities: []string{"Immunization/a", "Immunization/b"}, Patients: []string{"Patient/1", "Patient/2"}, Status: 200},
	{Time: t0.Add(2 * time.Minute), ClientID: "poc-7", Interaction: "create", Type: "Immunization", Entities: []string{"Immunization/c"}, Patients: []string{"Patient/2"}, Status: 201},
	{Time: t0.Add(3 * time.Minute), ClientID: "poc-7", Interaction: "token", Status: 200},
	{Time: t0.Add(4 * time.Minute), ClientID: "gp-1", Interaction: "read", Type: "Patient", Entities: []string{"Patient/3"}, Patients: []string{"Patient/3"}, Status: 200},
	{Time: t0.Add(5 * time.Minute), ClientID: "research", Interaction: "export", Type: "Immunization", Patients: []string{"Patient/1", "Patient/3"}, Status: 200},
	{Time: t0.Add(6 * time.Minute), ClientID: "gp-1", Interaction: "read", Type: "Immunization", Entities: []string{"Immunization/z"}, Status: 404, Outcome: "Not Found"},
}

func recordFixtures(t *testing.T, l *Log) {
	t.Helper()
	for _, e := range fixtures {
		l.Record(e)
	}
	flush(t, l)
}

func seqs(recs []Record) []int64 {
	out := make([]int64, len(recs))
	for i, r := range recs {
		out[i] = r.Seq
	}
	return out
}

func TestSearch(t *testing.T) {
	l := open(t, t.TempDir(), Options{})
	recordFixtures(t, l)
	for _, tc := range []struct {
		name string
		q    Query
		want []int64
	}{
		{"all", Query{}, []int64{1, 2, 3, 4, 5, 6, 7}},
		{"patient", Query{Patient: "Patient/1"}, []int64{1, 2, 6}},
		{"patient and client", Query{Patient: "Patient/3", Client: "gp-1"}, []int64{5}},
		{"client", Query{Client: "poc-7"}, []int64{3, 4}},
		{"type", Query{Type: "Patient"}, []int64{5}},
		{"interaction", Query{Interaction: "read"}, []int64{1, 5, 7}},
		{"type and interaction", Query{Type: "Immunization", Interaction: "read"}, []int64{1, 7}},
		{"since", Query{Since: t0.Add(5 * time.Minute)}, []int64{6, 7}},
		{"until", Query{Until: t0.Add(2 * time.Minute)}, []int64{1, 2}},
		{"range", Query{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, []int64{2, 3}},
		{"descending", Query{Client: "gp-1", Descending: true}, []int64{7, 5, 2, 1}},
		{"after", Query{After: 5}, []int64{6, 7}},
		{"descending after", Query{Patient: "Patient/1", After: 6, Descending: true}, []int64{2, 1}},
		{"no match", Query{Patient: "Patient/9"}, []int64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, next, err := l.Search(context.Background(), tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := seqs(recs); !slices.Equal(got, tc.want) || next != 0 {
				t.Errorf("Search(%+v) = %v, next %d; want %v, next 0", tc.q, got, next, tc.want)
			}
		})
	}
}

func TestSearchReturnsEvents(t *testing.T) {
	l := open(t, t.TempDir(), Options{})
	recordFixtures(t, l)
	recs, _, err := l.Search(context.Background(), Query{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		want := fixtures[i]
		if got := r.Event; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("event %d = %+v, want %+v", r.Seq, got, want)
		}
		wantPrev := Genesis
		if i > 0 {
			wantPrev = recs[i-1].Hash
		}
		if r.Prev != wantPrev {
			t.Errorf("event %d prev = %s, want %s", r.Seq, r.Prev, wantPrev)
		}
	}
	if seq, hash := l.Head(); seq != 7 || hash != recs[6].Hash {
		t.Errorf("Head() = %d, %s; want 7, %s", seq, hash, recs[6].Hash)
	}
}

func TestSearchPages(t *testing.T) {
	// One segment of 25 events, or segments of at most 3 (a batch is cut into segments).
	for _, maxBatch := range []int{0, 3} {
		t.Run(fmt.Sprint("MaxBatch ", maxBatch), func(t *testing.T) { testSearchPages(t, maxBatch) })
	}
}

func testSearchPages(t *testing.T, maxBatch int) {
	l := open(t, t.TempDir(), Options{MaxBatch: maxBatch})
	for i := range 25 {
		l.Record(Event{ClientID: "c", Interaction: "read", Patients: []string{"Patient/p"}, Status: 200, Time: t0.Add(time.Duration(i) * time.Second)})
	}
	flush(t, l)
	for _, desc := range []bool{false, true} {
		for _, by := range []Query{{}, {Patient: "Patient/p"}, {Client: "c"}, {Since: t0}, {Interaction: "read"}} {
			q := by
			q.Count, q.Descending = 10, desc
			var got []int64
			pages := 0
			for {
				recs, next, err := l.Search(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, seqs(recs)...)
				pages++
				if next == 0 {
					break
				}
				q.After = next
			}
			want := make([]int64, 25)
			for i := range want {
				want[i] = int64(i + 1)
			}
			if desc {
				slices.Reverse(want)
			}
			if !slices.Equal(got, want) || pages != 3 {
				t.Errorf("paging %+v: got %v in %d pages, want %v in 3", by, got, pages, want)
			}
		}
	}
}

func TestSearchInvalid(t *testing.T) {
	l := open(t, t.TempDir(), Options{})
	for _, q := range []Query{{Interaction: "peek"}, {After: -1}} {
		if _, _, err := l.Search(context.Background(), q); err == nil || !strings.Contains(err.Error(), "invalid") {
			t.Errorf("Search(%+v) = %v, want an invalid error", q, err)
		}
	}
}

func TestExport(t *testing.T) {
	l := open(t, t.TempDir(), Options{})
	recordFixtures(t, l)
	for _, tc := range []struct {
		since time.Time
		want  int64
	}{{time.Time{}, 7}, {t0.Add(4 * time.Minute), 3}, {t0.Add(time.Hour), 0}} {
		var b strings.Builder
		n, err := l.Export(context.Background(), &b, tc.since)
		lines := strings.Count(b.String(), "\n")
		if err != nil || n != tc.want || int64(lines) != tc.want {
			t.Errorf("Export(since %v) = %d, %v with %d lines; want %d", tc.since, n, err, lines, tc.want)
		}
		for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
			if line != "" && !strings.HasPrefix(line, `{"resourceType":"AuditEvent"`) {
				t.Errorf("Export line %q is not an AuditEvent", line)
			}
		}
	}
}
