package mongo

import (
	"context"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// Searches. The compiled filter (compile.go) selects candidates among the live current
// documents of the type; search.Match, run on each candidate's JSON with a resolver over
// the current documents (resolver.go), keeps the matches. The filter is a superset, so
// the results are Match's whatever the filter; it is what makes them fast.
//
// Paging, consistent while writes continue (a resource that matched when paging began is
// returned exactly once):
//   - in id order (no _sort, or _sort=_id), keyset paging on _id: each page reads the
//     candidates after the last id of the previous one, in _id order. Ids do not move, so
//     nothing is skipped or repeated, and nothing is stored between pages. This is the
//     default on MongoDB (Options.Paging); on FerretDB, where a filter reads the whole
//     collection, a page would cost as much as the whole search, so there searches in
//     id order page by a list, as the next case.
//   - in any other order, the first page finds every match, sorts them by search.Sort and,
//     when they do not fit in one page, stores the ordered ids of the rest as a list
//     (search_list.go); later pages read their ids from it by position and return the
//     current version of each that is still live. A sort value that changes after the
//     first page cannot move a resource across the cursor, because the order is fixed.
//
// Total: under _total=none, -1 (unless _summary=count); otherwise the number of matches
// when paging began. It is known without counting when the first page holds every match
// or paging goes by a list; otherwise the first page counts it (the server counts an
// exact filter; else every candidate is matched) and the cursor carries it to the next
// pages. _total=estimate is counted as accurate: a superset's count could be far off.

// Search is store.Store.Search.
func (db *DB) Search(ctx context.Context, q *search.Query) (store.SearchResult, error) {
	const op = "mongo.Search"
	leave, err := db.enter()
	if err != nil {
		return store.SearchResult{}, err
	}
	defer leave()
	var after *searchCursor
	if q.Cursor != "" {
		c, ok := decodeSearchCursor(q.Cursor, q, db.pagingOf(q))
		if !ok {
			return store.SearchResult{}, invalid(op, "the search cursor is not valid for this query")
		}
		after = &c
	}
	s, err := db.newSearcher(ctx, q)
	if err != nil {
		return store.SearchResult{}, translate(op, err)
	}
	res, err := s.result(after)
	if err != nil {
		return store.SearchResult{}, translate(op, err)
	}
	return res, nil
}

// matchIDs returns the ids of at most limit live resources of q.Type that q matches, in
// id order: for conditional interactions.
func (db *DB) matchIDs(ctx context.Context, q *search.Query, limit int) ([]string, error) {
	const op = "mongo.Search"
	s, err := db.newSearcher(ctx, q)
	if err != nil {
		return nil, translate(op, err)
	}
	page, err := s.scanByID("", limit)
	if err != nil {
		return nil, translate(op, err)
	}
	ids := make([]string, len(page))
	for i, m := range page {
		ids[i] = m.doc.RID
	}
	return ids, nil
}

// pagingOf is the kind of cursor q pages by: in id order by _id (unless the options say
// a list), otherwise by a list.
func (db *DB) pagingOf(q *search.Query) cursorKind {
	if idOrder(q) && db.opts.Paging != PagingList {
		return cursorByID
	}
	return cursorList
}

// idOrder says whether q's results are in id order.
func idOrder(q *search.Query) bool {
	switch {
	case len(q.Sort) == 0:
		return true
	case len(q.Sort) == 1 && q.Sort[0].Param != nil && q.Sort[0].Param.Name == "_id" && !q.Sort[0].Descending:
		return true // every resource's _id value is its id: id order
	}
	return false
}

// searcher runs one query.
type searcher struct {
	ctx context.Context
	db  *DB
	q   *search.Query
	r   *resolver
	m   search.Matcher
	// filter selects the candidates: the type, live, and the compiled filters; nil when
	// nothing can match.
	filter bson.D
	exact  bool // filter selects exactly the matches
}

// match is one match: its current document and, once decoded, its object.
type match struct {
	doc currentDoc
	obj map[string]any
}

func (db *DB) newSearcher(ctx context.Context, q *search.Query) (*searcher, error) {
	now := db.now()
	r := newResolver(ctx, db)
	c := compiler{ctx: ctx, db: db, now: now, r: r}
	cd, err := c.query(q)
	if err != nil {
		return nil, err
	}
	return &searcher{ctx: ctx, db: db, q: q, r: r, m: search.Matcher{Resolver: r, Now: now},
		filter: liveFilter(q.Type, cd), exact: cd.exact}, nil
}

// liveFilter is the filter of the live documents of typ that c selects; nil when c
// selects none.
func liveFilter(typ string, c cond) bson.D {
	if c.never {
		return nil
	}
	return append(bson.D{{Key: "type", Value: typ}, {Key: "del", Value: false}}, c.bson()...)
}

func (s *searcher) result(after *searchCursor) (store.SearchResult, error) {
	res := store.SearchResult{Total: -1}
	n := s.q.Count
	if s.q.Summary == search.SummaryCount {
		n = 0
	}
	// total is the number of matches when known without counting: -1 when not.
	total := int64(-1)
	switch {
	case s.filter == nil:
		total = 0
	case after != nil:
		total = after.total
	}
	var page []match
	var err error
	var next *searchCursor
	if n > 0 && s.filter != nil {
		if s.db.pagingOf(s.q) == cursorByID {
			page, next, err = s.idPage(after, n)
			if after == nil && next == nil {
				total = int64(len(page))
			}
		} else {
			page, next, total, err = s.listPage(after, n)
		}
		if err != nil {
			return res, err
		}
	}
	if s.q.Total != search.TotalNone || s.q.Summary == search.SummaryCount {
		if total < 0 {
			if total, err = s.count(); err != nil {
				return res, err
			}
		}
		res.Total = total
	}
	if next != nil {
		if next.kind == cursorByID {
			next.total = total // counted once, on the first page, as a list's
		}
		res.Next = encodeSearchCursor(*next, s.q)
	}
	res.Records = make([]store.Record, len(page))
	for i := range page {
		res.Records[i] = page[i].doc.record()
	}
	res.Included, res.Truncated, err = s.includes(page)
	return res, err
}

// idPage returns up to n matches after the cursor's id, in id order, and the cursor of
// the next page (nil on the last).
func (s *searcher) idPage(after *searchCursor, n int) ([]match, *searchCursor, error) {
	afterID := ""
	if after != nil {
		afterID = after.text
	}
	page, err := s.scanByID(afterID, n+1)
	if err != nil || len(page) <= n {
		return page, nil, err
	}
	page = page[:n]
	return page, &searchCursor{kind: cursorByID, text: page[n-1].doc.RID, total: -1}, nil
}

// Batches of candidates read at a time by scanByID: as many as wanted when every
// candidate matches; otherwise more, growing, since some will not.
const (
	minInexactBatch = 64
	maxBatch        = 4096
)

// scanByID returns the first want matches with ids above afterID, in id order. It reads
// the candidates in batches bounded by a limit, so that the server never sorts more than
// a batch when an index other than _id's serves the filter.
func (s *searcher) scanByID(afterID string, want int) ([]match, error) {
	if s.filter == nil || want <= 0 {
		return nil, nil
	}
	batch := want
	if !s.exact {
		batch = min(max(2*want, minInexactBatch), maxBatch)
	}
	last := resourceID(s.q.Type, afterID)
	var out []match
	for {
		filter := append(append(bson.D{}, s.filter...), bson.E{Key: "_id", Value: bson.D{{Key: "$gt", Value: last}}})
		cur, err := s.db.resources.Find(s.ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).
			SetLimit(int64(batch)).SetProjection(currentFields))
		if err != nil {
			return nil, err
		}
		var docs []currentDoc
		if err := cur.All(s.ctx, &docs); err != nil {
			return nil, err
		}
		got, err := s.matchBatch(docs)
		if err != nil {
			return nil, err
		}
		for _, m := range got {
			if out = append(out, m); len(out) == want {
				return out, nil
			}
		}
		if len(docs) < batch {
			return out, nil
		}
		last = docs[len(docs)-1].ID
		batch = min(2*batch, maxBatch)
	}
}

