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

// Idempotent writes (Op.RequestKey). requests/{key} is claimed before the op runs, so two
// requests sent with one key at once run once: the second waits for the first's result
// and replays it. A failed op gives its claim back (a retry may succeed). Records older
// than Options.RequestKeyTTL are purged (purge), not by a TTL index, which FerretDB lacks.

type requestDoc struct {
	Key     string `bson:"_id"`
	Done    bool   `bson:"done"`
	Outcome int32  `bson:"outcome"`
	Type    string `bson:"type"`
	RID     string `bson:"id"`
	V       int64  `bson:"v"`
	Wall    int64  `bson:"wall"`
	Created int64  `bson:"created"` // store clock, Unix ms
}

func (db *DB) applyOnce(ctx context.Context, op *store.Op) (store.Result, error) {
	const name = "mongo.Apply"
	deadline := time.Now().Add(db.opts.Timeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		claim := requestDoc{Key: op.RequestKey, Wall: time.Now().UnixMilli(), Created: db.now().UnixMilli()}
		_, err := db.requests.InsertOne(ctx, claim)
		if err == nil {
			return db.applyClaimed(ctx, op, &claim)
		}
		if !isDup(err) {
			return store.Result{}, translate(name, err)
		}
		var prior requestDoc
		err = db.requests.FindOne(ctx, bson.D{{Key: "_id", Value: op.RequestKey}}).Decode(&prior)
		if errors.Is(err, mdb.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return store.Result{}, translate(name, err)
		}
		if prior.Done {
			res, err := db.replay(ctx, &prior)
			return res, translate(name, err)
		}
		if time.Since(time.UnixMilli(prior.Wall)) > abandonAfter {
			db.deleteGuarded(ctx, db.requests, prior.Key, eq("done", false), eq("wall", prior.Wall))
			continue
		}
		if time.Now().After(deadline) {
			return store.Result{}, fhir.Errorf(fhir.KindConflict, "transient", "", "a request with the same key is still running; retry")
		}
		select {
		case <-ctx.Done():
			return store.Result{}, fhir.Wrap(name, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// applyClaimed runs op under its claimed request key and records the result.
func (db *DB) applyClaimed(ctx context.Context, op *store.Op, claim *requestDoc) (store.Result, error) {
	res, err := db.apply(ctx, op)
	bg := context.WithoutCancel(ctx)
	if err != nil {
		db.deleteGuarded(bg, db.requests, claim.Key, eq("wall", claim.Wall))
		return store.Result{}, translate("mongo.Apply", err)
	}
	_, err = db.requests.UpdateOne(bg, bson.D{{Key: "_id", Value: claim.Key}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "done", Value: true}, {Key: "outcome", Value: int32(res.Outcome)},
		{Key: "type", Value: res.Record.Type}, {Key: "id", Value: res.Record.ID}, {Key: "v", Value: res.Record.Version}}}})
	return res, translate("mongo.Apply", err)
}

// replay returns the first result of the op that used a key.
func (db *DB) replay(ctx context.Context, r *requestDoc) (store.Result, error) {
	res := store.Result{Outcome: store.Outcome(r.Outcome), Replayed: true}
	if r.V > 0 {
		var d versionDoc
		if err := db.versions.FindOne(ctx, bson.D{{Key: "_id", Value: versionID(r.Type, r.RID, r.V)}}).Decode(&d); err != nil {
			return store.Result{}, err
		}
		res.Record = d.record()
	}
	return res, nil
}

// purge drops the idempotency records older than the TTL.
func (db *DB) purge(ctx context.Context) error {
	cutoff := db.now().Add(-db.opts.RequestKeyTTL).UnixMilli()
	_, err := db.requests.DeleteMany(ctx, bson.D{{Key: "done", Value: true}, {Key: "created", Value: bson.D{{Key: "$lt", Value: cutoff}}}})
	return err
}
