package mongo

import (
	"fmt"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// _include and _revinclude: search.Includes over the page's matches, through the
// search's resolver, which reads targets by _id and referrers by their reference keys
// (the rf index) and remembers what it read, so that every included object maps back
// to its stored record.
//
// Includes asks for one resource, or one resource's referrers, at a time. So that a page
// costs a few queries rather than one per resource, it runs in passes: the resolver
// answers what it holds and notes the rest, which is then read in one query per kind
// (fetchDeferred), and the pass is run again, reaching one round of :iterate further
// each time, until nothing is missing. Only the last pass's result is kept.

// maxIncludePasses bounds the passes; past it the resolver reads as Includes asks.
const maxIncludePasses = 8

// includes returns what the query's includes reach from the page, and whether the cap
// (store.MaxIncluded) cut it short.
func (s *searcher) includes(page []match) ([]store.Record, bool, error) {
	if len(page) == 0 || (len(s.q.Include) == 0 && len(s.q.RevInclude) == 0) {
		return nil, false, nil
	}
	objs := make([]map[string]any, len(page))
	for i := range page {
		if page[i].obj == nil {
			r, err := fhir.Decode(page[i].doc.JSON)
			if err != nil {
				return nil, false, err
			}
			page[i].obj = r.Object
		}
		objs[i] = page[i].obj
	}
	// Includes stops at its cap; it never needs more referrers of one resource than the
	// cap and what it has seen (the page and what it included) to know it must.
	s.r.referrerCap = store.MaxIncluded + len(page) + 1
	var inc []map[string]any
	var truncated bool
	for pass := 1; ; pass++ {
		s.r.deferring = pass < maxIncludePasses
		inc, truncated = search.Includes(s.q, objs, s.r, store.MaxIncluded)
		s.r.deferring = false
		if s.r.err != nil {
			return nil, false, s.r.err
		}
		if !s.r.deferred() {
			break
		}
		if err := s.r.fetchDeferred(); err != nil {
			return nil, false, err
		}
	}
	recs := make([]store.Record, len(inc))
	for i, obj := range inc {
		rec, ok := s.r.record(obj)
		if !ok {
			return nil, false, fmt.Errorf("included %s was not read by the resolver", objectKey(obj))
		}
		recs[i] = rec
	}
	return recs, truncated, nil
}
