package mongo

import (
	"context"
	"errors"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mdb "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// The protocol of one write, without multi-document transactions:
//
//  1. claim the business keys the new version holds (keys/{key} inserts, keys.go);
//  2. insert versions/{type}/{id}/{v+1}: the linearisation point. Of two writers who
//     read version v, one inserts v+1 and the other gets a duplicate key: an If-Match
//     failure, or a retry for an unconditional update;
//  3. commit: release the keys the previous version held and this one does not, append
//     to the change log (seq.go), stamp the version with its position, and replace the
//     current document (resources/{type}/{id}) with a filter on the version, so that it
//     never goes back.
//
// Until step 3 stamps it, a version is in flight: readers by id and searches read the
// current document, so they do not see it, and the next writer of the resource waits for
// it. A version in flight for longer than abandonAfter belongs to a writer that died (a
// write's calls are bounded by Options.Timeout, far less): the next writer finishes it,
// or, when it belongs to a transaction that never decided, removes it (transaction.go).

// abandonAfter is how long a version may stay in flight before another writer takes it
// for abandoned. It is wall-clock time, not the store's clock.
var abandonAfter = 2 * time.Minute

// errBusy is a write that found the resource's latest version in flight.
var errBusy = errors.New("the resource is being written")

// prev is what a writer knows of a resource before writing: its latest version.
type prev struct {
	exists bool
	live   bool
	doc    versionDoc // when exists
}

// latest reads the latest version of typ/id, finishing (or clearing) an abandoned one. A
// version in flight of the transaction txn is the writer's own and counts as latest.
func (db *DB) latest(ctx context.Context, typ, id, txn string) (prev, error) {
	for {
		var d versionDoc
		err := db.versions.FindOne(ctx, bson.D{{Key: "type", Value: typ}, {Key: "id", Value: id}},
			options.FindOne().SetSort(bson.D{{Key: "v", Value: -1}})).Decode(&d)
		if errors.Is(err, mdb.ErrNoDocuments) {
			return prev{}, nil
		}
		if err != nil {
			return prev{}, err
		}
		if d.Seq > 0 || (txn != "" && d.Txn == txn) {
			return prev{exists: true, live: !d.Del, doc: d}, nil
		}
		again, err := db.settle(ctx, &d)
		if err != nil {
			return prev{}, err
		}
		if !again {
			return prev{}, errBusy
		}
	}
}

// settle decides a version found in flight: it finishes or removes it when its writer
// is gone, and reports whether the caller should read again.
func (db *DB) settle(ctx context.Context, d *versionDoc) (again bool, err error) {
	if d.Txn != "" {
		return db.settleTxn(ctx, d)
	}
	if time.Since(time.UnixMilli(d.Wall)) < abandonAfter {
		return false, nil
	}
	return true, db.commit(ctx, d, nil)
}

// retryBusy runs write until it does not find the resource busy, waiting a little
// longer each time, for at most the store's Timeout.
func (db *DB) retryBusy(ctx context.Context, write func() error) error {
	deadline := time.Now().Add(db.opts.Timeout)
	wait := time.Millisecond
	for {
		err := write()
		if !errors.Is(err, errBusy) {
			return err
		}
		if time.Now().After(deadline) {
			return &fhir.Error{Kind: fhir.KindConflict, Details: "resource busy",
				Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "transient", Diagnostics: "The resource is being written by another request; retry."}}}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// next is a version about to be inserted.
type next struct {
	doc     versionDoc
	entries []search.Entry
	claimed []string // keys this write inserted, released if it fails
}

// newVersion builds the next version of typ/id after p: op's resource, stamped, or a
// deletion marker.
func (db *DB) newVersion(op *store.Op, id string, p prev, txn string) (*next, error) {
	deleted := op.Kind == store.OpDelete
	v := int64(1)
	if p.exists {
		v = p.doc.V + 1
	}
	lu := db.now()
	n := &next{doc: versionDoc{ID: versionID(op.Type, id, v), Type: op.Type, RID: id, V: v, LU: lu.UnixMilli(),
		Del: deleted, How: 10 * int32(op.Kind), Txn: txn, Wall: time.Now().UnixMilli()}}
	if !deleted && !p.live {
		n.doc.How++
	}
	if !deleted {
		js, err := fhir.Stamp(op.JSON, id, v, lu)
		if err != nil {
			return nil, err
		}
		n.doc.JSON = js
		n.entries = op.Entries
		for _, k := range op.Unique {
			if !slices.Contains(n.doc.Keys, k.Key) {
				n.doc.Keys = append(n.doc.Keys, k.Key)
			}
		}
	}
	return n, nil
}

// insert claims n's keys and inserts its version. errRaced means another writer
// inserted that version first. On any error nothing of n is left.
func (db *DB) insert(ctx context.Context, op *store.Op, n *next) error {
	if err := db.claimKeys(ctx, op, n); err != nil {
		db.releaseClaimed(ctx, n)
		return err
	}
	_, err := db.versions.InsertOne(ctx, n.doc)
	if err == nil {
		return nil
	}
	db.releaseClaimed(ctx, n)
	if isDup(err) {
		return errRaced
	}
	return err
}

// errRaced is a version insert that lost to another writer's.
var errRaced = errors.New("another writer wrote this version first")

// commit makes an inserted version visible (step 3 of the protocol). It is idempotent
// up to the change-log entry, so a version found abandoned may be committed by another
// writer. entries are the version's index entries; nil means extract them again.
func (db *DB) commit(ctx context.Context, d *versionDoc, entries []search.Entry) error {
	if err := db.releaseStale(ctx, d); err != nil {
		return err
	}
	if d.Seq == 0 {
		seq, err := db.claimSeq(ctx, d)
		if err != nil {
			return err
		}
		if _, err := db.versions.UpdateOne(ctx, bson.D{{Key: "_id", Value: d.ID}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: seq}}}}); err != nil {
			return err
		}
		d.Seq = seq
	}
	if entries == nil && !d.Del {
		r, err := fhir.Decode(d.JSON)
		if err != nil {
			return err
		}
		entries = search.ExtractAll(d.Type, r.Object)
	}
	return db.publish(ctx, d, entries)
}

