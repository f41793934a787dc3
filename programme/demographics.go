package programme

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// The demographic feed (the nightly PDS delta): one Patient per line (FHIR NDJSON), each
// the whole current record of a person under their NHS number. For each:
//   - upsert by NHS number: a new person is created (a birth, or a new registration);
//     a known one is replaced by the record sent (address: a move; generalPractitioner: a
//     change of practice, linked to the practice's Organization when one has the ODS
//     code; meta.security R or V: a restricted record; deceased[x]: a death), keeping
//     what NIMS holds that PDS does not send: the ethnic category from GP feeds, the
//     links and the superseded numbers;
//   - a death also stops the person's invitations not yet sent (Communications in
//     preparation or in progress become not-done, status reason "patient deceased"), and
//     deceased people are left out of cohorts by the cohort rules (Patient.deceased);
//   - a superseded NHS number: a record that says it replaces an old number (link of type
//     "replaces" to the old number's identifier) makes the old Patient inactive with a
//     "replaced-by" link to the new one, gives the new one the old number as an identifier
//     of use "old" and a "replaces" link, and moves every record of the person to the new
//     Patient: references to the old Patient are rewritten and NHS records naming the
//     person by a contained Patient get the new number (the old one kept as use "old"),
//     so that either number finds the person and their records;
//   - the same record sent again changes nothing (no new version).

// FeedOptions tune a feed; the zero value is usable.
type FeedOptions struct {
	MaxErrors    int // line errors kept in the report; 0 means 1000
	MaxLineBytes int // longest line; 0 means 1 MiB
}

// LineError is a line of a feed that was not applied.
type LineError struct {
	Line int64
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// FeedReport is what a demographic feed did, person by person.
type FeedReport struct {
	Created, Updated, Unchanged int64
	Superseded                  int64 // old numbers whose records moved to a new one
	Died                        int64 // records that newly carry a death
	Stopped                     int64 // invitations stopped by a death
	Failed                      int64
	Errors                      []LineError
}

// maxAttempts bounds the re-reads of one person when others write it meanwhile.
const maxAttempts = 5

// ApplyDemographics applies the feed in r to st. It returns an error only when it cannot
// go on (the store failing, r unreadable, ctx ended); bad lines are in the report.
//
// People are applied concurrently (feedWorkers at once, so that the store commits their
// writes in groups), each person's lines in order: a line goes to the worker its NHS
// number hashes to. A line that supersedes a number touches two people, so it waits for
// every line before it and is applied alone.
func ApplyDemographics(ctx context.Context, st store.Store, r io.Reader, opts FeedOptions) (FeedReport, error) {
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = 1000
	}
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = 1 << 20
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f := &feed{st: st, opts: opts, practices: map[string]string{}}
	var pending sync.WaitGroup // lines handed to workers and not yet applied
	var workers sync.WaitGroup
	queues := make([]chan feedLine, feedWorkers)
	for i := range queues {
		queues[i] = make(chan feedLine, 16)
		workers.Go(func() {
			for l := range queues[i] {
				f.apply1(ctx, cancel, l)
				pending.Done()
			}
		})
	}
	stop := func() {
		for _, q := range queues {
			close(q)
		}
		workers.Wait()
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), opts.MaxLineBytes)
	var line int64
	for sc.Scan() && ctx.Err() == nil {
		line++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		l := feedLine{no: line, raw: bytes.Clone(raw)}
		l.res, l.err = fhir.Decode(l.raw) // once, here: the route needs it
		nhs, supersedes := l.route()
		if supersedes {
			pending.Wait()
			f.apply1(ctx, cancel, l)
			continue
		}
		pending.Add(1)
		queues[fnv32(nhs)%feedWorkers] <- l
	}
	stop()
	f.mu.Lock()
	defer f.mu.Unlock()
	slices.SortFunc(f.report.Errors, func(a, b LineError) int { return int(a.Line - b.Line) })
	if f.fatal != nil {
		return f.report, f.fatal
	}
	if err := ctx.Err(); err != nil {
		return f.report, err
	}
	return f.report, scanErr(sc.Err(), line, opts.MaxLineBytes)
}

// feedWorkers is how many people a feed applies at once.
const feedWorkers = 16

// feedLine is one line of a feed, numbered from 1, decoded (or why not).
type feedLine struct {
	no  int64
	raw []byte
	res *fhir.Resource
	err error
}

