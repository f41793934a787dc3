package storetest

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// searchData is the generated dataset as the store holds it after writing: the current
// live versions, decoded from the stored JSON (so that meta.lastUpdated and versionId are
// the store's), and the resolver Match follows references through.
type searchData struct {
	recs     map[string]store.Record // "Type/id" → current live record
	objs     map[string]obj          // "Type/id" → its decoded JSON
	byType   map[string][]obj        // live resources per type, by id
	resolver *search.MemResolver
	written  []*genResource
}

// prepare turns one version into the op that writes it, as the service does: decode,
// validate, then store.NewWrite. Every version is written with OpUpdate and its own id,
// so that ids are stable; nil is a deletion.
func prepare(res *genResource, v obj) (store.Op, error) {
	if v == nil {
		return store.Op{Kind: store.OpDelete, Type: res.typ, ID: res.id}, nil
	}
	js, err := json.Marshal(v)
	if err != nil {
		return store.Op{}, err
	}
	r, err := fhir.Decode(js)
	if err != nil {
		return store.Op{}, fmt.Errorf("%s does not decode: %v", res.key(), err)
	}
	if err := fhir.Validate(r); err != nil {
		return store.Op{}, fmt.Errorf("%s is not valid: %v\n%s", res.key(), err, js)
	}
	return store.NewWrite(store.OpUpdate, r, fhir.DefaultUniqueRules), nil
}

// writeSearchData writes the dataset and reads back what the store holds. Each resource's
// versions are written in order; different resources are written concurrently, so that a
// store that commits in groups is not paid one commit per version.
func writeSearchData(t *testing.T, s store.Store) *searchData {
	t.Helper()
	gens := generateSearchData()
	ops := make([][]store.Op, len(gens))
	for i, res := range gens {
		for _, v := range res.versions {
			op, err := prepare(res, v)
			if err != nil {
				t.Fatalf("dataset: %v", err)
			}
			ops[i] = append(ops[i], op)
		}
	}
	const workers = 16
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(ops); i += workers {
				for _, op := range ops[i] {
					if _, err := s.Apply(ctx(t), op); err != nil {
						errs <- fmt.Errorf("Apply(%s %s/%s): %v", opName(op.Kind), op.Type, op.ID, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("writing the dataset: %v", err)
	}
	return loadSearchData(t, s, gens)
}

// loadSearchData reads the current version of every resource written, checking that the
// store kept exactly the ones that end live.
func loadSearchData(t *testing.T, s store.Store, gens []*genResource) *searchData {
	t.Helper()
	d := &searchData{recs: map[string]store.Record{}, objs: map[string]obj{}, byType: map[string][]obj{}, written: gens}
	var all []obj
	for _, res := range gens {
		rec, err := s.Read(ctx(t), res.typ, res.id)
		live := res.current() != nil
		switch {
		case err == nil && live:
		case fhir.KindOf(err) == fhir.KindGone && !live:
			continue
		default:
			t.Fatalf("Read(%s) after writing the dataset: %v (live %v)", res.key(), err, live)
		}
		if want := int64(len(res.versions)); rec.Version != want {
			t.Fatalf("Read(%s).Version = %d, want %d", res.key(), rec.Version, want)
		}
		r, err := fhir.Decode(rec.JSON)
		if err != nil {
			t.Fatalf("stored %s does not decode: %v", res.key(), err)
		}
		d.recs[res.key()] = rec
		d.objs[res.key()] = r.Object
		all = append(all, r.Object)
	}
	for _, o := range sortedByKey(all) {
		typ, _ := typeID(o)
		d.byType[typ] = append(d.byType[typ], o)
	}
	d.resolver = search.NewMemResolver(sortedByKey(all))
	return d
}

// sortedByKey orders resources by type, then id: the order Sort falls back to, and the
// order in which the resolver lists referrers.
func sortedByKey(all []obj) []obj {
	sort.Slice(all, func(i, j int) bool {
		ti, ii := typeID(all[i])
		tj, ij := typeID(all[j])
		if ti != tj {
			return ti < tj
		}
		return ii < ij
	})
	return all
}

func typeID(o obj) (string, string) {
	typ, _ := o["resourceType"].(string)
	id, _ := o["id"].(string)
	return typ, id
}

func keyOf(o obj) string {
	typ, id := typeID(o)
	return typ + "/" + id
}

// summary describes the dataset for the log: live resources per type, and versions and
// deletions written.
func (d *searchData) summary() string {
	versions, deleted := 0, 0
	for _, g := range d.written {
		versions += len(g.versions)
		if g.current() == nil {
			deleted++
		}
	}
	types := make([]string, 0, len(d.byType))
	for typ := range d.byType {
		types = append(types, typ)
	}
	sort.Strings(types)
	s := ""
	for _, typ := range types {
		s += fmt.Sprintf("%s %d, ", typ, len(d.byType[typ]))
	}
	return fmt.Sprintf("%slive; %d resources written in %d versions, %d ending deleted", s, len(d.written), versions, deleted)
}
