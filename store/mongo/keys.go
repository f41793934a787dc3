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
			if _, err := db.keys.DeleteOne(ctx, bson.D{{Key: "_id", Value: k.Key}, {Key: "type", Value: holder.Type},
				{Key: "id", Value: holder.RID}, {Key: "v", Value: holder.V}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// stillClaims reports whether the holder of a key claim still claims it.
func (db *DB) stillClaims(ctx context.Context, k *keyDoc) (bool, error) {
	var d versionDoc
	err := db.versions.FindOne(ctx, bson.D{{Key: "type", Value: k.Type}, {Key: "id", Value: k.RID}},
		options.FindOne().SetSort(bson.D{{Key: "v", Value: -1}}).SetProjection(bson.D{{Key: "json", Value: 0}})).Decode(&d)
	if err != nil && !errors.Is(err, mdb.ErrNoDocuments) {
		return false, err
	}
	if err != nil || d.V < k.V {
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
	db.keys.DeleteMany(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: n.claimed}}},
		{Key: "type", Value: n.doc.Type}, {Key: "id", Value: n.doc.RID}})
	n.claimed = nil
}

// releaseStale drops the claims of d's resource that d does not make.
func (db *DB) releaseStale(ctx context.Context, d *versionDoc) error {
	keep := d.Keys
	if keep == nil || d.Del {
		keep = []string{}
	}
	_, err := db.keys.DeleteMany(ctx, bson.D{{Key: "type", Value: d.Type}, {Key: "id", Value: d.RID},
		{Key: "_id", Value: bson.D{{Key: "$nin", Value: keep}}}})
	return err
}
