package storetest

import (
	"fmt"
	"net/url"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// The differential test: every case of the table (search_cases*.go) is parsed as the API
// parses it, evaluated by search.Match over the live resources the store holds, and
// searched in the store page by page; the two must agree on the ids and their order, on
// the total when one is asked for, and page by page on what _include and _revinclude add.

// searchNow is the suite's "now": Parse reads age from it and Match measures date ap
// from it. A backend measures ap from its own clock, which should be Clock(); the table
// has no case whose result changes within a minute after searchNow (TestSearchCases).
var searchNow = time.Date(2025, time.June, 15, 9, 30, 0, 0, time.UTC)

// Clock returns a clock for a backend under this suite: it starts at the suite's fixed
// "now" and advances one millisecond per reading. A backend that measures date ap from its
// own clock then agrees with Match (which measures it from the fixed now) to within the
// few seconds of readings the suite makes, while the lastUpdated instants it stamps stay
// distinct and ordered. A backend on the wall clock disagrees on the ap cases whenever
// the widening (a tenth of the distance to now) moves a boundary across a record.
func Clock() func() time.Time {
	var ticks atomic.Int64
	return func() time.Time { return searchNow.Add(time.Duration(ticks.Add(1)) * time.Millisecond) }
}

var searchParseOptions = search.ParseOptions{Strict: true, DefaultCount: 50, MaxCount: 1000,
	Now: func() time.Time { return searchNow }}

// maxPages stops a backend whose cursors loop.
const maxPages = 2000

func testSearchDifferential(t *testing.T, s store.Store) {
	d := writeSearchData(t, s)
	t.Log(d.summary())
	for _, g := range searchCaseGroups {
		t.Run(g.name, func(t *testing.T) {
			for _, raw := range g.queries {
				t.Run(raw, func(t *testing.T) { d.check(t, s, g.typ, raw) })
			}
		})
	}
}

// parse expands the case's placeholders and parses it in strict mode. A case that does
// not parse is a mistake in the table.
func (d *searchData) parse(t *testing.T, typ, raw string) *search.Query {
	t.Helper()
	expanded, err := d.expand(raw)
	if err != nil {
		t.Fatalf("case %s?%s: %v", typ, raw, err)
	}
	vals, err := url.ParseQuery(expanded)
	if err != nil {
		t.Fatalf("case %s?%s: url.ParseQuery: %v", typ, expanded, err)
	}
	q, err := search.Parse(typ, vals, searchParseOptions)
	if err != nil {
		t.Fatalf("case %s?%s: Parse: %v", typ, expanded, err)
	}
	return q
}

// expect is what the store must return for q: the live resources of q.Type that Match
// accepts, in the order of search.Sort.
func (d *searchData) expect(q *search.Query) []obj {
	return d.expectAt(q, searchNow)
}

func (d *searchData) expectAt(q *search.Query, now time.Time) []obj {
	m := search.Matcher{Resolver: d.resolver, Now: now}
	var out []obj
	for _, o := range d.byType[q.Type] {
		if m.Match(q, o) {
			out = append(out, o)
		}
	}
	search.Sort(q.Sort, out)
	return out
}

// searchPage is one call of Search, as the differential test makes it.
type searchPage struct {
	res store.SearchResult
	q   *search.Query
}

// pages follows q's pages to the end.
func pages(t *testing.T, s store.Store, q *search.Query) []searchPage {
	t.Helper()
	var out []searchPage
	cur := *q
	for n := 0; ; n++ {
		if n == maxPages {
			t.Fatalf("Search(%s) has more than %d pages: do its cursors loop?", describe(q), maxPages)
		}
		pq := cur
		res, err := s.Search(ctx(t), &pq)
		if err != nil {
			t.Fatalf("Search(%s) page %d: %v", describe(q), n+1, err)
		}
		out = append(out, searchPage{res, &pq})
		if res.Next == "" {
			return out
		}
		cur.Cursor = res.Next
	}
}

// check runs one case.
func (d *searchData) check(t *testing.T, s store.Store, typ, raw string) {
	q := d.parse(t, typ, raw)
	want := d.expect(q)
	ps := pages(t, s, q)
	var got []string
	for i, p := range ps {
		if q.Summary != search.SummaryCount && len(p.res.Records) > q.Count {
			t.Errorf("page %d has %d records, more than _count %d", i+1, len(p.res.Records), q.Count)
		}
		if len(p.res.Records) == 0 && p.res.Next != "" {
			t.Errorf("page %d is empty but has a next page", i+1)
		}
		for _, rec := range p.res.Records {
			got = append(got, rec.Type+"/"+rec.ID)
			d.checkRecord(t, rec)
		}
		if len(q.Include) > 0 || len(q.RevInclude) > 0 {
			d.checkIncluded(t, q, i, p.res)
		} else if len(p.res.Included) > 0 {
			t.Errorf("page %d includes %d resources, but the query has no _include or _revinclude", i+1, len(p.res.Included))
		}
	}
	wantIDs := make([]string, len(want))
	for i, o := range want {
		wantIDs[i] = keyOf(o)
	}
	if q.Summary == search.SummaryCount {
		if len(got) > 0 {
			t.Errorf("_summary=count returned %d records, want none", len(got))
		}
	} else if diff := firstDiff(got, wantIDs); diff != "" {
		t.Errorf("Search(%s?%s) differs from search.Match: %s\n got  (%d) %v\n want (%d) %v", typ, raw, diff, len(got), got, len(wantIDs), wantIDs)
	}
	if q.Total == search.TotalAccurate || q.Summary == search.SummaryCount {
		for i, p := range ps {
			if p.res.Total != int64(len(want)) {
				t.Errorf("Search(%s?%s) page %d: Total = %d, want %d", typ, raw, i+1, p.res.Total, len(want))
			}
		}
	}
}

// checkRecord checks that a returned record is the current live version.
func (d *searchData) checkRecord(t *testing.T, rec store.Record) {
	t.Helper()
	cur, ok := d.recs[rec.Type+"/"+rec.ID]
	switch {
	case !ok:
		t.Errorf("returned %s/%s, which is not live", rec.Type, rec.ID)
	case rec.Deleted || rec.Version != cur.Version || string(rec.JSON) != string(cur.JSON):
		t.Errorf("returned %s/%s version %d (deleted %v), want the current version %d", rec.Type, rec.ID, rec.Version, rec.Deleted, cur.Version)
	}
}

// checkIncluded compares one page's Included (as a set) with search.Includes over the
// page's matches.
func (d *searchData) checkIncluded(t *testing.T, q *search.Query, page int, res store.SearchResult) {
	t.Helper()
	var matches []obj
	for _, rec := range res.Records {
		if o, ok := d.objs[rec.Type+"/"+rec.ID]; ok {
			matches = append(matches, o)
		}
	}
	inc, truncated := search.Includes(q, matches, d.resolver, store.MaxIncluded)
	want := make([]string, len(inc))
	for i, o := range inc {
		want[i] = keyOf(o)
	}
	got := make([]string, 0, len(res.Included))
	for _, rec := range res.Included {
		got = append(got, rec.Type+"/"+rec.ID)
		d.checkRecord(t, rec)
	}
	if dup := duplicate(got); dup != "" {
		t.Errorf("page %d includes %s twice", page+1, dup)
	}
	if truncated != res.Truncated {
		t.Errorf("page %d: Truncated = %v, want %v", page+1, res.Truncated, truncated)
	}
	if truncated {
		// Which resources a capped page keeps is the backend's choice: only the count is fixed.
		if len(got) != len(want) {
			t.Errorf("page %d: %d resources included under the cap, want %d", page+1, len(got), len(want))
		}
		return
	}
	slices.Sort(got)
	slices.Sort(want)
	if diff := firstDiff(got, want); diff != "" {
		t.Errorf("page %d: Included differs from search.Includes: %s\n got  (%d) %v\n want (%d) %v", page+1, diff, len(got), got, len(want), want)
	}
}

// firstDiff describes the first difference between two id lists, or "".
func firstDiff(got, want []string) string {
	for i := 0; i < len(got) || i < len(want); i++ {
		switch {
		case i >= len(got):
			return fmt.Sprintf("missing %s at position %d", want[i], i)
		case i >= len(want):
			return fmt.Sprintf("unexpected %s at position %d", got[i], i)
		case got[i] != want[i]:
			return fmt.Sprintf("at position %d got %s, want %s", i, got[i], want[i])
		}
	}
	return ""
}

func duplicate(list []string) string {
	seen := make(map[string]bool, len(list))
	for _, k := range list {
		if seen[k] {
			return k
		}
		seen[k] = true
	}
	return ""
}

// describe renders a query for a message.
func describe(q *search.Query) string {
	return q.Type + "?" + q.Encode().Encode()
}