// checkExact, set by the tests, makes a candidate of an exact filter that Match rejects
// an error: the differential suite then checks every exact filter's claim, on which the
// server's counts rely.
var checkExact bool

// matchBatch decodes a batch of candidates and returns those that match, in order.
// What Match will follow from them through the query's chains and _has is read first,
// for the whole batch at once (prefetchLinks).
func (s *searcher) matchBatch(docs []currentDoc) ([]match, error) {
	objs := make([]map[string]any, len(docs))
	for i := range docs {
		r, err := fhir.Decode(docs[i].JSON)
		if err != nil {
			return nil, err
		}
		objs[i] = r.Object
	}
	if err := s.prefetchLinks(objs); err != nil {
		return nil, err
	}
	var out []match
	for i := range docs {
		ok := s.m.Match(s.q, objs[i])
		if s.r.err != nil {
			return nil, s.r.err
		}
		if !ok && s.exact && checkExact {
			return nil, fmt.Errorf("the filter %v claims to be exact, but Match rejects %s", s.filter, docs[i].ID)
		}
		if ok {
			out = append(out, match{doc: docs[i], obj: objs[i]})
		}
	}
	return out, nil
}

// prefetchLinks reads, in one query per chain and per _has of the query, the resources
// Match will follow from the candidates: the targets of their references, or their
// referrers. Match then finds them in the resolver instead of asking the server once per
// candidate. Deeper links are read as Match reaches them.
func (s *searcher) prefetchLinks(objs []map[string]any) error {
	for i := range s.q.Filters {
		f := &s.q.Filters[i]
		switch {
		case f.Has != nil && f.Has.RefParam != nil:
			wants := make([]referrersWant, len(objs))
			for j, obj := range objs {
				wants[j] = referrersWant{f.Has.Type, f.Has.RefParam, objectKey(obj)}
			}
			if err := s.r.prefetchReferrers(f.Has.Type, wants, maxLinked); err != nil {
				return err
			}
		case f.Chain != nil && f.Param != nil:
			var targets []string
			for _, obj := range objs {
				for _, e := range f.Param.Extract(obj) {
					if e.RefType != "" && e.RefID != "" && !strings.HasSuffix(e.Param, search.OfTypeSuffix) &&
						(f.TargetType == "" || e.RefType == f.TargetType) {
						targets = append(targets, resourceID(e.RefType, e.RefID))
					}
				}
			}
			if err := s.r.prefetch(targets); err != nil {
				return err
			}
		}
	}
	return nil
}

