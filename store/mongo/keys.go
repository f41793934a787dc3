package mongo

import (
	"context"
	"errors"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mdb "go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// Business keys. keys/{key} names the resource that holds a unique business identifier
// and the version that claimed it. The claim is the insert; a clash is settled by asking
// whether the holder still claims the key: its latest version (in flight or committed)
// does and is not a deletion, or its claiming version is not inserted yet and the claim
// is recent (the claimant is between steps 1 and 2). A claim that fails that test is
// stale (its holder moved on, or died) and is taken over.

type keyDoc struct {
	Key  string `bson:"_id"`
	Type string `bson:"type"`
	RID  string `bson:"id"`
	V    int64  `bson:"v"`
	Wall int64  `bson:"wall"`
}

// claimKeys inserts the keys of n the resource does not hold yet.
func (db *DB) claimKeys(ctx context.Context, op *store.Op, n *next) error {
	for _, k := range op.Unique {
		if slices.Contains(n.claimed, k.Key) {
			continue
		}
		for {
			_, err := db.keys.InsertOne(ctx, keyDoc{Key: k.Key, Type: n.doc.Type, RID: n.doc.RID, V: n.doc.V, Wall: time.Now().UnixMilli()})
			if err == nil {
				n.claimed = append(n.claimed, k.Key)
				break
			}
			if !isDup(err) {
				return err
			}
			var holder keyDoc
			err = db.keys.FindOne(ctx, bson.D{{Key: "_id", Value: k.Key}}).Decode(&holder)
			if errors.Is(err, mdb.ErrNoDocuments) {
				continue // released meanwhile
			}
			if err != nil {
				return err
			}
			if holder.Type == n.doc.Type && holder.RID == n.doc.RID {
				break // an earlier version of this resource holds it
			}
			held, err := db.stillClaims(ctx, &holder)
			if err != nil {
				return err
			}
			if held {
				return &fhir.Error{Kind: fhir.KindUnprocessable, Details: "a unique key is held by another resource",
					Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "duplicate", Diagnostics: k.Diagnostics}}}
			}
			if err := db.deleteGuarded(ctx, db.keys, k.Key, eq("type", holder.Type), eq("id", holder.RID), eq("v", holder.V)); err != nil {
				return err
			}
		}
	}
	return nil
}

// stillClaims reports whether the holder of a key claim still claims it.
func (db *DB) stillClaims(ctx context.Context, k *keyDoc) (bool, error) {
	d, err := db.newestVersion(ctx, k.Type, k.RID)
	if err != nil {
		return false, err
	}
	if d == nil || d.V < k.V {
		return time.Since(time.UnixMilli(k.Wall)) < abandonAfter, nil
	}
	return !d.Del && slices.Contains(d.Keys, k.Key), nil
}

// releaseClaimed gives back the keys a failed write claimed.
func (db *DB) releaseClaimed(ctx context.Context, n *next) {
	if len(n.claimed) == 0 {
		return
	}
	// Best effort: a claim left behind is stale (its version never appears) and is taken
	// over by the next claimant once abandonAfter has passed.
	for _, k := range n.claimed {
		db.deleteGuarded(context.WithoutCancel(ctx), db.keys, k, eq("type", n.doc.Type), eq("id", n.doc.RID))
	}
	n.claimed = nil
}

// releaseStale drops the claims d's previous version made that d does not make.
func (db *DB) releaseStale(ctx context.Context, d *versionDoc) error {
	if d.V <= 1 {
		return nil
	}
	before, err := db.versionAt(ctx, d.Type, d.RID, d.V-1)
	if err != nil || before == nil {
		return err
	}
	for _, k := range before.Keys {
		if !d.Del && slices.Contains(d.Keys, k) {
			continue
		}
		if err := db.deleteGuarded(ctx, db.keys, k, eq("type", d.Type), eq("id", d.RID)); err != nil {
			return err
		}
	}
	return nil
}
