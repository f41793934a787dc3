package store

import (
	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
)

// NewWrite prepares the Op that creates or updates r: its JSON, its index entries and the
// business keys it claims under rules. r must have been validated.
func NewWrite(kind OpKind, r *fhir.Resource, rules []fhir.UniqueRule) Op {
	op := Op{Kind: kind, Type: r.Type, ID: r.ID, JSON: r.JSON, Entries: search.ExtractAll(r.Type, r.Object)}
	for _, k := range fhir.BusinessKeys(r, rules) {
		op.Unique = append(op.Unique, UniqueKey{Key: k.Key, Diagnostics: k.Diagnostics})
	}
	return op
}
