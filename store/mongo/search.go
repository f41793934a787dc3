package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// Search is store.Store.Search. (First cut: to be replaced by compile.go's filters.)
func (db *DB) Search(ctx context.Context, q *search.Query) (store.SearchResult, error) {
	return store.SearchResult{}, fhir.Errorf(fhir.KindNotImplemented, "not-supported", "", "search is not built yet on MongoDB")
}

// matchIDs returns the ids of at most limit live resources of q.Type that q matches, in
// id order: for conditional interactions.
func (db *DB) matchIDs(ctx context.Context, q *search.Query, limit int) ([]string, error) {
	cur, err := db.resources.Find(ctx, bson.D{{Key: "type", Value: q.Type}, {Key: "del", Value: false}})
	if err != nil {
		return nil, translate("mongo.Search", err)
	}
	defer cur.Close(ctx)
	var ids []string
	for cur.Next(ctx) && len(ids) < limit {
		var d currentDoc
		if err := cur.Decode(&d); err != nil {
			return nil, translate("mongo.Search", err)
		}
		r, err := fhir.Decode(d.JSON)
		if err != nil {
			return nil, translate("mongo.Search", err)
		}
		if search.MatchWith(q, r.Object, nil) {
			ids = append(ids, d.RID)
		}
	}
	return ids, translate("mongo.Search", cur.Err())
}
