package storetest

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// Paging while writes continue (issue 3 §5): a client following next links must see
// every resource that matched when it started, and none twice, whatever is written
// between its page fetches. New resources may or may not appear.

// pagingScenario is one search followed page by page, with writes after the first
// and second pages.
type pagingScenario struct {
	name   string
	family string // the scenario's own patients, so that scenarios do not disturb each other
	query  string // besides family=…
	// writes returns the writes to make after page n (1-based) given the ids seen so
	// far and those not yet seen, in the order of the result.
	writes func(n int, seen, unseen []string) []pagingWrite
}

// pagingWrite is an update (or, with a new id, a create) of a scenario patient: its
// given name and birth date change, and it still matches.
type pagingWrite struct {
	id, given, birthDate string
}

// pagingMatching is how many patients each scenario starts with.
const pagingMatching = 12

var pagingScenarios = []pagingScenario{
	{"ById", "Pagera", "_count=3", func(n int, seen, unseen []string) []pagingWrite {
		if n == 1 {
			return []pagingWrite{{"pga-00", "New", "1990-01-01"}, {"pga-99", "New", "1990-01-01"}, {seen[0], "Updated", "1950-01-01"}}
		}
		return []pagingWrite{{seen[len(seen)-1], "Again", "1951-01-01"}}
	}},
	{"ByBirthDate", "Pagerb", "_sort=birthdate&_count=3", func(n int, seen, unseen []string) []pagingWrite {
		if n == 1 { // a seen one moves past the cursor; a new one sorts first
			return []pagingWrite{{"pgb-new", "New", "1900-01-01"}, {seen[1], "Moved", "2024-12-31"}}
		}
		return []pagingWrite{{seen[len(seen)-1], "MovedToo", "2024-12-30"}}
	}},
	{"ByLastUpdatedDescending", "Pagerc", "_sort=-_lastUpdated&_count=3", func(n int, seen, unseen []string) []pagingWrite {
		return []pagingWrite{{fmt.Sprintf("pgc-new%d", n), "New", "1990-01-01"}, {seen[0], fmt.Sprintf("Updated%d", n), "1990-01-01"}}
	}},
	{"ByLastUpdatedAscending", "Pagerd", "_sort=_lastUpdated&_count=3", func(n int, seen, unseen []string) []pagingWrite {
		// An update moves a seen resource to the end of the order: it must not come again.
		return []pagingWrite{{fmt.Sprintf("pgd-new%d", n), "New", "1990-01-01"}, {seen[len(seen)-1], fmt.Sprintf("Updated%d", n), "1990-01-01"}}
	}},
	{"UnseenMovesBehind", "Pagere", "_sort=birthdate&_count=3", func(n int, seen, unseen []string) []pagingWrite {
		// An update moves a resource not yet seen before the cursor: it must not be skipped.
		if len(unseen) == 0 {
			return nil
		}
		return []pagingWrite{{unseen[len(unseen)-1], "Early", "1900-01-0" + fmt.Sprint(n)}}
	}},
	{"ByFamilyGivenWithTotal", "Pagerf", "_sort=-given,_id&_total=accurate&_count=4", func(n int, seen, unseen []string) []pagingWrite {
		return []pagingWrite{{"pgf-new", "Zzz", "1990-01-01"}, {seen[0], "Aaa", "1990-01-01"}}
	}},
}

func pagingPatient(family, id, given, birthDate string) *genResource {
	return &genResource{typ: "Patient", id: id, versions: []obj{{"resourceType": "Patient", "id": id,
		"name": arr{obj{"family": family, "given": arr{given}}}, "birthDate": birthDate}}}
}

func writePaging(t *testing.T, s store.Store, family string, w pagingWrite) {
	t.Helper()
	res := pagingPatient(family, w.id, w.given, w.birthDate)
	op, err := prepare(res, res.current())
	if err != nil {
		t.Fatal(err)
	}
	apply(t, s, op)
}

func testSearchPagingWhileWriting(t *testing.T, s store.Store) {
	for _, sc := range pagingScenarios {
		prefix := "pg" + sc.family[len(sc.family)-1:] + "-"
		for i := range pagingMatching {
			// Birth dates out of id order, so that the sorted scenarios differ from ById.
			writePaging(t, s, sc.family, pagingWrite{fmt.Sprintf("%s%02d", prefix, i+1), fmt.Sprintf("G%02d", (i*5)%pagingMatching), fmt.Sprintf("19%02d-06-01", 40+(i*7)%pagingMatching)})
		}
		writePaging(t, s, sc.family+"x", pagingWrite{prefix + "other", "Other", "1980-01-01"})
	}
	for _, sc := range pagingScenarios {
		t.Run(sc.name, func(t *testing.T) { checkPagingScenario(t, s, sc) })
	}
}

func checkPagingScenario(t *testing.T, s store.Store, sc pagingScenario) {
	vals, err := url.ParseQuery("family:exact=" + sc.family + "&" + sc.query)
	if err != nil {
		t.Fatal(err)
	}
	q, err := search.Parse("Patient", vals, searchParseOptions)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	// The resources at the start, in result order, from a complete first run.
	var start []string
	for _, p := range pages(t, s, q) {
		for _, r := range p.res.Records {
			start = append(start, r.ID)
		}
	}
	if len(start) != pagingMatching {
		t.Fatalf("before any write, %s found %d patients (%v), want %d", sc.query, len(start), start, pagingMatching)
	}
	seen := map[string]int{}
	var order []string
	cur := *q
	for n := 1; ; n++ {
		if n > maxPages {
			t.Fatalf("more than %d pages", maxPages)
		}
		pq := cur
		res, err := s.Search(ctx(t), &pq)
		if err != nil {
			t.Fatalf("Search page %d: %v", n, err)
		}
		for _, r := range res.Records {
			seen[r.ID]++
			order = append(order, r.ID)
		}
		if res.Next == "" {
			break
		}
		var unseen []string
		for _, id := range start {
			if seen[id] == 0 {
				unseen = append(unseen, id)
			}
		}
		for _, w := range sc.writes(n, order, unseen) {
			writePaging(t, s, sc.family, w)
		}
		cur.Cursor = res.Next
	}
	for id, k := range seen {
		if k > 1 {
			t.Errorf("%s: %s returned %d times across pages: %v", sc.query, id, k, order)
		}
	}
	for _, id := range start {
		if seen[id] == 0 {
			t.Errorf("%s: %s, a match when paging began, was skipped: got %v, at the start %v", sc.query, id, order, start)
		}
	}
}
