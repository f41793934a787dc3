package sqlite

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// The op semantics of store.Store.Apply, run by the writer inside the op's savepoint.
// Every error returned here rolls the savepoint back, so partial writes never survive.

// current is the state of one resource as the transaction sees it.
type current struct {
	exists  bool
	live    bool
	version int64
	seq     int64
}

func (w *writer) apply(op *store.Op) (store.Result, error) {
	if op.RequestKey != "" {
		if res, ok, err := w.replayed(op.RequestKey); err != nil || ok {
			return res, err
		}
	}
	var res store.Result
	var err error
	switch op.Kind {
	case store.OpCreate:
		res, err = w.create(op)
	case store.OpUpdate:
		res, err = w.update(op)
	case store.OpDelete:
		res, err = w.delete(op)
	default: // check refused it before it was queued
		err = fmt.Errorf("unknown op kind %d", op.Kind)
	}
	if err == nil && op.RequestKey != "" {
		err = w.exec(w.remember, op.RequestKey, res.Outcome, res.Record.Seq, w.now().UnixMilli())
	}
	return res, err
}

func (w *writer) create(op *store.Op) (store.Result, error) {
	if op.IfNoneExist != nil {
		_, seqs, err := w.match(op.IfNoneExist, 2)
		if err != nil {
			return store.Result{}, err
		}
		switch len(seqs) {
		case 1:
			rec, err := w.record(seqs[0])
			return store.Result{Outcome: store.Existing, Record: rec}, err
		case 2:
			return store.Result{}, multipleMatches(op.Type)
		}
	}
	cur, err := w.currentOf(op.Type, op.ID)
	if err != nil {
		return store.Result{}, err
	}
	if cur.exists {
		return store.Result{}, fhir.Errorf(fhir.KindConflict, "duplicate", "", "%s/%s already exists", op.Type, op.ID)
	}
	rec, err := w.write(op, op.ID, cur)
	return store.Result{Outcome: store.Created, Record: rec}, err
}

func (w *writer) update(op *store.Op) (store.Result, error) {
	id, matched, err := w.target(op)
	if err != nil {
		return store.Result{}, err
	}
	cur, err := w.currentOf(op.Type, id)
	if err != nil {
		return store.Result{}, err
	}
	if matched && op.ClientID && id != op.ID {
		return store.Result{}, fhir.Errorf(fhir.KindInvalid, "invalid", "id",
			"the resource's id %q is not the id %q of the %s matching the condition", op.ID, id, op.Type)
	}
	if op.Condition != nil && !matched && cur.live {
		return store.Result{}, fhir.Errorf(fhir.KindConflict, "conflict", "",
			"no %s matches the condition, and %s/%s exists and does not match it", op.Type, op.Type, id)
	}
	if err := checkIfMatch(op, id, cur); err != nil {
		return store.Result{}, err
	}
	if op.SkipUnchanged && cur.live {
		if rec, same, err := w.unchanged(op, id, cur); err != nil || same {
			return store.Result{Outcome: store.NoOp, Record: rec}, err
		}
	}
	rec, err := w.write(op, id, cur)
	outcome := store.Updated
	if !cur.live {
		outcome = store.Created
	}
	return store.Result{Outcome: outcome, Record: rec}, err
}

func (w *writer) delete(op *store.Op) (store.Result, error) {
	id, matched, err := w.target(op)
	if err != nil {
		return store.Result{}, err
	}
	if op.Condition != nil && !matched {
		return store.Result{Outcome: store.NoOp}, nil
	}
	cur, err := w.currentOf(op.Type, id)
	if err != nil {
		return store.Result{}, err
	}
	if err := checkIfMatch(op, id, cur); err != nil {
		return store.Result{}, err
	}
	switch {
	case !cur.exists:
		return store.Result{Outcome: store.NoOp}, nil
	case !cur.live:
		rec, err := w.record(cur.seq)
		return store.Result{Outcome: store.NoOp, Record: rec}, err
	}
	rec, err := w.write(op, id, cur)
	return store.Result{Outcome: store.Deleted, Record: rec}, err
}

