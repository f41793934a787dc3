package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// Transaction is store.Store.Transaction: the ops run as one job of the writer, inside
// one savepoint of a group's transaction, so a failure anywhere rolls all of them back
// and the group's other requests are untouched.
func (db *DB) Transaction(ctx context.Context, ops []store.Op) ([]store.Result, error) {
	const op = "sqlite.Transaction"
	for i := range ops {
		if err := check(&ops[i]); err != nil {
			return nil, fhir.Wrap(op, fmt.Errorf("op %d: %w", i, err))
		}
	}
	var results []store.Result
	err := db.run(ctx, func(w *writer) error {
		var err error
		results, err = w.transaction(ops)
		return err
	})
	if err != nil {
		return nil, translate(op, err)
	}
	return results, nil
}

// transaction binds, rewrites and applies ops (see store.Store.Transaction). The records
// written are handed to the cache with the group's commit.
func (w *writer) transaction(ops []store.Op) ([]store.Result, error) {
	results := make([]store.Result, len(ops))
	var written []store.Record
	done := make([]bool, len(ops)) // conditional creates that matched: nothing to write
	bound := map[string]string{}
	for i := range ops {
		op := &ops[i]
		id := op.ID
		switch {
		case op.Kind == store.OpCreate && op.IfNoneExist != nil:
			_, seqs, err := w.match(op.IfNoneExist, 2)
			if err != nil {
				return nil, entryErr(i, err)
			}
			switch len(seqs) {
			case 1:
				rec, err := w.record(seqs[0])
				if err != nil {
					return nil, err
				}
				results[i], done[i], id = store.Result{Outcome: store.Existing, Record: rec}, true, rec.ID
			case 2:
				return nil, entryErr(i, multipleMatches(op.Type))
			}
		case op.Condition != nil:
			target, _, err := w.target(op)
			if err != nil {
				return nil, entryErr(i, err)
			}
			id = target
		}
		if op.FullURL != "" {
			bound[op.FullURL] = op.Type + "/" + id
		}
	}
	for i := range ops {
		if done[i] || len(ops[i].JSON) == 0 {
			continue
		}
		if err := w.rewrite(&ops[i], bound); err != nil {
			return nil, entryErr(i, err)
		}
	}
	// When no op reads the index while the transaction runs (no condition to evaluate
	// again), the index rows of all ops are written together at the end, in key order:
	// what makes bulk loads several times faster than op by op.
	deferIndex := len(ops) > 1
	for i := range ops {
		deferIndex = deferIndex && ops[i].Condition == nil && ops[i].IfNoneExist == nil
	}
	if deferIndex {
		w.ix.startDeferred()
		defer w.ix.discard() // after a failure; flush leaves deferred mode first
	}
	for i := range ops {
		if done[i] {
			continue
		}
		res, err := w.apply(&ops[i])
		if err != nil {
			return nil, entryErr(i, err)
		}
		results[i] = res
		switch res.Outcome {
		case store.Created, store.Updated, store.Deleted:
			if !res.Replayed {
				written = append(written, res.Record)
			}
		}
	}
	if deferIndex {
		if err := w.ix.flush(w.ctx); err != nil {
			return nil, err
		}
	}
	w.extra = append(w.extra, written...) // published with the commit, only if all succeeded
	return results, nil
}

// rewrite turns op's references to bound FullURLs and its conditional references into
// Type/id, and re-extracts its index entries when anything changed.
func (w *writer) rewrite(op *store.Op, bound map[string]string) error {
	var failed error
	js, changed, err := fhir.RewriteReferences(op.JSON, func(ref string) (string, bool) {
		if failed != nil {
			return "", false
		}
		if to, ok := bound[ref]; ok {
			return to, true
		}
		if typ, query, ok := strings.Cut(ref, "?"); ok && fhir.IsResourceType(typ) {
			to, err := w.resolveConditional(typ, query)
			failed = err
			return to, err == nil
		}
		if strings.HasPrefix(ref, "urn:uuid:") || strings.HasPrefix(ref, "urn:oid:") {
			failed = fhir.Errorf(fhir.KindInvalid, "not-found", "",
				"the reference %q names no entry of the transaction (no entry has that fullUrl)", ref)
		}
		return "", false
	})
	if err != nil {
		return err
	}
	if failed != nil || !changed {
		return failed
	}
	r, err := fhir.Decode(js)
	if err != nil {
		return err
	}
	op.JSON, op.Entries = r.JSON, search.ExtractAll(op.Type, r.Object)
	return nil
}

// resolveConditional resolves a conditional reference Type?criteria to its one live
// match, as the transaction sees it.
func (w *writer) resolveConditional(typ, query string) (string, error) {
	q, err := search.ParseCriteria(typ, query)
	if err != nil {
		return "", err
	}
	ids, _, err := w.match(q, 2)
	switch {
	case err != nil:
		return "", err
	case len(ids) == 0:
		return "", fhir.Errorf(fhir.KindPreconditionFailed, "not-found", "",
			"the conditional reference %s?%s matches no %s", typ, query, typ)
	case len(ids) > 1:
		return "", fhir.Errorf(fhir.KindPreconditionFailed, "multiple-matches", "",
			"the conditional reference %s?%s matches more than one %s", typ, query, typ)
	}
	return typ + "/" + ids[0], nil
}

// entryErr says which op of a transaction failed, by its index in ops; the caller maps
// it to what the client named (a Bundle entry).
func entryErr(i int, err error) error {
	return &store.OpError{Index: i, Err: err}
}
