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
		d, err := db.newestVersion(ctx, typ, id)
		if err != nil || d == nil {
			return prev{}, err
		}
		if d.Seq > 0 || (txn != "" && d.Txn == txn) {
			return prev{exists: true, live: !d.Del, doc: *d}, nil
		}
		again, err := db.settle(ctx, d)
		if err != nil {
			return prev{}, err
		}
		if !again {
			return prev{}, errBusy
		}
	}
}

// newestVersion returns the version of typ/id with the highest number, committed or in
// flight, or nil. It reads by _id only: the current document's version, then the
// versions after it, which exist only while a write is in flight or was interrupted.
// (A filter on anything but _id is a full scan on FerretDB; on MongoDB this is as cheap
// as an index probe too.)
func (db *DB) newestVersion(ctx context.Context, typ, id string) (*versionDoc, error) {
	var cur currentDoc
	err := db.resources.FindOne(ctx, bson.D{{Key: "_id", Value: resourceID(typ, id)}},
		options.FindOne().SetProjection(bson.D{{Key: "v", Value: 1}})).Decode(&cur)
	if err != nil && !errors.Is(err, mdb.ErrNoDocuments) {
		return nil, err
	}
	var newest *versionDoc
	for v := max(cur.V, 1); ; v++ {
		d, err := db.versionAt(ctx, typ, id, v)
		if err != nil {
			return nil, err
		}
		if d == nil {
			return newest, nil
		}
		newest = d
	}
}

// versionAt reads one version by its _id, or nil.
func (db *DB) versionAt(ctx context.Context, typ, id string, v int64) (*versionDoc, error) {
	var d versionDoc
	err := db.versions.FindOne(ctx, bson.D{{Key: "_id", Value: versionID(typ, id, v)}}).Decode(&d)
	if errors.Is(err, mdb.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
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
		replaced, err := db.replaceGuarded(ctx, db.resources, rid, doc, lt("v", d.V))
		if err != nil {
			return err
		}
		if replaced {
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

// repairCurrent republishes a later committed version of d's resource when the
// current document is behind it: two replicas' filtered replaces interleaved, which
// FerretDB allows.
func (db *DB) repairCurrent(ctx context.Context, d *versionDoc) error {
	later, err := db.versionAt(ctx, d.Type, d.RID, d.V+1)
	if err != nil || later == nil || later.Seq == 0 {
		return err // its writer publishes it
	}
	for {
		after, err := db.versionAt(ctx, d.Type, d.RID, later.V+1)
		if err != nil {
			return err
		}
		if after == nil || after.Seq == 0 {
			break
		}
		later = after
	}
	var entries []search.Entry
	if !later.Del {
		r, err := fhir.Decode(later.JSON)
		if err != nil {
			return err
		}
		entries = search.ExtractAll(later.Type, r.Object)
	}
	_, err = db.replaceGuarded(ctx, db.resources, resourceID(d.Type, d.RID), currentOf(later, indexFields(later.Type, entries)), lt("v", later.V))
	return err
}