// target resolves the resource an update or delete is about: op.ID, or with a Condition
// the one live match (matched), or op.ID again when nothing matches.
func (w *writer) target(op *store.Op) (id string, matched bool, err error) {
	if op.Condition == nil {
		return op.ID, false, nil
	}
	ids, _, err := w.match(op.Condition, 2)
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

func checkIfMatch(op *store.Op, id string, cur current) error {
	if op.IfMatch <= 0 {
		return nil
	}
	if !cur.exists {
		return fhir.Errorf(fhir.KindNotFound, "not-found", "", "%s/%s is not known", op.Type, id)
	}
	if cur.version != op.IfMatch {
		return fhir.Errorf(fhir.KindPreconditionFailed, "conflict", "",
			"%s/%s is at version %d, not the version %d the request expects", op.Type, id, cur.version, op.IfMatch)
	}
	return nil
}

func multipleMatches(typ string) error {
	return fhir.Errorf(fhir.KindPreconditionFailed, "multiple-matches", "",
		"more than one %s matches the conditional request's criteria", typ)
}

// write adds the next version of typ/id: op's resource, or a deletion marker for
// OpDelete. It moves the current-version pointer, replaces the index entries and unique
// keys, and appends to the change log.
func (w *writer) write(op *store.Op, id string, cur current) (store.Record, error) {
	if id == "" {
		return store.Record{}, errors.New("an op that writes needs an id")
	}
	deleted := op.Kind == store.OpDelete
	rec := store.Record{Type: op.Type, ID: id, Version: cur.version + 1, Deleted: deleted,
		LastUpdated: w.now().UTC().Truncate(time.Millisecond), Op: op.Kind, Created: !deleted && !cur.live}
	how := 10 * int64(op.Kind)
	if rec.Created {
		how++
	}
	if cur.live {
		if err := w.exec(w.releaseKeys, op.Type, id); err != nil {
			return store.Record{}, err
		}
	}
	if !deleted {
		if err := w.claim(op, id); err != nil {
			return store.Record{}, err
		}
		js, err := fhir.Stamp(op.JSON, id, rec.Version, rec.LastUpdated)
		if err != nil {
			return store.Record{}, err
		}
		rec.JSON = js
	}
	res, err := w.insertVersion.ExecContext(w.ctx, op.Type, id, rec.Version, rec.LastUpdated.UnixMilli(), deleted, rec.JSON, how)
	if err != nil {
		return store.Record{}, err
	}
	if rec.Seq, err = res.LastInsertId(); err != nil {
		return store.Record{}, err
	}
	if err := w.exec(w.upsertResource, op.Type, id, rec.Version, rec.Seq, deleted); err != nil {
		return store.Record{}, err
	}
	if cur.live {
		remove := func() error { return w.ix.remove(w.ctx, op.Type, id) }
		if w.ix.bulk {
			remove = func() error { return w.removeBulk(op.Type, id, cur.seq) }
		}
		if err := remove(); err != nil {
			return store.Record{}, err
		}
	}
	if !deleted {
		if err := w.ix.add(w.ctx, op.Type, id, rec.LastUpdated, op.Entries); err != nil {
			return store.Record{}, err
		}
	}
	return rec, nil
}

// claim takes op's unique keys for typ/id; the resource's previous keys are already
// released, so a key found held belongs to another resource (or to an earlier entry of
// the same list).
func (w *writer) claim(op *store.Op, id string) error {
	for _, k := range op.Unique {
		res, err := w.claimKey.ExecContext(w.ctx, k.Key, op.Type, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			if err != nil {
				return err
			}
			continue
		}
		var typ, holder string
		if err := w.keyHolder.QueryRowContext(w.ctx, k.Key).Scan(&typ, &holder); err != nil {
			return err
		}
		if typ != op.Type || holder != id {
			return &fhir.Error{Kind: fhir.KindUnprocessable, Details: "a unique key is held by another resource",
				Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "duplicate", Diagnostics: k.Diagnostics}}}
		}
	}
	return nil
}

func (w *writer) currentOf(typ, id string) (current, error) {
	var c current
	var deleted bool
	err := w.current.QueryRowContext(w.ctx, typ, id).Scan(&c.version, &c.seq, &deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return current{}, nil
	}
	c.exists, c.live = err == nil, err == nil && !deleted
	return c, err
}

func (w *writer) record(seq int64) (store.Record, error) {
	return scanRecord(w.recordAt.QueryRowContext(w.ctx, seq))
}

// replayed returns the first result of the op that used key, if there was one.
func (w *writer) replayed(key string) (store.Result, bool, error) {
	var res store.Result
	var seq int64
	err := w.replay.QueryRowContext(w.ctx, key).Scan(&res.Outcome, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Result{}, false, nil
	}
	if err == nil && seq > 0 {
		res.Record, err = w.record(seq)
	}
	res.Replayed = true
	return res, err == nil, err
}

// unchanged reports whether the current version of id already holds op's JSON: stamping
// op's JSON as that version gives its stored bytes exactly.
func (w *writer) unchanged(op *store.Op, id string, cur current) (store.Record, bool, error) {
	rec, err := w.record(cur.seq)
	if err != nil {
		return store.Record{}, false, err
	}
	js, err := fhir.Stamp(op.JSON, id, rec.Version, rec.LastUpdated)
	if err != nil {
		return store.Record{}, false, err
	}
	return rec, bytes.Equal(js, rec.JSON), nil
}
