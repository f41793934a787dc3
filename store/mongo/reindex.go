package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
)

// Reindex rebuilds the index entries of every current document of typ (all types when
// empty). A document replaced by a new version meanwhile is left alone: the replace
// carries the version it read, and the new version came with its own entries.
func (db *DB) Reindex(ctx context.Context, typ string, progress func(done int)) error {
	const name = "mongo.Reindex"
	leave, err := db.enter()
	if err != nil {
		return err
	}
	defer leave()
	filter := bson.D{{Key: "del", Value: false}}
	if typ != "" {
		filter = append(filter, bson.E{Key: "type", Value: typ})
	}
	cur, err := db.resources.Find(ctx, filter)
	if err != nil {
		return translate(name, err)
	}
	defer cur.Close(ctx)
	done := 0
	for cur.Next(ctx) {
		var d currentDoc
		if err := cur.Decode(&d); err != nil {
			return translate(name, err)
		}
		r, err := fhir.Decode(d.JSON)
		if err != nil {
			return translate(name, err)
		}
		v := versionDoc{Type: d.Type, RID: d.RID, V: d.V, LU: d.LU, JSON: d.JSON, How: d.How, Seq: d.Seq}
		doc := currentOf(&v, indexFields(d.Type, search.ExtractAll(d.Type, r.Object)))
		if _, err := db.replaceGuarded(ctx, db.resources, d.ID, doc, eq("v", d.V)); err != nil {
			return translate(name, err)
		}
		done++
		if progress != nil && done%1000 == 0 {
			progress(done)
		}
	}
	if progress != nil {
		progress(done)
	}
	return translate(name, cur.Err())
}
