package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mdb "go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// Conditional create (If-None-Exist) must not create twice when clients race (the
// failure HAPI FHIR is known for). Evaluating the criteria and then creating is not
// atomic, so the creator first claims the criteria: conds/{type}?{canonical criteria}.
// One claimant creates; the others wait for its resource and find it by the criteria. A
// claim whose resource no longer matches (updated, deleted) or never appeared (its
// creator died) is taken over. The claim covers the same criteria written the same way
// after canonicalisation (search.Query.Encode); different criteria that happen to select
// the same resource are not serialised (see docs/SCALE.md).

type condDoc struct {
	Key  string `bson:"_id"`
	Type string `bson:"type"`
	RID  string `bson:"id"`
	Wall int64  `bson:"wall"`
}

func (db *DB) createIfNoneExist(ctx context.Context, op *store.Op) (store.Result, error) {
	key := op.Type + "?" + op.IfNoneExist.Encode().Encode()
	deadline := time.Now().Add(db.opts.Timeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		if res, found, err := db.existing(ctx, op); err != nil || found {
			return res, err
		}
		_, err := db.conds.InsertOne(ctx, condDoc{Key: key, Type: op.Type, RID: op.ID, Wall: time.Now().UnixMilli()})
		if err == nil {
			res, err := db.createNew(ctx, op)
			if err != nil {
				db.deleteGuarded(context.WithoutCancel(ctx), db.conds, key, eq("id", op.ID))
			}
			return res, err
		}
		if !isDup(err) {
			return store.Result{}, err
		}
		var h condDoc
		err = db.conds.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&h)
		if errors.Is(err, mdb.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return store.Result{}, err
		}
		visible, err := db.visible(ctx, h.Type, h.RID)
		if err != nil {
			return store.Result{}, err
		}
		if visible || time.Since(time.UnixMilli(h.Wall)) > abandonAfter {
			// Its creator is done (or dead). Ask the criteria again: if nothing matches
			// now, the claim is stale and this writer takes it over.
			if res, found, err := db.existing(ctx, op); err != nil || found {
				return res, err
			}
			if err := db.deleteGuarded(ctx, db.conds, key, eq("id", h.RID), eq("wall", h.Wall)); err != nil {
				return store.Result{}, err
			}
			continue
		}
		if time.Now().After(deadline) {
			return store.Result{}, fhir.Errorf(fhir.KindConflict, "transient", "",
				"another request is creating a %s with the same criteria; retry", op.Type)
		}
		select {
		case <-ctx.Done():
			return store.Result{}, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// existing evaluates op's If-None-Exist: found with the one match, 412 for several.
func (db *DB) existing(ctx context.Context, op *store.Op) (store.Result, bool, error) {
	ids, err := db.matchIDs(ctx, op.IfNoneExist, 2)
	switch {
	case err != nil:
		return store.Result{}, false, err
	case len(ids) == 2:
		return store.Result{}, false, multipleMatches(op.Type)
	case len(ids) == 1:
		rec, err := db.read(ctx, op.Type, ids[0])
		return store.Result{Outcome: store.Existing, Record: rec}, err == nil, err
	}
	return store.Result{}, false, nil
}

// visible reports whether typ/id has a current document.
func (db *DB) visible(ctx context.Context, typ, id string) (bool, error) {
	n, err := db.resources.CountDocuments(ctx, bson.D{{Key: "_id", Value: resourceID(typ, id)}})
	return n > 0, err
}