// publish points the current document at d unless a later version is there already.
// The replace carries the version in its filter. On FerretDB such a filtered replace is
// not atomic against a concurrent one, so the writer reads the latest committed version
// afterwards and publishes that one too when it is later than what it wrote.
func (db *DB) publish(ctx context.Context, d *versionDoc, entries []search.Entry) error {
	doc := currentOf(d, indexFields(d.Type, entries))
	rid := resourceID(d.Type, d.RID)
	for {
		res, err := db.resources.ReplaceOne(ctx, bson.D{{Key: "_id", Value: rid}, {Key: "v", Value: bson.D{{Key: "$lt", Value: d.V}}}}, doc)
		if err != nil {
			return err
		}
		if res.MatchedCount > 0 {
			break
		}
		_, err = db.resources.InsertOne(ctx, doc)
		if err == nil {
			break
		}
		if !isDup(err) {
			return err
		}
		var cur currentDoc
		if err := db.resources.FindOne(ctx, bson.D{{Key: "_id", Value: rid}}, options.FindOne().SetProjection(bson.D{{Key: "v", Value: 1}})).Decode(&cur); err != nil {
			return err
		}
		if cur.V >= d.V {
			break // a later version is published
		}
	}
	return db.repairCurrent(ctx, d)
}

// repairCurrent republishes the latest committed version of d's resource when the
// current document is behind it (two replicas' filtered replaces interleaved).
func (db *DB) repairCurrent(ctx context.Context, d *versionDoc) error {
	var top versionDoc
	err := db.versions.FindOne(ctx, bson.D{{Key: "type", Value: d.Type}, {Key: "id", Value: d.RID}, {Key: "seq", Value: bson.D{{Key: "$gt", Value: 0}}}},
		options.FindOne().SetSort(bson.D{{Key: "v", Value: -1}})).Decode(&top)
	if err != nil {
		return err
	}
	var cur currentDoc
	if err := db.resources.FindOne(ctx, bson.D{{Key: "_id", Value: resourceID(d.Type, d.RID)}},
		options.FindOne().SetProjection(bson.D{{Key: "v", Value: 1}})).Decode(&cur); err != nil {
		return err
	}
	if cur.V >= top.V {
		return nil
	}
	var entries []search.Entry
	if !top.Del {
		r, err := fhir.Decode(top.JSON)
		if err != nil {
			return err
		}
		entries = search.ExtractAll(top.Type, r.Object)
	}
	_, err = db.resources.ReplaceOne(ctx, bson.D{{Key: "_id", Value: resourceID(d.Type, d.RID)}}, currentOf(&top, indexFields(top.Type, entries)))
	return err
}
