package nhscsv

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// prepare makes the store op of each good row of a batch. An update first finds its
// record: the store's conditional update would create a record when none matches, where
// the file means only to change one. The op then names the record found, pinned to the
// version found (a record changed meanwhile fails the row rather than be overwritten
// unseen), and keeps the identifier as its condition. An error means Apply cannot go on.
func (a *applier) prepare(ctx context.Context, batch []*item) error {
	for _, it := range batch {
		row := &it.row
		if row.Err != nil {
			continue
		}
		if row.Action == ActionNew && a.opts.IDSeed != "" {
			// The row's own id, written as an upsert that skips an unchanged record: the
			// same file applied again (a job taken over after a crash) writes nothing twice.
			it.op = store.NewWrite(store.OpUpdate, row.res, a.opts.UniqueRules)
			it.op.ID, it.op.SkipUnchanged = rowID(a.opts.IDSeed, row.No), true
			continue
		}
		if row.Action == ActionNew {
			it.op = store.NewWrite(store.OpCreate, row.res, a.opts.UniqueRules)
			it.op.ID = uuid.Must(uuid.NewV7()).String()
			continue
		}
		cond, err := a.criteria(*row)
		if err != nil {
			row.Err = err
			continue
		}
		if row.Action == ActionDelete {
			it.op = store.Op{Kind: store.OpDelete, Type: "Immunization", Condition: cond}
			continue
		}
		found, err := a.find(ctx, cond)
		switch {
		case err != nil && !fhir.DataFault(err):
			return err
		case err != nil:
			row.Err = err
			continue
		case found == nil:
			row.Err = a.notFound(*row)
			continue
		}
		it.op = store.NewWrite(store.OpUpdate, row.res, a.opts.UniqueRules)
		it.op.ID, it.op.IfMatch, it.op.Condition, it.op.ClientID = found.ID, found.Version, cond, true
		it.op.SkipUnchanged = a.opts.IDSeed != "" // a run again: what it updated before stays
	}
	return nil
}

// rowID is the id of the record a new row of a file creates, the same on every run.
func rowID(seed string, row int) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("nims:nhs-csv:"+seed+":"+strconv.Itoa(row))).String()
}

// criteria selects the live record a row is about: its identifier, within the file's
// vaccine type (the supplier's permissions are for that type only).
func (a *applier) criteria(row Row) (*search.Query, error) {
	q := url.Values{
		"identifier":           {escape(row.Value("UNIQUE_ID_URI")) + "|" + escape(row.Value("UNIQUE_ID"))},
		"-immunization.target": {a.file.VaccineType},
	}
	return search.ParseCriteria("Immunization", q.Encode())
}

// escape escapes the characters a token search value gives a meaning to
// (https://hl7.org/fhir/R4/search.html#escaping).
func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `,`, `\,`, `|`, `\|`, `$`, `\$`).Replace(s)
}

// find returns the one live record matching cond, nil when there is none. Errors:
// KindPreconditionFailed when several match, and the store's.
func (a *applier) find(ctx context.Context, cond *search.Query) (*store.Record, error) {
	q := *cond
	q.Count, q.Total = 2, search.TotalNone
	res, err := a.st.Search(ctx, &q)
	switch {
	case err != nil:
		return nil, err
	case len(res.Records) > 1:
		return nil, rowError(fhir.KindPreconditionFailed, "multiple-matches", "More than one Immunization has this identifier")
	case len(res.Records) == 0:
		return nil, nil
	}
	return &res.Records[0], nil
}

// maxRetries is how many refused rows a batch is written again without, one at a time,
// before the rest is written row by row.
const maxRetries = 3

// write stores the prepared rows of a batch in one transaction. When the store refuses a
// row, the transaction names it (store.OpError): it fails, and the others are written
// again without it, which is what writing them one by one would do, at a transaction per
// refusal rather than per row.
func (a *applier) write(ctx context.Context, batch []*item) error {
	var pending []*item
	for _, it := range batch {
		if it.row.Err == nil {
			pending = append(pending, it)
		}
	}
	for tries := 0; len(pending) > 0; tries++ {
		if tries == maxRetries {
			return a.singly(ctx, pending)
		}
		ops := make([]store.Op, len(pending))
		for i, it := range pending {
			ops[i] = it.op
		}
		results, err := a.st.Transaction(ctx, ops)
		if err == nil {
			for i, it := range pending {
				it.res, it.done = results[i], true
			}
			return nil
		}
		if !fhir.DataFault(err) {
			return err
		}
		var oe *store.OpError
		if !errors.As(err, &oe) || oe.Index < 0 || oe.Index >= len(pending) {
			return a.singly(ctx, pending)
		}
		pending[oe.Index].row.Err = oe.Err
		pending = slices.Delete(pending, oe.Index, oe.Index+1)
	}
	return nil
}

// singly stores rows one transaction each.
func (a *applier) singly(ctx context.Context, items []*item) error {
	for _, it := range items {
		res, err := a.st.Transaction(ctx, []store.Op{it.op})
		switch {
		case err == nil:
			it.res, it.done = res[0], true
		case fhir.DataFault(err):
			it.row.Err = err
		default:
			return err
		}
	}
	return nil
}
