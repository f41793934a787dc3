package mongo

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/nimsproject/nims/fhir/search"
)

// indexFields turns a resource's search index entries into the fields of its current
// document: one array of scalar strings per kind of value, so that a multikey index
// serves each and no query needs $elemMatch over sub-documents (docs/SCALE.md).
func indexFields(typ string, entries []search.Entry) bson.D {
	tk := make([]string, 0, len(entries))
	for _, e := range entries {
		tk = append(tk, e.Param+"\x1f"+e.System+"\x1f"+e.Code)
	}
	return bson.D{{Key: "tk", Value: tk}}
}
