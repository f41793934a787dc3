package store

import (
	"strings"

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

// RewriteReferences prepares a transaction's op (see Store.Transaction): references to a
// bound FullURL become Type/id, conditional references Type?criteria become what resolve
// returns for them, and an unbound urn: reference is KindInvalid. When anything changed,
// op's JSON and index entries are replaced.
func RewriteReferences(op *Op, bound map[string]string, resolve func(typ, query string) (string, error)) error {
	var failed error
	js, changed, err := fhir.RewriteReferences(op.JSON, func(ref string) (string, bool) {
		if failed != nil {
			return "", false
		}
		if to, ok := bound[ref]; ok {
			return to, true
		}
		if typ, query, ok := strings.Cut(ref, "?"); ok && fhir.IsResourceType(typ) {
			to, err := resolve(typ, query)
			failed = err
			return to, err == nil
		}
		if strings.HasPrefix(ref, "urn:uuid:") || strings.HasPrefix(ref, "urn:oid:") {
			failed = fhir.Errorf(fhir.KindInvalid, "not-found", "",
				"the reference %q names no entry of the transaction (no entry has that fullUrl)", ref)
		}
		return "", false
	})
	if err != nil {
		return err
	}
	if failed != nil || !changed {
		return failed
	}
	r, err := fhir.Decode(js)
	if err != nil {
		return err
	}
	op.JSON, op.Entries = r.JSON, search.ExtractAll(op.Type, r.Object)
	return nil
}

// ResolveConditional resolves a transaction's conditional reference Type?criteria to
// its one live match, found by match (at most 2 ids).
func ResolveConditional(typ, query string, match func(q *search.Query) ([]string, error)) (string, error) {
	q, err := search.ParseCriteria(typ, query)
	if err != nil {
		return "", err
	}
	ids, err := match(q)
	switch {
	case err != nil:
		return "", err
	case len(ids) == 0:
		return "", fhir.Errorf(fhir.KindPreconditionFailed, "not-found", "",
			"the conditional reference %s?%s matches no %s", typ, query, typ)
	case len(ids) > 1:
		return "", fhir.Errorf(fhir.KindPreconditionFailed, "multiple-matches", "",
			"the conditional reference %s?%s matches more than one %s", typ, query, typ)
	}
	return typ + "/" + ids[0], nil
}
