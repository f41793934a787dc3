package mongo

import (
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/nimsproject/nims/store"
)

// versionDoc is one version of one resource in versions. Its _id, "{type}/{id}/{v}" with
// v zero-padded, is the linearisation point of the write that made it: of two writers
// who read version v, exactly one inserts v+1.
//
// Seq is the version's change-log position, set once the version is committed (seq.go).
// A version with Seq 0 is in flight: written by a transaction not yet decided, or by a
// writer that stopped half-way (the next writer of the resource finishes its work,
// write.go). Txn names the transaction that wrote it, if any.
type versionDoc struct {
	ID   string   `bson:"_id"`
	Type string   `bson:"type"`
	RID  string   `bson:"id"`
	V    int64    `bson:"v"`
	LU   int64    `bson:"lu"` // last updated, Unix ms
	Del  bool     `bson:"del"`
	JSON []byte   `bson:"json,omitempty"`
	How  int32    `bson:"how"` // 10 × OpKind, + 1 when the version created the resource
	Seq  int64    `bson:"seq"`
	Txn  string   `bson:"txn,omitempty"`
	Keys []string `bson:"keys,omitempty"` // the unique keys this version claims
	Wall int64    `bson:"wall"`           // wall-clock Unix ms of the insert, to tell an abandoned write
}

func versionID(typ, id string, v int64) string {
	return fmt.Sprintf("%s/%s/%012d", typ, id, v)
}

func resourceID(typ, id string) string { return typ + "/" + id }

func (d *versionDoc) record() store.Record {
	rec := store.Record{Type: d.Type, ID: d.RID, Version: d.V, LastUpdated: time.UnixMilli(d.LU).UTC(),
		Deleted: d.Del, Seq: d.Seq, Op: store.OpKind(d.How / 10), Created: d.How%10 == 1}
	if !d.Del {
		rec.JSON = d.JSON
	}
	return rec
}

// currentDoc is the current version of a resource in resources, with the search index
// entries of its JSON (index.go). Readers by id and searches use it: a version is visible
// once its current document names it. The document is replaced only by a later version
// (its filter carries v), so it never goes back.
type currentDoc struct {
	ID   string `bson:"_id"`
	Type string `bson:"type"`
	RID  string `bson:"id"`
	V    int64  `bson:"v"`
	LU   int64  `bson:"lu"`
	Del  bool   `bson:"del"`
	JSON []byte `bson:"json,omitempty"`
	How  int32  `bson:"how"`
	Seq  int64  `bson:"seq"`
}

func (d *currentDoc) record() store.Record {
	v := versionDoc{Type: d.Type, RID: d.RID, V: d.V, LU: d.LU, Del: d.Del, JSON: d.JSON, How: d.How, Seq: d.Seq}
	return v.record()
}

// currentFields are the fields of currentDoc, for projections that leave out the
// index entries.
var currentFields = bson.D{{Key: "type", Value: 1}, {Key: "id", Value: 1}, {Key: "v", Value: 1},
	{Key: "lu", Value: 1}, {Key: "del", Value: 1}, {Key: "json", Value: 1}, {Key: "how", Value: 1}, {Key: "seq", Value: 1}}

// currentOf builds the current document of a committed version, index entries included.
func currentOf(v *versionDoc, entries bson.D) bson.D {
	d := bson.D{{Key: "_id", Value: resourceID(v.Type, v.RID)}, {Key: "type", Value: v.Type}, {Key: "id", Value: v.RID},
		{Key: "v", Value: v.V}, {Key: "lu", Value: v.LU}, {Key: "del", Value: v.Del}, {Key: "how", Value: v.How}, {Key: "seq", Value: v.Seq}}
	if !v.Del {
		d = append(d, bson.E{Key: "json", Value: v.JSON})
		d = append(d, entries...)
	}
	return d
}
