package storetest

import (
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// TestSearchCases checks the table without a store: every case parses in strict mode;
// over the generated dataset (stamped as a store would) no group is degenerate; and no
// case depends on the exact "now" (Clock drifts a millisecond per reading, so a backend
// measures date ap from a now a little after searchNow). With -v it lists how many
// resources each case matches.
func TestSearchCases(t *testing.T) {
	d := syntheticSearchData(t)
	n := 0
	for _, g := range searchCaseGroups {
		t.Run(g.name, func(t *testing.T) {
			some := 0
			for _, raw := range g.queries {
				q := d.parse(t, g.typ, raw)
				want := d.expect(q)
				if later := d.expectAt(q, searchNow.Add(time.Minute)); len(later) != len(want) {
					t.Errorf("case %s?%s matches %d resources at searchNow but %d a minute later", g.typ, raw, len(want), len(later))
				}
				if len(want) > 0 {
					some++
				}
				t.Logf("%4d  %s?%s", len(want), g.typ, raw)
				n++
			}
			if some == 0 {
				t.Errorf("no case of %s matches anything", g.name)
			}
		})
	}
	t.Logf("%d cases; %s", n, d.summary())
}

// syntheticSearchData is the dataset as a store would hold it, stamped by hand.
func syntheticSearchData(t *testing.T) *searchData {
	gens := generateSearchData()
	d := &searchData{recs: map[string]store.Record{}, objs: map[string]obj{}, byType: map[string][]obj{}, written: gens}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var all []obj
	for i, g := range gens {
		cur := g.current()
		if cur == nil {
			continue
		}
		op, err := prepare(g, cur)
		if err != nil {
			t.Fatal(err)
		}
		lu := at.Add(time.Duration(i) * time.Millisecond)
		js, err := fhir.Stamp(op.JSON, g.id, int64(len(g.versions)), lu)
		if err != nil {
			t.Fatal(err)
		}
		r, err := fhir.Decode(js)
		if err != nil {
			t.Fatal(err)
		}
		d.recs[g.key()] = store.Record{Type: g.typ, ID: g.id, Version: int64(len(g.versions)), LastUpdated: lu, JSON: js}
		d.objs[g.key()] = r.Object
		all = append(all, r.Object)
	}
	for _, o := range sortedByKey(all) {
		typ, _ := typeID(o)
		d.byType[typ] = append(d.byType[typ], o)
	}
	d.resolver = search.NewMemResolver(sortedByKey(all))
	return d
}
