package sqlite

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// No parameter of the table is a number or a quantity yet, so the differential suite
// cannot reach compile_number.go: this test does, with a quantity parameter of its own,
// against search.Match.
func TestNumberFilters(t *testing.T) {
	param := &search.Param{Name: "value-quantity", Type: search.TypeQuantity, Extract: func(obj map[string]any) []search.Entry {
		m, _ := obj["valueQuantity"].(map[string]any)
		n, ok := m["value"].(json.Number)
		if !ok {
			return nil
		}
		v, lo, hi, ok := search.DecimalRange(n.String())
		if !ok {
			return nil
		}
		sys, _ := m["system"].(string)
		code, _ := m["code"].(string)
		return []search.Entry{{Param: "value-quantity", Number: v, NumLow: lo, NumHigh: hi, System: sys, Code: code}}
	}}
	db := openTest(t, t.TempDir(), Options{})
	values := []string{"0", "0.5", "1", "1.0", "1.04", "1.06", "5", "5.4", "5.45", "9.9", "10", "10.5", "100", "-3", "1e2", "1000"}
	var objs []map[string]any
	for i, v := range values {
		for j, unit := range []string{`"system":"http://unitsofmeasure.org","code":"mg"`, `"code":"mg"`, `"system":"http://unitsofmeasure.org","code":"g"`} {
			id := fmt.Sprintf("o%02d-%d", i, j)
			js := fmt.Sprintf(`{"resourceType":"Observation","id":%q,"valueQuantity":{"value":%s,%s}}`, id, v, unit)
			r, err := fhir.Decode([]byte(js))
			if err != nil {
				t.Fatal(err)
			}
			op := store.Op{Kind: store.OpCreate, Type: "Observation", ID: id, JSON: r.JSON, Entries: param.Extract(r.Object)}
			if _, err := db.Apply(t.Context(), op); err != nil {
				t.Fatal(err)
			}
			objs = append(objs, r.Object)
		}
	}
	obs := []map[string]any{{"resourceType": "Observation", "id": "none"}} // no value: matches no prefix
	if _, err := db.Apply(t.Context(), store.Op{Kind: store.OpCreate, Type: "Observation", ID: "none", JSON: []byte(`{"resourceType":"Observation"}`)}); err != nil {
		t.Fatal(err)
	}
	objs = append(objs, obs...)
	prefixes := map[string]search.Prefix{"": search.PrefixEq, "ne": search.PrefixNe, "gt": search.PrefixGt, "lt": search.PrefixLt,
		"ge": search.PrefixGe, "le": search.PrefixLe, "sa": search.PrefixSa, "eb": search.PrefixEb, "ap": search.PrefixAp}
	for _, raw := range []string{"1", "1.0", "5.4", "10", "100", "1e2", "0", "-3", "9.9"} {
		for name, x := range prefixes {
			for _, unit := range []string{"", "|http://unitsofmeasure.org|mg", "||mg", "|http://example.org|mg"} {
				n, lo, hi, _ := search.DecimalRange(raw)
				v := search.Value{Raw: name + raw + unit, Prefix: x, Number: n, NumLow: lo, NumHigh: hi, AnySystem: true, AnyCode: unit == ""}
				if unit != "" {
					parts := strings.Split(unit, "|")
					v.System, v.Code, v.AnySystem, v.AnyCode = parts[1], parts[2], parts[1] == "", false
				}
				q := &search.Query{Type: "Observation", Count: 100, Filters: []search.Filter{{Param: param, Values: []search.Value{v}}}}
				var want []string
				for _, o := range objs {
					if search.Match(q, o) {
						want = append(want, o["id"].(string))
					}
				}
				slices.Sort(want)
				res, err := db.Search(t.Context(), q)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range res.Records {
					got = append(got, r.ID)
				}
				if !slices.Equal(got, want) {
					t.Errorf("value-quantity=%s: got %v, want %v", v.Raw, got, want)
				}
			}
		}
	}
}
