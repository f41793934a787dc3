package sqlite

import (
	"context"
	"fmt"

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
	return store.RewriteReferences(op, bound, func(typ, query string) (string, error) {
		return store.ResolveConditional(typ, query, func(q *search.Query) ([]string, error) {
			ids, _, err := w.match(q, 2)
			return ids, err
		})
	})
}

// entryErr says which op of a transaction failed, by its index in ops; the caller maps
// it to what the client named (a Bundle entry).
func entryErr(i int, err error) error {
	return &store.OpError{Index: i, Err: err}
}
