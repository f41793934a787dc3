package mongo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mdb "go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// Transactions without server transactions. Every op's version is inserted marked with
// the transaction's id and left in flight (invisible: no seq, current documents
// untouched). Then the transaction decides by inserting txns/{id}#decision: "commit"
// when every op was inserted, "abort" otherwise. That insert is the commit point: a
// writer that finds one of its versions in flight and its owner gone (abandonAfter)
// inserts "abort" instead, and exactly one of the two inserts wins. After "commit" each
// version is committed as a single write is (write.go), by the transaction or by any
// writer that meets one; after "abort" the versions are removed.
//
// All or nothing holds; isolation does not: between the decision and the last version's
// commit, a reader can see some of the transaction's versions and not yet others (for
// milliseconds; the same as MongoDB's own multi-shard writes without a transaction).

type decisionDoc struct {
	ID     string `bson:"_id"`
	Commit bool   `bson:"commit"`
}

// Transaction is store.Store.Transaction.
func (db *DB) Transaction(ctx context.Context, ops []store.Op) ([]store.Result, error) {
	const name = "mongo.Transaction"
	leave, err := db.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	for i := range ops {
		if err := check(&ops[i]); err != nil {
			return nil, fhir.Wrap(name, fmt.Errorf("op %d: %w", i, err))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fhir.Wrap(name, err)
	}
	results, err := db.transaction(ctx, ops)
	return results, translate(name, err)
}

// txn is a transaction being applied.
type txn struct {
	id       string
	ops      []store.Op
	ids      []string // the resource each op writes
	matched  []bool
	results  []store.Result
	done     []bool  // nothing to write: a conditional create that matched
	inserted []*next // versions inserted, in order
	wrote    []*next // per op, the version it inserted (nil for none)
}

func (db *DB) transaction(ctx context.Context, ops []store.Op) ([]store.Result, error) {
	t := &txn{id: newTxnID(), ops: ops, ids: make([]string, len(ops)), matched: make([]bool, len(ops)),
		results: make([]store.Result, len(ops)), done: make([]bool, len(ops)), wrote: make([]*next, len(ops))}
	if err := db.bind(ctx, t); err != nil {
		return nil, err
	}
	unlock := db.lockAll(t)
	defer unlock()
	for i := range ops {
		if t.done[i] {
			continue
		}
		if err := db.retryBusy(ctx, func() error { return db.txnStep(ctx, t, i) }); err != nil {
			db.undo(t)
			return nil, &store.OpError{Index: i, Err: err}
		}
	}
	bg := context.WithoutCancel(ctx) // past this point the decision must be written and carried out
	if err := db.decide(bg, t.id, true); err != nil {
		db.undo(t)
		return nil, err
	}
	for _, n := range t.inserted {
		if err := db.commit(bg, &n.doc, n.entries); err != nil {
			return nil, err // decided: any writer that meets the rest finishes them
		}
	}
	db.txns.DeleteOne(bg, bson.D{{Key: "_id", Value: t.id + "#decision"}})
	for i, n := range t.wrote {
		if n != nil {
			t.results[i].Record.Seq = n.doc.Seq
		}
	}
	return t.results, nil
}

// bind resolves what each op writes before any is applied (store.Store.Transaction): a
// conditional create to its match, a conditional update or delete to its target; then
// rewrites references to the bound fullUrls and conditional references.
func (db *DB) bind(ctx context.Context, t *txn) error {
	bound := map[string]string{}
	for i := range t.ops {
		op := &t.ops[i]
		t.ids[i] = op.ID
		switch {
		case op.Kind == store.OpCreate && op.IfNoneExist != nil:
			res, found, err := db.existing(ctx, op)
			if err != nil {
				return &store.OpError{Index: i, Err: err}
			}
			if found {
				t.results[i], t.done[i], t.ids[i] = res, true, res.Record.ID
			}
		case op.Condition != nil:
			id, matched, err := db.target(ctx, op)
			if err != nil {
				return &store.OpError{Index: i, Err: err}
			}
			t.ids[i], t.matched[i] = id, matched
			if op.Kind == store.OpDelete && !matched {
				t.results[i], t.done[i] = store.Result{Outcome: store.NoOp}, true
			}
		}
		if op.FullURL != "" {
			bound[op.FullURL] = op.Type + "/" + t.ids[i]
		}
	}
	for i := range t.ops {
		if t.done[i] || len(t.ops[i].JSON) == 0 {
			continue
		}
		err := store.RewriteReferences(&t.ops[i], bound, func(typ, query string) (string, error) {
			return store.ResolveConditional(typ, query, func(q *search.Query) ([]string, error) { return db.matchIDs(ctx, q, 2) })
		})
		if err != nil {
			return &store.OpError{Index: i, Err: err}
		}
	}
	return nil
}

// txnStep inserts op i's version, in flight, after the resource's latest (which may be
// an earlier op's of this transaction).
func (db *DB) txnStep(ctx context.Context, t *txn, i int) error {
	op, id := &t.ops[i], t.ids[i]
	for {
		p, err := db.latest(ctx, op.Type, id, t.id)
		if err != nil {
			return err
		}
		res, write, err := plan(op, id, t.matched[i], p)
		if err != nil {
			return err
		}
		if !write {
			t.results[i] = res
			return nil
		}
		n, err := db.newVersion(op, id, p, t.id)
		if err != nil {
			return err
		}
		if p.exists && p.doc.Txn == t.id {
			n.claimed = ownClaims(t, op.Type, id) // keys an earlier op of t claimed stay its to release
		}
		err = db.insert(ctx, op, n)
		if errors.Is(err, errRaced) {
			if err := lost(op, id, p); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		t.inserted = append(t.inserted, n)
		t.wrote[i] = n
		res.Record = n.doc.record()
		t.results[i] = res
		return nil
	}
}

// ownClaims lists the keys earlier ops of t claimed for typ/id.
func ownClaims(t *txn, typ, id string) []string {
	var keys []string
	for _, n := range t.inserted {
		if n.doc.Type == typ && n.doc.RID == id {
			keys = append(keys, n.claimed...)
		}
	}
	return keys
}

// undo removes what t inserted and records that it aborted.
func (db *DB) undo(t *txn) {
	bg := context.Background()
	if err := db.decide(bg, t.id, false); err != nil {
		return // it committed after all (or cannot be reached): never remove a committed version
	}
	for i := len(t.inserted) - 1; i >= 0; i-- {
		n := t.inserted[i]
		db.deleteGuarded(bg, db.versions, n.doc.ID, eq("txn", t.id), eq("seq", int64(0)))
		db.releaseClaimed(bg, n)
	}
	db.txns.DeleteOne(bg, bson.D{{Key: "_id", Value: t.id + "#decision"}})
}

// decide records t's outcome. It fails when the other outcome was recorded first.
func (db *DB) decide(ctx context.Context, id string, commit bool) error {
	_, err := db.txns.InsertOne(ctx, decisionDoc{ID: id + "#decision", Commit: commit})
	if err == nil {
		return nil
	}
	if !isDup(err) {
		return err
	}
	var d decisionDoc
	if err := db.txns.FindOne(ctx, bson.D{{Key: "_id", Value: id + "#decision"}}).Decode(&d); err != nil {
		return err
	}
	if d.Commit != commit {
		return unavailable("the transaction took too long and was abandoned; nothing of it was written")
	}
	return nil
}

// settleTxn decides a version in flight of another transaction: once its transaction
// decided, the version is committed or removed; a transaction silent for abandonAfter
// is aborted. It reports whether the caller should read again.
func (db *DB) settleTxn(ctx context.Context, d *versionDoc) (bool, error) {
	var dec decisionDoc
	err := db.txns.FindOne(ctx, bson.D{{Key: "_id", Value: d.Txn + "#decision"}}).Decode(&dec)
	switch {
	case errors.Is(err, mdb.ErrNoDocuments):
		if time.Since(time.UnixMilli(d.Wall)) < abandonAfter {
			return false, nil
		}
		if err := db.decide(ctx, d.Txn, false); err != nil && fhir.KindOf(err) != fhir.KindUnavailable {
			return false, err
		}
		return true, nil
	case err != nil:
		return false, err
	case dec.Commit:
		return true, db.commit(ctx, d, nil)
	}
	return true, db.deleteGuarded(ctx, db.versions, d.ID, eq("seq", int64(0)))
}

// lockAll takes this replica's locks of every resource t writes, in one order.
func (db *DB) lockAll(t *txn) func() {
	var idx []int
	for i := range t.ops {
		if t.done[i] {
			continue
		}
		mu := db.lockOf(t.ops[i].Type, t.ids[i])
		for j := range db.locks {
			if &db.locks[j] == mu && !slices.Contains(idx, j) {
				idx = append(idx, j)
			}
		}
	}
	slices.Sort(idx)
	for _, j := range idx {
		db.locks[j].Lock()
	}
	return func() {
		for _, j := range idx {
			db.locks[j].Unlock()
		}
	}
}

func newTxnID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
