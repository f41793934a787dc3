package nhscsv

import (
	"context"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// Options tune Apply. Permissions must be given; the rest has defaults.
type Options struct {
	BatchSize int // rows per store transaction; 0 means 500
	Workers   int // rows converted and validated at once; 0 means GOMAXPROCS
	// Permissions are the supplier's rights on the file's vaccine type as CRUDS letters
	// (any order or case; R and S are read and search, which a file does not use): C lets
	// rows create, U update, D delete. A row asking for what is not granted fails with
	// NO_PERMISSIONS; a file granted none of C, U and D is rejected whole, as NHS England
	// rejects it.
	Permissions  string
	ReceivedTime time.Time // the acknowledgement's RECEIVED_TIME; zero means now
	MailboxFrom  string    // the acknowledgement's MAILBOX_FROM: the MESH mailbox, if any
	MessageID    string    // the file's job id, before ^row in MESSAGE_HEADER_ID; "" means a new UUID
	// UniqueRules are the business keys a record claims; nil means fhir.DefaultUniqueRules,
	// under which a second record with the same UNIQUE_ID_URI and UNIQUE_ID is refused.
	UniqueRules []fhir.UniqueRule
	// IDSeed, when set, makes Apply repeatable: a new row's record gets an id derived from
	// the seed and its row number, and is written only when absent or different, as is an
	// update; the same file applied again with the same seed acknowledges the rows it
	// already applied as done (Unchanged) and writes nothing twice. A job's id serves.
	IDSeed string
}

// Summary is what Apply did. Rows is the number of lines it wrote to the acknowledgement
// after the header; Created + Updated + Deleted + Unchanged + Failed = Rows. Unchanged
// rows were applied before (Options.IDSeed) and are acknowledged as done.
type Summary struct {
	MessageID                                          string
	Rows, Created, Updated, Deleted, Unchanged, Failed int
}

// Apply reads a batch file named file from r and applies its rows, in file order,
// through st; ack receives the BUSACK report: AckHeader, then exactly one line per data
// row, in file order. A bad row is reported in its line while the rest are applied.
//
//   - new: a create under a new id, the row's UNIQUE_ID_URI and UNIQUE_ID its business
//     key: a live record already holding them fails the row ("… is duplicated"), as the
//     API refuses the same create.
//   - update: the live record of the file's vaccine type with identifier
//     UNIQUE_ID_URI|UNIQUE_ID is replaced by the row, keeping its id; none fails the row.
//   - delete: that record is deleted (logically: its history is kept); none fails the row.
//
// Rows are written in batches of opts.BatchSize, each one store transaction. A row the
// store refuses (a duplicate, a record changed since it was found) is taken out and the
// rest of its batch written again; after a few such rows the batch is written row by row.
//
// Errors: KindInvalid when the file is rejected whole (empty, wrong header) and
// KindForbidden when the permissions grant no write, both before anything is written to
// ack; otherwise an error means Apply could not go on (r unreadable, the store failing,
// ctx ended): the rows not applied are reported failed in ack, as long as r and ack
// still work, and the summary counts what was done.
func Apply(ctx context.Context, st store.Store, file FileName, r io.Reader, ack io.Writer, opts Options) (Summary, error) {
	opts = opts.withDefaults()
	sum := Summary{MessageID: opts.MessageID}
	perms, err := parsePermissions(opts.Permissions)
	if err != nil {
		return sum, err
	}
	rd, err := NewReader(r, file)
	if err != nil {
		return sum, err
	}
	if perms == (permissions{}) {
		return sum, fhir.Errorf(fhir.KindForbidden, "forbidden", "",
			"The supplier has no permission to create, update or delete %s vaccination records", file.VaccineType)
	}
	a := &applier{st: st, rd: rd, file: file, opts: opts, perms: perms, sum: sum,
		ack: newAckWriter(ack, opts.MessageID, opts.ReceivedTime.UTC().Format("20060102T150405")+"00", opts.MailboxFrom)}
	a.ack.header()
	err = a.run(ctx)
	if ferr := a.ack.flush(); err == nil {
		err = ferr
	}
	return a.sum, err
}

func (o Options) withDefaults() Options {
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.ReceivedTime.IsZero() {
		o.ReceivedTime = time.Now()
	}
	if o.MessageID == "" {
		o.MessageID = uuid.NewString()
	}
	if o.UniqueRules == nil {
		o.UniqueRules = fhir.DefaultUniqueRules
	}
	return o
}

// permissions are the writes a supplier may make.
type permissions struct{ create, update, delete bool }

func parsePermissions(s string) (permissions, error) {
	var p permissions
	for _, c := range strings.ToUpper(s) {
		switch c {
		case 'C':
			p.create = true
		case 'U':
			p.update = true
		case 'D':
			p.delete = true
		case 'R', 'S':
		default:
			return p, fhir.Errorf(fhir.KindInvalid, "invalid", "", "permissions %q: %q is not one of the CRUDS letters", s, c)
		}
	}
	return p, nil
}

func (p permissions) allows(a Action) bool {
	return a == ActionNew && p.create || a == ActionUpdate && p.update || a == ActionDelete && p.delete
}

// applier is the state of one Apply.
type applier struct {
	st    store.Store
	rd    *Reader
	file  FileName
	opts  Options
	perms permissions
	ack   *ackWriter
	sum   Summary
}

// item is one row on its way to the store.
type item struct {
	row   Row
	op    store.Op
	res   store.Result
	done  bool // res is the store's answer
	fatal error
}

// run reads the rows into batches and writes each. A batch is also cut before an update
// of a record the batch already writes: an update finds its record before its batch is
// written (apply_write.go), so it must see what earlier rows did to it.
func (a *applier) run(ctx context.Context) error {
	var batch []*item
	keys := map[string]bool{}
	for {
		row, err := a.rd.next()
		if err == io.EOF {
			break
		}
		if err != nil { // the file cannot be read on: what was read is applied
			if ferr := a.flush(ctx, batch); ferr != nil {
				return ferr
			}
			return err
		}
		if row.Err == nil && !a.perms.allows(row.Action) {
			row.Err = rowError(fhir.KindForbidden, "forbidden", "No permissions for requested operation")
		}
		key := row.Value("UNIQUE_ID_URI") + "\x1f" + row.Value("UNIQUE_ID")
		if len(batch) == a.opts.BatchSize || row.Err == nil && row.Action == ActionUpdate && keys[key] {
			if err := a.flush(ctx, batch); err != nil {
				a.fail([]*item{{row: row}}, err)
				return a.drain(err)
			}
			batch, keys = nil, map[string]bool{}
		}
		batch = append(batch, &item{row: row})
		keys[key] = true
	}
	if err := a.flush(ctx, batch); err != nil {
		return a.drain(err)
	}
	return nil
}

// flush converts, writes and acknowledges a batch. An error means Apply cannot go on;
// the batch's rows are acknowledged all the same.
func (a *applier) flush(ctx context.Context, batch []*item) error {
	if len(batch) == 0 {
		return nil
	}
	err := ctx.Err()
	if err == nil {
		a.convert(batch)
		err = a.prepare(ctx, batch)
	}
	if err == nil {
		err = a.write(ctx, batch)
	}
	if err != nil {
		a.fail(batch, err)
		return err
	}
	a.report(batch)
	return a.ack.flush()
}

// fail acknowledges the rows of batch not yet applied as failed for err, which stops
// Apply.
func (a *applier) fail(batch []*item, err error) {
	for _, it := range batch {
		if !it.done && it.row.Err == nil {
			it.fatal = err
		}
	}
	a.report(batch)
}

// drain acknowledges every row left in the file as failed (for its own fault, or else
// for err), so that the report still has a line per row, and returns err.
func (a *applier) drain(err error) error {
	for a.ack.err == nil {
		row, rerr := a.rd.next()
		if rerr != nil {
			break
		}
		a.fail([]*item{{row: row}}, err)
	}
	return err
}

// convert converts and validates the rows of a batch on every core.
func (a *applier) convert(batch []*item) {
	var wg sync.WaitGroup
	next := make(chan *item)
	for range min(a.opts.Workers, len(batch)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range next {
				a.rd.convert(&it.row)
			}
		}()
	}
	for _, it := range batch {
		if it.row.Err == nil {
			next <- it
		}
	}
	close(next)
	wg.Wait()
}

// report counts and acknowledges the rows of a batch.
func (a *applier) report(batch []*item) {
	for _, it := range batch {
		err := it.row.Err
		switch {
		case it.fatal != nil:
			err = it.fatal
		case err != nil:
		case it.res.Outcome == store.Created:
			a.sum.Created++
		case it.res.Outcome == store.Updated:
			a.sum.Updated++
		case it.res.Outcome == store.Deleted:
			a.sum.Deleted++
		case it.res.Outcome == store.NoOp && it.row.Action != ActionDelete:
			a.sum.Unchanged++ // applied by an earlier run of the same file
		default: // a delete that found nothing to delete
			err = a.notFound(it.row)
		}
		if err != nil {
			a.sum.Failed++
		}
		a.sum.Rows++
		a.ack.row(it.row, it.res.Record.ID, err)
	}
}

func (a *applier) notFound(row Row) error {
	return rowError(fhir.KindNotFound, "not-found", "Immunization resource does not exist: no %s vaccination record has the identifier %s#%s",
		a.file.VaccineType, row.Value("UNIQUE_ID_URI"), row.Value("UNIQUE_ID"))
}