// objectKey is "Type/id" of a decoded resource.
func objectKey(obj map[string]any) string {
	typ, _ := obj["resourceType"].(string)
	id, _ := obj["id"].(string)
	return resourceID(typ, id)
}

// count returns the number of matches: the server's count of an exact filter, or else
// the candidates that Match accepts.
func (s *searcher) count() (int64, error) {
	if s.filter == nil {
		return 0, nil
	}
	if s.exact {
		return s.db.resources.CountDocuments(s.ctx, s.filter)
	}
	var n int64
	err := s.eachMatch(func(match) error { n++; return nil })
	return n, err
}

// eachMatch calls fn with every match, in no particular order, matching the candidates
// in batches.
func (s *searcher) eachMatch(fn func(match) error) error {
	cur, err := s.db.resources.Find(s.ctx, s.filter, options.Find().SetProjection(currentFields).SetBatchSize(maxBatch))
	if err != nil {
		return err
	}
	defer cur.Close(s.ctx)
	docs := make([]currentDoc, 0, maxBatch)
	flush := func() error {
		got, err := s.matchBatch(docs)
		if err != nil {
			return err
		}
		for _, m := range got {
			if err := fn(m); err != nil {
				return err
			}
		}
		docs = docs[:0]
		return nil
	}
	for cur.Next(s.ctx) {
		var d currentDoc
		if err := cur.Decode(&d); err != nil {
			return err
		}
		if docs = append(docs, d); len(docs) == maxBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := cur.Err(); err != nil {
		return err
	}
	return flush()
}

// fetch returns the current live documents of ids, in the order of ids; those no longer
// live are left out.
func (s *searcher) fetch(ids []string) ([]match, error) {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = resourceID(s.q.Type, id)
	}
	docs, err := s.db.readByIDs(s.ctx, keys)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]currentDoc, len(docs))
	for _, d := range docs {
		byID[d.RID] = d
	}
	out := make([]match, 0, len(ids))
	for _, id := range ids {
		if d, ok := byID[id]; ok {
			out = append(out, match{doc: d})
		}
	}
	return out, nil
}
