package mongo

import (
	"context"
	"errors"
	"fmt"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// The op semantics of store.Store.Apply (the same as the embedded store's: the shared
// suite holds both to them), over the protocol of write.go.

// Apply performs one write.
func (db *DB) Apply(ctx context.Context, op store.Op) (store.Result, error) {
	const name = "mongo.Apply"
	leave, err := db.enter()
	if err != nil {
		return store.Result{}, err
	}
	defer leave()
	if err := ctx.Err(); err != nil {
		return store.Result{}, fhir.Wrap(name, err)
	}
	if err := check(&op); err != nil {
		return store.Result{}, fhir.Wrap(name, err)
	}
	if op.RequestKey != "" {
		return db.applyOnce(ctx, &op)
	}
	res, err := db.apply(ctx, &op)
	return res, translate(name, err)
}

// check rejects ops that the service layer should never build: bugs, not client errors.
func check(op *store.Op) error {
	switch {
	case op.Kind != store.OpCreate && op.Kind != store.OpUpdate && op.Kind != store.OpDelete:
		return fmt.Errorf("unknown op kind %d", op.Kind)
	case op.Type == "":
		return errors.New("an op needs a resource type")
	case op.Kind != store.OpDelete && len(op.JSON) == 0:
		return errors.New("a create or update needs the resource's JSON")
	case op.ID == "" && (op.Kind == store.OpCreate || op.Condition == nil):
		return errors.New("an op needs an id, or a condition for an update or delete")
	}
	return nil
}

func (db *DB) apply(ctx context.Context, op *store.Op) (store.Result, error) {
	switch op.Kind {
	case store.OpCreate:
		return db.create(ctx, op)
	case store.OpUpdate:
		return db.update(ctx, op)
	default:
		return db.delete(ctx, op)
	}
}

func (db *DB) create(ctx context.Context, op *store.Op) (store.Result, error) {
	if op.IfNoneExist != nil {
		return db.createIfNoneExist(ctx, op)
	}
	return db.createNew(ctx, op)
}

// createNew writes version 1 of op.ID; the insert of that version is what refuses an id
// in use, whoever else is writing it.
func (db *DB) createNew(ctx context.Context, op *store.Op) (store.Result, error) {
	return db.writeTo(ctx, op, op.ID, false)
}

func (db *DB) update(ctx context.Context, op *store.Op) (store.Result, error) {
	id, matched, err := db.target(ctx, op)
	if err != nil {
		return store.Result{}, err
	}
	return db.writeTo(ctx, op, id, matched)
}

func (db *DB) delete(ctx context.Context, op *store.Op) (store.Result, error) {
	id, matched, err := db.target(ctx, op)
	if err != nil {
		return store.Result{}, err
	}
	if op.Condition != nil && !matched {
		return store.Result{Outcome: store.NoOp}, nil
	}
	return db.writeTo(ctx, op, id, matched)
}

// writeTo applies op to typ/id: reads its latest version, decides (plan), writes, and
// when another writer inserted the same version first, decides again after it.
func (db *DB) writeTo(ctx context.Context, op *store.Op, id string, matched bool) (store.Result, error) {
	mu := db.lockOf(op.Type, id)
	mu.Lock()
	defer mu.Unlock()
	var res store.Result
	err := db.retryBusy(ctx, func() error {
		for {
			p, err := db.latest(ctx, op.Type, id, "")
			if err != nil {
				return err
			}
			var write bool
			if res, write, err = plan(op, id, matched, p); err != nil || !write {
				return err
			}
			rec, err := db.write(ctx, op, id, p)
			if errors.Is(err, errRaced) {
				if err := lost(op, id, p); err != nil {
					return err
				}
				continue // an unconditional write: decide again after the winner
			}
			res.Record = rec
			return err
		}
	})
	return res, err
}

// plan decides what op does to id, whose latest version is p (matched: a condition
// selected it): the outcome, and whether a version is to be written.
func plan(op *store.Op, id string, matched bool, p prev) (store.Result, bool, error) {
	switch op.Kind {
	case store.OpCreate:
		if p.exists {
			return store.Result{}, false, alreadyExists(op.Type, id)
		}
		return store.Result{Outcome: store.Created}, true, nil
	case store.OpDelete:
		if err := checkIfMatch(op, id, p); err != nil {
			return store.Result{}, false, err
		}
		switch {
		case !p.exists:
			return store.Result{Outcome: store.NoOp}, false, nil
		case !p.live:
			return store.Result{Outcome: store.NoOp, Record: p.doc.record()}, false, nil
		}
		return store.Result{Outcome: store.Deleted}, true, nil
	}
	if matched && op.ClientID && id != op.ID {
		return store.Result{}, false, fhir.Errorf(fhir.KindInvalid, "invalid", "id",
			"the resource's id %q is not the id %q of the %s matching the condition", op.ID, id, op.Type)
	}
	if op.Condition != nil && !matched && p.live {
		return store.Result{}, false, fhir.Errorf(fhir.KindConflict, "conflict", "",
			"no %s matches the condition, and %s/%s exists and does not match it", op.Type, op.Type, id)
	}
	if err := checkIfMatch(op, id, p); err != nil {
		return store.Result{}, false, err
	}
	if op.SkipUnchanged && p.live {
		same, err := unchanged(op, id, &p.doc)
		if err != nil || same {
			return store.Result{Outcome: store.NoOp, Record: p.doc.record()}, false, err
		}
	}
	if !p.live {
		return store.Result{Outcome: store.Created}, true, nil
	}
	return store.Result{Outcome: store.Updated}, true, nil
}

// lost is the error of a write whose version another writer inserted first, or nil when
// the op should decide again after it.
func lost(op *store.Op, id string, p prev) error {
	switch {
	case op.Kind == store.OpCreate:
		return alreadyExists(op.Type, id)
	case op.IfMatch > 0:
		return ifMatchFailed(op, id, p.doc.V+1)
	}
	return nil
}

func alreadyExists(typ, id string) error {
	return fhir.Errorf(fhir.KindConflict, "duplicate", "", "%s/%s already exists", typ, id)
}

// write inserts and commits the version after p.
func (db *DB) write(ctx context.Context, op *store.Op, id string, p prev) (store.Record, error) {
	n, err := db.newVersion(op, id, p, "")
	if err != nil {
		return store.Record{}, err
	}
	if err := db.insert(ctx, op, n); err != nil {
		return store.Record{}, err
	}
	// From here the version exists: its commit must finish even if the caller goes away,
	// or the resource waits abandonAfter for another writer to finish it.
	if err := db.commit(context.WithoutCancel(ctx), &n.doc, n.entries); err != nil {
		return store.Record{}, err
	}
	return n.doc.record(), nil
}

// target resolves the resource an update or delete is about: op.ID, or with a Condition
// the one live match (matched), or op.ID again when nothing matches.
func (db *DB) target(ctx context.Context, op *store.Op) (id string, matched bool, err error) {
	if op.Condition == nil {
		return op.ID, false, nil
	}
	ids, err := db.matchIDs(ctx, op.Condition, 2)
	switch {
	case err != nil:
		return "", false, err
	case len(ids) > 1:
		return "", false, multipleMatches(op.Type)
	case len(ids) == 1:
		return ids[0], true, nil
	}
	return op.ID, false, nil
}

func checkIfMatch(op *store.Op, id string, p prev) error {
	if op.IfMatch <= 0 {
		return nil
	}
	if !p.exists {
		return fhir.Errorf(fhir.KindNotFound, "not-found", "", "%s/%s is not known", op.Type, id)
	}
	if p.doc.V != op.IfMatch {
		return ifMatchFailed(op, id, p.doc.V)
	}
	return nil
}

func ifMatchFailed(op *store.Op, id string, at int64) error {
	return fhir.Errorf(fhir.KindPreconditionFailed, "conflict", "",
		"%s/%s is at version %d, not the version %d the request expects", op.Type, id, at, op.IfMatch)
}

func multipleMatches(typ string) error {
	return fhir.Errorf(fhir.KindPreconditionFailed, "multiple-matches", "",
		"more than one %s matches the conditional request's criteria", typ)
}

// unchanged reports whether the version d already holds op's JSON: stamping op's JSON
// as that version gives its stored bytes exactly.
func unchanged(op *store.Op, id string, d *versionDoc) (bool, error) {
	js, err := fhir.Stamp(op.JSON, id, d.V, d.record().LastUpdated)
	if err != nil {
		return false, err
	}
	return string(js) == string(d.JSON), nil
}
