package mongo

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	mdb "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The change log. Position n is claimed by inserting changes/{n}, and a writer only tries
// n after seeing n-1 taken, so positions are dense and the log is never read with a gap
// that fills in later: Changes(after) returns a prefix of what will ever be there. This
// replica's claims are serialised by seqMu, so only replicas race for a position; the
// loser reads the highest taken and tries the next.

type changeDoc struct {
	Seq  int64  `bson:"_id"`
	VID  string `bson:"vid"` // the version's _id
	Type string `bson:"type"`
	RID  string `bson:"id"`
	V    int64  `bson:"v"`
}

// claimSeq appends the version v to the change log and returns its position.
func (db *DB) claimSeq(ctx context.Context, v *versionDoc) (int64, error) {
	db.seqMu.Lock()
	defer db.seqMu.Unlock()
	if db.lastSeq == 0 {
		if err := db.refreshSeq(ctx); err != nil {
			return 0, err
		}
	}
	for {
		next := db.lastSeq + 1
		_, err := db.changes.InsertOne(ctx, changeDoc{Seq: next, VID: v.ID, Type: v.Type, RID: v.RID, V: v.V})
		if err == nil {
			db.lastSeq = next
			return next, nil
		}
		if !isDup(err) {
			return 0, err
		}
		if err := db.refreshSeq(ctx); err != nil {
			return 0, err
		}
	}
}

// refreshSeq sets lastSeq to the highest position taken.
func (db *DB) refreshSeq(ctx context.Context) error {
	var top changeDoc
	err := db.changes.FindOne(ctx, bson.D{}, options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}})).Decode(&top)
	if errors.Is(err, mdb.ErrNoDocuments) {
		top.Seq = 0
	} else if err != nil {
		return err
	}
	db.lastSeq = max(db.lastSeq, top.Seq)
	return nil
}
