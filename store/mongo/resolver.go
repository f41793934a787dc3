package mongo

import (
	"context"
	"errors"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	mdb "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// resolver is the search.Resolver of one search: how Match follows chains and _has, and
// how search.Includes reaches what a page includes, over the current documents. It
// remembers every document it read, so that a target shared by many candidates (their
// patient, their practice) is read once, and so that an included object can be turned
// back into a store.Record.
//
// Reads are batched where the caller allows it: prefetch and prefetchReferrers read what
// many later calls will ask for in one query each, and in deferring mode (see
// includes) a call the resolver cannot answer from memory is noted instead of read, to
// be read with the others of its pass by fetchDeferred.
//
// search.Resolver has no error result: the first error is kept in err, and the search
// fails with it once Match or Includes returns (a failed read must not pass as "no
// such resource", which would silently drop matches).
type resolver struct {
	ctx  context.Context
	db   *DB
	docs map[string]*resolved // "Type/id" → the current live document; nil: none
	refs map[referrersKey][]map[string]any
	// referrerCap, when positive, bounds what Referrers returns: search.Includes needs
	// no more than its cap plus what it has seen to know that it must truncate.
	referrerCap int
	// deferring: calls not answerable from memory are noted in wantDocs and wantRefs
	// and answered as if there were nothing.
	deferring bool
	wantDocs  []string
	wantRefs  []referrersWant
	err       error
}

type resolved struct {
	doc currentDoc
	obj map[string]any
}

type referrersKey struct {
	typ, param, target string
	cap                int
}

// referrersWant is a Referrers call put off: the referrers of typ through param of
// target ("Type/id").
type referrersWant struct {
	typ    string
	param  *search.Param
	target string
}

var _ search.Resolver = (*resolver)(nil)

func newResolver(ctx context.Context, db *DB) *resolver {
	return &resolver{ctx: ctx, db: db, docs: map[string]*resolved{}, refs: map[referrersKey][]map[string]any{}}
}

// fail keeps the first error.
func (r *resolver) fail(err error) {
	if r.err == nil && err != nil {
		r.err = err
	}
}

// Resolve returns the current live version of typ/id.
func (r *resolver) Resolve(typ, id string) (map[string]any, bool) {
	key := resourceID(typ, id)
	if got, ok := r.docs[key]; ok {
		return objOf(got)
	}
	if r.err != nil {
		return nil, false
	}
	if r.deferring {
		r.wantDocs = append(r.wantDocs, key)
		return nil, false
	}
	if err := r.prefetch([]string{key}); err != nil {
		r.fail(err)
		return nil, false
	}
	return objOf(r.docs[key])
}

func objOf(got *resolved) (map[string]any, bool) {
	if got == nil {
		return nil, false
	}
	return got.obj, true
}

// Referrers returns the live resources of typ whose param has a local reference to
// targetType/targetID, in id order: those holding the reference key (index.go).
func (r *resolver) Referrers(typ string, param *search.Param, targetType, targetID string) []map[string]any {
	if param == nil || r.err != nil {
		return nil
	}
	target := resourceID(targetType, targetID)
	if got, ok := r.refs[referrersKey{typ, param.Name, target, r.referrerCap}]; ok {
		return got
	}
	if r.deferring {
		r.wantRefs = append(r.wantRefs, referrersWant{typ, param, target})
		return nil
	}
	if err := r.readReferrers(typ, param, target); err != nil {
		r.fail(err)
		return nil
	}
	return r.refs[referrersKey{typ, param.Name, target, r.referrerCap}]
}

// readReferrers reads the referrers of one target (at most referrerCap, when set).
func (r *resolver) readReferrers(typ string, param *search.Param, target string) error {
	ttyp, tid, _ := strings.Cut(target, "/")
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetProjection(currentFields)
	if r.referrerCap > 0 {
		opts.SetLimit(int64(r.referrerCap))
	}
	cur, err := r.db.resources.Find(r.ctx, bson.D{{Key: "type", Value: typ}, {Key: "del", Value: false},
		{Key: fieldRef, Value: localRefKey(param.Name, ttyp, tid)}}, opts)
	if err != nil {
		return err
	}
	defer cur.Close(r.ctx)
	out := []map[string]any{}
	for cur.Next(r.ctx) {
		var d currentDoc
		if err := cur.Decode(&d); err != nil {
			return err
		}
		got, err := r.remember(&d)
		if err != nil {
			return err
		}
		out = append(out, got.obj)
	}
	if err := cur.Err(); err != nil {
		return err
	}
	r.refs[referrersKey{typ, param.Name, target, r.referrerCap}] = out
	return nil
}

// remember decodes a live current document and keeps it (a version already kept wins,
// so that one search sees one version of each resource).
func (r *resolver) remember(d *currentDoc) (*resolved, error) {
	key := resourceID(d.Type, d.RID)
	if got := r.docs[key]; got != nil {
		return got, nil
	}
	res, err := fhir.Decode(d.JSON)
	if err != nil {
		return nil, err
	}
	got := &resolved{doc: *d, obj: res.Object}
	r.docs[key] = got
	return got, nil
}

// record returns the stored record of an object the resolver handed out.
func (r *resolver) record(obj map[string]any) (store.Record, bool) {
	got := r.docs[objectKey(obj)]
	if got == nil {
		return store.Record{}, false
	}
	return got.doc.record(), true
}

// deferred reports whether the last pass put off any call.
func (r *resolver) deferred() bool { return len(r.wantDocs) > 0 || len(r.wantRefs) > 0 }

// fetchDeferred reads what the calls put off asked for: the documents in one query, the
// referrers in one query per type (or target by target, when there are too many to
// read at once).
func (r *resolver) fetchDeferred() error {
	docs, refs := r.wantDocs, r.wantRefs
	r.wantDocs, r.wantRefs = nil, nil
	if err := r.prefetch(docs); err != nil {
		return err
	}
	byType := map[string][]referrersWant{}
	for _, w := range refs {
		byType[w.typ] = append(byType[w.typ], w)
	}
	limit := r.referrerCap
	if limit <= 0 {
		limit = maxLinked
	}
	for typ, wants := range byType {
		if err := r.prefetchReferrers(typ, wants, limit); err != nil {
			return err
		}
		for _, w := range wants {
			if _, ok := r.refs[referrersKey{typ, w.param.Name, w.target, r.referrerCap}]; !ok {
				if err := r.readReferrers(typ, w.param, w.target); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// prefetch reads the documents of keys ("Type/id") not yet known, so that the Resolve
// calls that follow are answered from memory.
func (r *resolver) prefetch(keys []string) error {
	var want []string
	for _, k := range keys {
		if _, known := r.docs[k]; !known {
			want = append(want, k)
			r.docs[k] = nil // none, unless it is found
		}
	}
	docs, err := r.db.readByIDs(r.ctx, want)
	if err != nil {
		return err
	}
	for i := range docs {
		if _, err := r.remember(&docs[i]); err != nil {
			return err
		}
	}
	return nil
}

// A few documents are read one by one by _id, concurrently, rather than by one $in: a
// bare _id is the cheapest lookup on every server (on FerretDB v1.24 the only one that
// does not read the whole collection), and concurrent lookups cost about one round trip.
const (
	fewIDs        = 32
	lookupWorkers = 8
)

// readByIDs returns the live current documents of keys ("Type/id"), in no particular
// order.
func (db *DB) readByIDs(ctx context.Context, keys []string) ([]currentDoc, error) {
	if len(keys) > fewIDs {
		return db.readByIn(ctx, keys)
	}
	docs := make([]currentDoc, len(keys))
	errs := make([]error, len(keys))
	sem := make(chan struct{}, lookupWorkers)
	var wg sync.WaitGroup
	for i, k := range keys {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			err := db.resources.FindOne(ctx, bson.D{{Key: "_id", Value: k}}, options.FindOne().SetProjection(currentFields)).Decode(&docs[i])
			if !errors.Is(err, mdb.ErrNoDocuments) {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	live := docs[:0]
	for i := range docs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if docs[i].ID != "" && !docs[i].Del {
			live = append(live, docs[i])
		}
	}
	return live, nil
}

// readByIn is readByIDs in one query.
func (db *DB) readByIn(ctx context.Context, keys []string) ([]currentDoc, error) {
	cur, err := db.resources.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: keys}}}, {Key: "del", Value: false}},
		options.Find().SetProjection(currentFields))
	if err != nil {
		return nil, err
	}
	var docs []currentDoc
	err = cur.All(ctx, &docs)
	return docs, err
}

// prefetchReferrers reads, in one query, the referrers of typ that wants ask for (each a
// parameter and a target), and answers the Referrers calls for them from memory. When
// there are more than limit in all, it leaves them to Referrers, target by target.
func (r *resolver) prefetchReferrers(typ string, wants []referrersWant, limit int) error {
	keys := make(bson.A, 0, len(wants))
	byKey := map[string]referrersWant{}
	for _, w := range wants {
		if _, known := r.refs[referrersKey{typ, w.param.Name, w.target, r.referrerCap}]; known {
			continue
		}
		ttyp, tid, _ := strings.Cut(w.target, "/")
		k := localRefKey(w.param.Name, ttyp, tid)
		if _, dup := byKey[k]; !dup {
			byKey[k] = w
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).
		SetProjection(append(bson.D{{Key: fieldRef, Value: 1}}, currentFields...)).SetLimit(int64(limit) + 1)
	cur, err := r.db.resources.Find(r.ctx, bson.D{{Key: "type", Value: typ}, {Key: "del", Value: false},
		{Key: fieldRef, Value: bson.D{{Key: "$in", Value: keys}}}}, opts)
	if err != nil {
		return err
	}
	defer cur.Close(r.ctx)
	lists := map[string][]map[string]any{}
	n := 0
	for cur.Next(r.ctx) {
		if n++; n > limit {
			return nil // too many to hold: Referrers reads them target by target
		}
		var d currentDoc
		var refs struct {
			Keys []string `bson:"rf"`
		}
		if err := cur.Decode(&d); err != nil {
			return err
		}
		if err := cur.Decode(&refs); err != nil {
			return err
		}
		got, err := r.remember(&d)
		if err != nil {
			return err
		}
		for _, k := range refs.Keys {
			if _, ok := byKey[k]; ok {
				lists[k] = append(lists[k], got.obj)
			}
		}
	}
	if err := cur.Err(); err != nil {
		return err
	}
	for k, w := range byKey { // every list is complete, empty ones too
		list := lists[k]
		if list == nil {
			list = []map[string]any{}
		}
		if r.referrerCap > 0 && len(list) > r.referrerCap {
			list = list[:r.referrerCap]
		}
		r.refs[referrersKey{typ, w.param.Name, w.target, r.referrerCap}] = list
	}
	return nil
}
