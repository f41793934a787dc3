package mongo

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	mdb "go.mongodb.org/mongo-driver/v2/mongo"
)

// Guarded writes: replace or delete the document with a given _id only while some of
// its fields hold given values ("v" below some version, "wall" as read, …). On MongoDB
// the guard is part of the filter, and the write is atomic. FerretDB evaluates any filter
// other than a bare _id by reading every document of the collection (measured: 48 ms per
// replace at 300 documents, against 1 ms by _id) and does not apply a filtered write
// atomically anyway; there the document is read by _id, the guard checked here, and the
// write filtered by _id alone. Where two replicas can then interleave, the caller
// repairs afterwards (publish → repairCurrent) or the race is harmless (releasing a
// claim that is stale either way).

// guard is one guard: a field equal to a value, or (lt) an int64 field below one.
type guard struct {
	field string
	value any
	lt    bool
}

func eq(field string, value any) guard { return guard{field: field, value: value} }
func lt(field string, n int64) guard   { return guard{field: field, value: n, lt: true} }

func (g guard) filter() bson.E {
	if g.lt {
		return bson.E{Key: g.field, Value: bson.D{{Key: "$lt", Value: g.value}}}
	}
	return bson.E{Key: g.field, Value: g.value}
}

// guarded returns the filter for a guarded write of _id id, and false when the guard is
// known not to hold (FerretDB: the document was read and fails it, or is missing).
func (db *DB) guarded(ctx context.Context, coll *mdb.Collection, id any, conds ...guard) (bson.D, bool, error) {
	if !db.ferret {
		f := bson.D{{Key: "_id", Value: id}}
		for _, c := range conds {
			f = append(f, c.filter())
		}
		return f, true, nil
	}
	var doc bson.M
	err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc)
	if errors.Is(err, mdb.ErrNoDocuments) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	for _, c := range conds {
		if !c.holds(doc[c.field]) {
			return nil, false, nil
		}
	}
	return bson.D{{Key: "_id", Value: id}}, true, nil
}

func (g guard) holds(v any) bool {
	if !g.lt {
		if a, b := asInt(v), asInt(g.value); a != nil || b != nil {
			return a == b
		}
		return v == g.value
	}
	n, ok := asInt(v).(int64)
	return ok && n < g.value.(int64)
}

// asInt widens BSON integers so that an int32 read back compares with an int64.
func asInt(v any) any {
	switch n := v.(type) {
	case int32:
		return int64(n)
	case int64:
		return n
	case int:
		return int64(n)
	}
	return nil
}

// deleteGuarded deletes the document id while conds hold.
func (db *DB) deleteGuarded(ctx context.Context, coll *mdb.Collection, id any, conds ...guard) error {
	f, ok, err := db.guarded(ctx, coll, id, conds...)
	if err != nil || !ok {
		return err
	}
	_, err = coll.DeleteOne(ctx, f)
	return err
}

// replaceGuarded replaces the document id while conds hold, reporting whether it did.
func (db *DB) replaceGuarded(ctx context.Context, coll *mdb.Collection, id any, doc bson.D, conds ...guard) (bool, error) {
	f, ok, err := db.guarded(ctx, coll, id, conds...)
	if err != nil || !ok {
		return false, err
	}
	res, err := coll.ReplaceOne(ctx, f, doc)
	if err != nil {
		return false, err
	}
	return res.MatchedCount > 0, nil
}
