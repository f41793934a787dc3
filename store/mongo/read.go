package mongo

import (
	"context"
	"errors"
	"math"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mdb "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// Reads by id use the current document; reads of versions use only committed ones
// (seq > 0): a version in flight is nobody's to see yet.

// Read returns the current version.
func (db *DB) Read(ctx context.Context, typ, id string) (store.Record, error) {
	const name = "mongo.Read"
	leave, err := db.enter()
	if err != nil {
		return store.Record{}, err
	}
	defer leave()
	rec, err := db.read(ctx, typ, id)
	if err != nil {
		return rec, translate(name, err)
	}
	if rec.Deleted {
		return rec, fhir.Errorf(fhir.KindGone, "deleted", "", "%s/%s was deleted", typ, id)
	}
	return rec, nil
}

// read returns the current version, deleted or not; KindNotFound when there is none.
func (db *DB) read(ctx context.Context, typ, id string) (store.Record, error) {
	var d currentDoc
	err := db.resources.FindOne(ctx, bson.D{{Key: "_id", Value: resourceID(typ, id)}},
		options.FindOne().SetProjection(currentFields)).Decode(&d)
	if errors.Is(err, mdb.ErrNoDocuments) {
		return store.Record{}, fhir.Errorf(fhir.KindNotFound, "not-found", "", "%s/%s is not known", typ, id)
	}
	if err != nil {
		return store.Record{}, err
	}
	return d.record(), nil
}

// VRead returns one version.
func (db *DB) VRead(ctx context.Context, typ, id string, version int64) (store.Record, error) {
	const name = "mongo.VRead"
	leave, err := db.enter()
	if err != nil {
		return store.Record{}, err
	}
	defer leave()
	var d versionDoc
	err = db.versions.FindOne(ctx, bson.D{{Key: "_id", Value: versionID(typ, id, version)}}).Decode(&d)
	if errors.Is(err, mdb.ErrNoDocuments) || (err == nil && d.Seq == 0) {
		return store.Record{}, fhir.Errorf(fhir.KindNotFound, "not-found", "", "%s/%s has no version %d", typ, id, version)
	}
	if err != nil {
		return store.Record{}, translate(name, err)
	}
	rec := d.record()
	if rec.Deleted {
		return rec, fhir.Errorf(fhir.KindGone, "deleted", "", "version %d of %s/%s is a deletion", version, typ, id)
	}
	return rec, nil
}

// History returns committed versions newest first, in commit order (seq), so that
// pages stay consistent while writes continue.
func (db *DB) History(ctx context.Context, q store.HistoryQuery) (store.HistoryPage, error) {
	const name = "mongo.History"
	leave, err := db.enter()
	if err != nil {
		return store.HistoryPage{}, err
	}
	defer leave()
	if q.Count <= 0 {
		return store.HistoryPage{}, invalid(name, "the history page size must be positive")
	}
	before := int64(math.MaxInt64)
	if q.Cursor != "" {
		var ok bool
		if before, ok = store.DecodeHistoryCursor(q.Cursor, q); !ok {
			return store.HistoryPage{}, invalid(name, "the history cursor is not valid for this query")
		}
	}
	filter := bson.D{}
	if q.Type != "" {
		filter = append(filter, bson.E{Key: "type", Value: q.Type})
	}
	if q.ID != "" {
		filter = append(filter, bson.E{Key: "id", Value: q.ID})
	}
	filter = append(filter, bson.E{Key: "seq", Value: bson.D{{Key: "$gt", Value: 0}, {Key: "$lt", Value: before}}})
	if !q.Since.IsZero() {
		filter = append(filter, bson.E{Key: "lu", Value: bson.D{{Key: "$gte", Value: sinceMillis(q.Since)}}})
	}
	cur, err := db.versions.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "seq", Value: -1}}).SetLimit(int64(q.Count)+1))
	if err != nil {
		return store.HistoryPage{}, translate(name, err)
	}
	var docs []versionDoc
	if err := cur.All(ctx, &docs); err != nil {
		return store.HistoryPage{}, translate(name, err)
	}
	page := store.HistoryPage{Records: make([]store.Record, 0, min(len(docs), q.Count))}
	for i := range docs[:min(len(docs), q.Count)] {
		page.Records = append(page.Records, docs[i].record())
	}
	if len(docs) > q.Count {
		page.Next = store.EncodeHistoryCursor(page.Records[q.Count-1].Seq, q)
	}
	return page, nil
}

// sinceMillis is the least stored instant (whole milliseconds) at or after since.
func sinceMillis(since time.Time) int64 {
	ms := since.UnixMilli()
	if time.UnixMilli(ms).Before(since) {
		ms++
	}
	return ms
}

// Changes returns the change log after afterSeq, oldest first.
func (db *DB) Changes(ctx context.Context, afterSeq int64, limit int) ([]store.Record, error) {
	const name = "mongo.Changes"
	leave, err := db.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	if limit <= 0 {
		return nil, nil
	}
	cur, err := db.changes.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: afterSeq}}}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, translate(name, err)
	}
	var entries []changeDoc
	if err := cur.All(ctx, &entries); err != nil {
		return nil, translate(name, err)
	}
	if len(entries) == 0 {
		return nil, nil
	}
	vids := make([]string, len(entries))
	for i, e := range entries {
		vids[i] = e.VID
	}
	vcur, err := db.versions.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: vids}}}})
	if err != nil {
		return nil, translate(name, err)
	}
	var docs []versionDoc
	if err := vcur.All(ctx, &docs); err != nil {
		return nil, translate(name, err)
	}
	byID := make(map[string]*versionDoc, len(docs))
	for i := range docs {
		byID[docs[i].ID] = &docs[i]
	}
	recs := make([]store.Record, 0, len(entries))
	for _, e := range entries {
		d, ok := byID[e.VID]
		if !ok {
			continue // removed: a transaction that was undone after a repairer logged it
		}
		rec := d.record()
		rec.Seq = e.Seq
		recs = append(recs, rec)
	}
	return recs, nil
}