// apply1 applies one line, recording its outcome; a failure of the store stops the feed.
func (f *feed) apply1(ctx context.Context, cancel context.CancelFunc, l feedLine) {
	if ctx.Err() != nil {
		return
	}
	err := f.person(ctx, l)
	if err == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !fhir.DataFault(err) {
		if f.fatal == nil && ctx.Err() == nil {
			f.fatal = err
		}
		cancel()
		return
	}
	f.report.Failed++
	if len(f.report.Errors) < f.opts.MaxErrors {
		f.report.Errors = append(f.report.Errors, LineError{Line: l.no, Err: err})
	}
}

// route is the NHS number a line is about, and whether it supersedes another (a line
// that is not a resource goes with the number ""; its worker reports it).
func (l feedLine) route() (nhs string, supersedes bool) {
	if l.err != nil {
		return "", false
	}
	return currentNHS(l.res.Object), replacedNumber(l.res.Object) != ""
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

// scanErr is the error a feed's scanner stopped on, if any: a line longer than max is
// the data's fault (KindInvalid), reported with its number.
func scanErr(err error, line int64, max int) error {
	if errors.Is(err, bufio.ErrTooLong) {
		return invalid("line %d is longer than %d bytes", line+1, max)
	}
	return err
}

type feed struct {
	st   store.Store
	opts FeedOptions

	mu        sync.Mutex        // guards what follows: the workers share them
	report    FeedReport        //
	fatal     error             // the store's failure that stopped the feed
	practices map[string]string // ODS code → Organization id ("" when none)
}

func invalid(format string, args ...any) error {
	return fhir.Errorf(fhir.KindInvalid, "invalid", "", format, args...)
}

// person applies one line, re-reading when a write raced with another.
func (f *feed) person(ctx context.Context, l feedLine) error {
	in, err := l.res, l.err
	if err != nil {
		return err
	}
	if in.Type != "Patient" {
		return invalid("a demographic feed holds Patients, not %s", in.Type)
	}
	if err := fhir.Validate(in); err != nil {
		return err
	}
	return reread(func() error {
		delta, err := decodeJSON(l.raw) // afresh: an attempt edits it
		if err != nil {
			return err
		}
		return f.apply(ctx, delta)
	})
}

// apply works out the writes one delta record needs and makes them in one transaction.
func (f *feed) apply(ctx context.Context, delta obj) error {
	nhs := currentNHS(delta)
	if !fhir.ValidNHSNumber(nhs) {
		return invalid("the Patient has no valid NHS number (identifier with system %s)", fhir.SystemNHSNumber)
	}
	old := replacedNumber(delta)
	if old == nhs {
		old = ""
	}
	if old != "" && !fhir.ValidNHSNumber(old) {
		return invalid("the number the Patient replaces, %q, is not a valid NHS number", old)
	}
	cur, err := patientByNHS(ctx, f.st, nhs)
	if err != nil {
		return err
	}
	if err := f.linkPractices(ctx, delta); err != nil {
		return err
	}
	id := uuid.Must(uuid.NewV7()).String()
	if cur != nil {
		id = cur.rec.ID
		keep(delta, cur.obj)
	}
	var prev *patient
	if old != "" {
		if prev, err = patientByNHS(ctx, f.st, old); err != nil {
			return err
		}
		addOldNumber(delta, old)
		if prev != nil {
			addLink(delta, "Patient/"+prev.rec.ID, "replaces")
		}
	}
	var ops []store.Op
	newOp, err := f.patientOp(cur, id, delta)
	if err != nil {
		return err
	}
	ops = append(ops, newOp)
	moved := 0
	if old != "" {
		moveOps, err := f.supersede(ctx, prev, old, nhs, id)
		if err != nil {
			return err
		}
		ops = append(ops, moveOps...)
		moved = len(moveOps)
	}
	died := isDeceased(delta) && (cur == nil || !isDeceased(cur.obj))
	stopped := 0
	if died && cur != nil {
		stopOps, err := f.stopInvitations(ctx, id)
		if err != nil {
			return err
		}
		ops = append(ops, stopOps...)
		stopped = len(stopOps)
	}
	results, err := f.st.Transaction(ctx, ops)
	if err != nil {
		var oe *store.OpError
		if errors.As(err, &oe) {
			return oe.Err
		}
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch results[0].Outcome {
	case store.Created:
		f.report.Created++
	case store.NoOp:
		f.report.Unchanged++
	default:
		f.report.Updated++
	}
	if moved > 0 && slices.ContainsFunc(results[1:1+moved], func(r store.Result) bool { return r.Outcome != store.NoOp }) {
		f.report.Superseded++
	}
	if died {
		f.report.Died++
	}
	f.report.Stopped += int64(stopped)
	return nil
}

// patientOp is the write of the person's record: a create, or an update of cur's
// version (If-Match) that writes nothing when the record is as stored.
func (f *feed) patientOp(cur *patient, id string, m obj) (store.Op, error) {
	if cur == nil {
		return writeOp(store.OpCreate, id, m)
	}
	return updateOp(cur.rec, m)
}

// keep copies into the delta what NIMS holds of the person that PDS does not send: the
// ethnic category (GP feeds), links, and superseded numbers.
func keep(delta, stored obj) {
	if ext := ethnicity(stored); ext != nil && ethnicity(delta) == nil {
		delta["extension"] = append(arr(delta["extension"]), ext)
	}
	for _, l := range arr(stored["link"]) {
		lm := object(l)
		addLink(delta, str(object(lm["other"])["reference"]), str(lm["type"]))
	}
	for _, x := range arr(stored["identifier"]) {
		id := object(x)
		if str(id["system"]) == fhir.SystemNHSNumber && str(id["use"]) == "old" {
			addOldNumber(delta, str(id["value"]))
		}
	}
}

func ethnicity(p obj) obj {
	for _, x := range arr(p["extension"]) {
		if e := object(x); str(e["url"]) == fhir.ExtEthnicCategory {
			return e
		}
	}
	return nil
}

// replacedNumber is the NHS number a delta record says it replaces.
func replacedNumber(p obj) string {
	for _, l := range arr(p["link"]) {
		lm := object(l)
		if str(lm["type"]) != "replaces" {
			continue
		}
		id := object(object(lm["other"])["identifier"])
		if str(id["system"]) == fhir.SystemNHSNumber {
			return str(id["value"])
		}
	}
	return ""
}

// addOldNumber gives p the NHS number nhs as an identifier of use old, once.
func addOldNumber(p obj, nhs string) {
	for _, x := range arr(p["identifier"]) {
		if id := object(x); str(id["system"]) == fhir.SystemNHSNumber && str(id["value"]) == nhs {
			return
		}
	}
	p["identifier"] = append(arr(p["identifier"]), obj{"use": "old", "system": fhir.SystemNHSNumber, "value": nhs})
}

// addLink gives p a link of type typ to the Patient ref, once; a delta's own link by the
// old number's identifier is replaced by the reference to its Patient.
func addLink(p obj, ref, typ string) {
	if ref == "" {
		return
	}
	links := arr(p["link"])
	for i, l := range links {
		lm := object(l)
		if str(lm["type"]) != typ {
			continue
		}
		other := object(lm["other"])
		if str(other["reference"]) == ref {
			return
		}
		if str(other["reference"]) == "" && typ == "replaces" {
			links[i] = obj{"other": obj{"reference": ref}, "type": typ}
			return
		}
	}
	p["link"] = append(links, obj{"other": obj{"reference": ref}, "type": typ})
}

func isDeceased(p obj) bool {
	if b, ok := p["deceasedBoolean"].(bool); ok {
		return b
	}
	return str(p["deceasedDateTime"]) != ""
}

// linkPractices gives each generalPractitioner named by ODS code only the reference of
// the practice's Organization, when NIMS has one.
func (f *feed) linkPractices(ctx context.Context, p obj) error {
	for _, x := range arr(p["generalPractitioner"]) {
		gp := object(x)
		ident := object(gp["identifier"])
		if str(gp["reference"]) != "" || str(ident["system"]) != fhir.SystemODS || str(ident["value"]) == "" {
			continue
		}
		ods := str(ident["value"])
		f.mu.Lock()
		orgID, ok := f.practices[ods]
		f.mu.Unlock()
		if !ok {
			recs, err := find(ctx, f.st, "Organization", "identifier="+fhir.SystemODS+"|"+ods, 2)
			if err != nil {
				return err
			}
			if len(recs) == 1 {
				orgID = recs[0].ID
			}
			f.mu.Lock()
			f.practices[ods] = orgID
			f.mu.Unlock()
		}
		if orgID != "" {
			gp["reference"] = "Organization/" + orgID
		}
	}
	return nil
}

// supersede returns the writes that retire the Patient prev (current number old, may be
// nil when NIMS never had it) in favour of the Patient newID (number nhs), and move the
// person's records to it.
func (f *feed) supersede(ctx context.Context, prev *patient, old, nhs, newID string) ([]store.Op, error) {
	var ops []store.Op
	seen := map[string]bool{}
	if prev != nil {
		m := prev.obj
		m["active"] = false
		addLink(m, "Patient/"+newID, "replaced-by")
		op, err := writeOp(store.OpUpdate, prev.rec.ID, m)
		if err != nil {
			return nil, err
		}
		op.IfMatch = prev.rec.Version
		ops = append(ops, op)
		// Every record that refers to the old Patient, by any reference parameter that
		// may name a Patient.
		from, to := "Patient/"+prev.rec.ID, "Patient/"+newID
		for _, typ := range patientReferrers() {
			recs, err := find(ctx, f.st, typ.typ, typ.param+"="+from, maxMoved)
			if err != nil {
				return nil, err
			}
			if len(recs) == maxMoved {
				return nil, fhir.Errorf(fhir.KindUnprocessable, "too-costly", "", "more than %d %s records refer to the superseded Patient", maxMoved-1, typ.typ)
			}
			for _, rec := range recs {
				if seen[rec.Type+"/"+rec.ID] {
					continue
				}
				seen[rec.Type+"/"+rec.ID] = true
				js, _, err := fhir.RewriteReferences(rec.JSON, func(ref string) (string, bool) {
					if ref == from {
						return to, true
					}
					return "", false
				})
				if err != nil {
					return nil, err
				}
				m, err := decodeJSON(js)
				if err != nil {
					return nil, err
				}
				renumberContained(m, old, nhs)
				op, err := writeOp(store.OpUpdate, rec.ID, m)
				if err != nil {
					return nil, err
				}
				op.IfMatch = rec.Version
				ops = append(ops, op)
			}
		}
	}
	// NHS records that name the person by a contained Patient with the old number.
	recs, err := find(ctx, f.st, "Immunization", nhsQuery("patient:identifier", old), maxMoved)
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		if seen[rec.Type+"/"+rec.ID] {
			continue
		}
		m, err := decodeJSON(rec.JSON)
		if err != nil {
			return nil, err
		}
		if !renumberContained(m, old, nhs) {
			continue
		}
		op, err := writeOp(store.OpUpdate, rec.ID, m)
		if err != nil {
			return nil, err
		}
		op.IfMatch = rec.Version
		ops = append(ops, op)
	}
	return ops, nil
}

// maxMoved bounds the records of one type moved with a superseded number in one
// transaction (a person has tens, not thousands).
const maxMoved = 1001

// renumberContained gives each contained Patient of m whose current NHS number is old
// the number nhs, keeping old as use "old". It reports whether it changed any.
func renumberContained(m obj, old, nhs string) bool {
	changed := false
	for _, c := range arr(m["contained"]) {
		cp := object(c)
		if str(cp["resourceType"]) != "Patient" || currentNHS(cp) != old {
			continue
		}
		for _, x := range arr(cp["identifier"]) {
			if id := object(x); str(id["system"]) == fhir.SystemNHSNumber && str(id["value"]) == old {
				id["value"] = nhs
				break
			}
		}
		addOldNumber(cp, old)
		changed = true
	}
	return changed
}

// stopInvitations returns the writes that stop the invitations and reminders to the
// Patient id not yet sent.
func (f *feed) stopInvitations(ctx context.Context, id string) ([]store.Op, error) {
	recs, err := find(ctx, f.st, "Communication", "subject=Patient/"+id+"&status=preparation,in-progress,on-hold", maxMoved)
	if err != nil {
		return nil, err
	}
	var ops []store.Op
	for _, rec := range recs {
		m, err := decodeJSON(rec.JSON)
		if err != nil {
			return nil, err
		}
		m["status"] = "not-done"
		m["statusReason"] = obj{"text": "patient deceased"}
		op, err := writeOp(store.OpUpdate, rec.ID, m)
		if err != nil {
			return nil, err
		}
		op.IfMatch = rec.Version
		ops = append(ops, op)
	}
	return ops, nil
}
