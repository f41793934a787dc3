package sqlite

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// Pages after the first are cut from the result as it stood at the first: a resource
// updated meanwhile keeps its place (shown as it was then), one created meanwhile is not
// shown, one deleted meanwhile is left out; the total is today's.
func TestPagingSnapshot(t *testing.T) {
	db := openTest(t, t.TempDir(), Options{})
	put := func(kind store.OpKind, id, birth string) {
		t.Helper()
		r, err := fhir.Decode(fmt.Appendf(nil, `{"resourceType":"Patient","name":[{"family":"Snap"}],"birthDate":%q}`, birth))
		if err != nil {
			t.Fatal(err)
		}
		r.ID = id
		if _, err := db.Apply(t.Context(), store.NewWrite(kind, r, nil)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 6 {
		put(store.OpCreate, fmt.Sprintf("p%d", i), fmt.Sprintf("19%d0-01-01", 4+i))
	}
	q := parseQuery(t, "Patient", "family=snap&_sort=birthdate&_count=2&_total=accurate")
	res, err := db.Search(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res.Records {
		got = append(got, r.ID)
	}
	put(store.OpUpdate, "p0", "2020-01-01") // seen: would come again at the end
	put(store.OpUpdate, "p5", "1900-01-01") // unseen: would be skipped
	put(store.OpCreate, "p6", "1975-01-01") // new: not shown
	if _, err := db.Apply(t.Context(), store.Op{Kind: store.OpDelete, Type: "Patient", ID: "p3"}); err != nil {
		t.Fatal(err)
	}
	var last store.SearchResult
	for res.Next != "" {
		next := *q
		next.Cursor = res.Next
		if res, err = db.Search(t.Context(), &next); err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Records {
			got = append(got, r.ID)
			if r.ID == "p5" && !bytes.Contains(r.JSON, []byte(`"birthDate":"1990-01-01"`)) {
				t.Errorf("p5 is shown as %s, not as it was when paging began", r.JSON)
			}
		}
		last = res
	}
	if want := []string{"p0", "p1", "p2", "p4", "p5"}; !slices.Equal(got, want) {
		t.Errorf("pages gave %v, want %v", got, want)
	}
	if last.Total != 6 {
		t.Errorf("Total on the last page = %d, want today's 6", last.Total)
	}
}
