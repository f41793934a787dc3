package audit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nimsproject/nims/fhir"
)

// Query selects events; every non-zero field must match.
type Query struct {
	Patient     string    // "Patient/123": events that touched this patient's data
	Client      string    // ClientID
	Type        string    // resource type
	Interaction string    // one of the interactions of auditevent.go
	Since       time.Time // Time ≥ Since
	Until       time.Time // Time < Until
	Count       int       // page size: 0 means 100, at most 1000
	After       int64     // cursor: continue after this seq (the next of the previous page)
	Descending  bool      // newest first; After then continues below it
}

// Page sizes of Search.
const (
	defaultCount = 100
	maxCount     = 1000
)

// Record is one stored event with its place in the chain.
type Record struct {
	Seq        int64
	Hash, Prev string
	Event      Event
	source     string // Options.Source of the log read, for AuditEvent
}

// Search returns one page of the events matching q in seq order (ascending, or
// descending if q.Descending) and the cursor of the next page, 0 when there is none.
// A search by patient follows the patient index, and for the newest events, which the
// index does not cover yet, the writer's pending entries (writer.go); a search by
// client visits the segments that segment_clients lists for it; a search by time the
// segments whose time range overlaps the query's; by type or interaction alone it reads
// the log in seq order until the page is full.
// Errors: KindInvalid for an unknown interaction or a negative cursor, KindUnavailable
// after Close, KindInternal.
func (l *Log) Search(ctx context.Context, q Query) (recs []Record, next int64, err error) {
	const op = "audit.Search"
	if err := l.closedErr(op); err != nil {
		return nil, 0, err
	}
	if _, ok := interactions[q.Interaction]; q.Interaction != "" && !ok {
		return nil, 0, fhir.Errorf(fhir.KindInvalid, "value", "", "unknown audit interaction %q", q.Interaction)
	}
	if q.After < 0 {
		return nil, 0, fhir.Errorf(fhir.KindInvalid, "value", "", "invalid cursor %d", q.After)
	}
	count := q.Count
	if count <= 0 {
		count = defaultCount
	}
	count = min(count, maxCount)
	s := &searcher{l: l, ctx: ctx, q: q, limit: count + 1, lastHash: map[int64][32]byte{}}
	if !q.Since.IsZero() {
		s.since = q.Since.UnixMilli()
	}
	if !q.Until.IsZero() {
		s.until = q.Until.UnixMilli()
	}
	if q.Patient != "" {
		err = s.byPatient()
	} else {
		err = s.walk(s.start(), minSeq, s.scanAll)
	}
	if err == nil {
		err = s.fillPrev()
	}
	if err != nil {
		return nil, 0, fhir.Wrap(op, err)
	}
	recs = s.out
	if len(recs) > count {
		recs = recs[:count]
		next = recs[count-1].Seq
	}
	return recs, next, nil
}

const (
	minSeq = int64(0)
	maxSeq = int64(1<<63 - 1)
)

// searcher is one Search.
type searcher struct {
	l            *Log
	ctx          context.Context
	q            Query
	since, until int64 // Unix ms, when set in q
	limit        int   // one more than the page, to know whether there is a next
	out          []Record
	lastHash     map[int64][32]byte // the hash of the last event of each segment read
	cur          *segment           // the segment of the last index hit
}

func (s *searcher) full() bool { return len(s.out) >= s.limit }

// start is where a walk begins: the first event after the cursor, or the last before it.
func (s *searcher) start() int64 {
	switch {
	case !s.q.Descending:
		return s.q.After + 1
	case s.q.After > 0:
		return s.q.After - 1
	}
	return maxSeq
}

// match reports whether b meets every condition of the query.
func (s *searcher) match(b *rawBody) bool {
	q := &s.q
	return (q.Patient == "" || b.patients.contains(q.Patient)) &&
		(q.Client == "" || string(b.str[fClientID]) == q.Client) &&
		(q.Type == "" || string(b.str[fType]) == q.Type) &&
		(q.Interaction == "" || string(b.str[fInteraction]) == q.Interaction) &&
		(q.Since.IsZero() || b.time >= s.since) &&
		(q.Until.IsZero() || b.time < s.until)
}

// emit adds event i of seg to the page if it matches.
func (s *searcher) emit(seg *segment, i int) error {
	if s.q.Patient != "" { // most events do not have the patient: skip them cheaply
		if ps, ok := bodyPatients(seg.body(i)); ok && !ps.contains(s.q.Patient) {
			return nil
		}
	}
	b, err := parseBody(seg.body(i))
	if err != nil {
		return fmt.Errorf("event %d: %w", seg.first+int64(i), err) // Verify names it
	}
	if !s.match(&b) {
		return nil
	}
	h := seg.hash(i)
	r := Record{Seq: seg.first + int64(i), Hash: hexHash(&h), Event: b.event(), source: s.l.opts.Source}
	if i > 0 {
		p := seg.hash(i - 1)
		r.Prev = hexHash(&p)
	}
	s.out = append(s.out, r)
	return nil
}

// scan emits the matching events of seg from event lo to event hi, in the query's order
// and after its cursor, until the page is full.
func (s *searcher) scan(seg *segment, lo, hi int64) error {
	lo, hi = max(lo, seg.first), min(hi, seg.first+int64(seg.n())-1)
	if s.q.Descending {
		if s.q.After > 0 {
			hi = min(hi, s.q.After-1)
		}
		for seq := hi; seq >= lo && !s.full(); seq-- {
			if err := s.emit(seg, int(seq-seg.first)); err != nil {
				return err
			}
		}
		return nil
	}
	lo = max(lo, s.q.After+1)
	for seq := lo; seq <= hi && !s.full(); seq++ {
		if err := s.emit(seg, int(seq-seg.first)); err != nil {
			return err
		}
	}
	return nil
}

func (s *searcher) scanAll(seg *segment) (bool, error) {
	err := s.scan(seg, minSeq, maxSeq)
	return s.full(), err
}

// byPatient finds the events of the query's patient: in the patient index up to its
// watermark (through), then those after it that this process's writer holds in memory
// (committedPending), then by reading the events after the writer's head, which
// another process may have written. Ascending in that order, descending the reverse.
func (s *searcher) byPatient() error {
	mem, _, head := s.l.w.committedPending(s.q.Patient) // before the watermark: see there
	var through int64
	if err := s.l.queryRow(s.ctx, []any{&through}, "SELECT coalesce(max(last), 0) FROM patient_runs"); err != nil {
		return err
	}
	mem = slices.DeleteFunc(mem, func(seq int64) bool { return seq <= through || !s.afterCursor(seq) })
	read := max(head, through) + 1 // the events from read on are read
	tail := func(seg *segment) (bool, error) {
		err := s.scan(seg, read, maxSeq)
		return s.full() || (s.q.Descending && seg.first <= read), err
	}
	memory := func() error {
		for i := range mem {
			if s.q.Descending {
				i = len(mem) - 1 - i
			}
			if s.full() {
				return nil
			}
			if err := s.at(mem[i]); err != nil {
				return err
			}
		}
		return nil
	}
	if s.q.Descending {
		if err := s.walk(s.start(), read, tail); err != nil || s.full() {
			return err
		}
		if err := memory(); err != nil || s.full() {
			return err
		}
		return s.indexed(through)
	}
	if err := s.indexed(through); err != nil || s.full() {
		return err
	}
	if err := memory(); err != nil || s.full() {
		return err
	}
	return s.walk(max(s.start(), read), minSeq, tail)
}

// afterCursor reports whether seq comes after the query's cursor, in its order.
func (s *searcher) afterCursor(seq int64) bool {
	if s.q.Descending {
		return s.q.After == 0 || seq < s.q.After
	}
	return seq > s.q.After
}

// searchRunPage is how many runs of the patient index a search reads per query, and
// afterRunPage, if set, is called after each page: both for tests.
var (
	searchRunPage = 64
	afterRunPage  func()
)

// indexed emits the events that the patient index lists for the query's patient up to
// through, in the query's order: for each run of the index, the one block that can hold
// the patient's entries (index.go). It reads the runs a page at a time and keeps track
// of the events done, not of the runs: the writer may merge the runs of a generation
// between two pages.
func (s *searcher) indexed(through int64) error {
	const block = "(SELECT data FROM patient_blocks b WHERE b.run = r.run AND b.lo <= ? ORDER BY b.lo DESC LIMIT 1)"
	// Ascending, the events up to done are done; descending, those from done on.
	var query string
	done := s.q.After
	if s.q.Descending {
		query = "SELECT r.run, r.last, " + block + " FROM patient_runs r WHERE r.run < ? ORDER BY r.run DESC LIMIT ?"
		if done = through + 1; s.q.After > 0 {
			done = min(done, s.q.After)
		}
	} else {
		query = "SELECT r.run, r.last, " + block + ` FROM patient_runs r
			WHERE r.run >= (SELECT coalesce(max(run), 0) FROM patient_runs WHERE run <= ?) AND r.run <= ? ORDER BY r.run LIMIT ?`
	}
	type run struct {
		run, last int64
		data      []byte
	}
	var seqs []int64
	for !s.full() {
		start := done
		args := []any{s.q.Patient, done + 1, through, searchRunPage}
		if s.q.Descending {
			args = []any{s.q.Patient, done, searchRunPage}
		}
		rows, err := s.l.query(s.ctx, query, args...)
		if err != nil {
			return err
		}
		var runs []run
		for rows.Next() {
			var r run
			if err := rows.Scan(&r.run, &r.last, &r.data); err != nil {
				rows.Close()
				return err
			}
			runs = append(runs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range runs {
			lo, hi := done+1, min(r.last, through) // the events of the run still to do
			if s.q.Descending {
				lo, hi = r.run, min(hi, done-1)
			}
			seqs = seqs[:0]
			for b := newBlockReader(r.data, r.run); b.next(); {
				if c := strings.Compare(string(b.patient), s.q.Patient); c > 0 {
					break // the block is sorted by patient
				} else if c == 0 && b.seq >= lo && b.seq <= hi {
					seqs = append(seqs, b.seq)
				}
			}
			slices.Sort(seqs)
			if s.q.Descending {
				slices.Reverse(seqs)
			}
			for _, seq := range seqs {
				if s.full() {
					return nil
				}
				if err := s.at(seq); err != nil {
					return err
				}
			}
			if s.q.Descending {
				done = min(done, r.run)
			} else {
				done = max(done, hi)
			}
		}
		if afterRunPage != nil {
			afterRunPage()
		}
		if len(runs) < searchRunPage || (!s.q.Descending && done >= through) || done == start {
			return nil // the last condition only holds for runs that Verify reports
		}
	}
	return nil
}

// at emits event seq if it matches, reading its segment unless it is the current one.
func (s *searcher) at(seq int64) error {
	if s.cur == nil || !s.cur.contains(seq) {
		segs, err := s.l.segments(s.ctx, "SELECT "+segmentColumns+" FROM segments WHERE first <= ? ORDER BY first DESC LIMIT 1", seq)
		if err != nil {
			return err
		}
		if len(segs) == 0 {
			return nil // Verify reports the index entry
		}
		s.cur = segs[0]
		s.noteLast(s.cur)
	}
	if i := seq - s.cur.first; i < int64(s.cur.n()) {
		return s.emit(s.cur, int(i))
	}
	return nil
}

func (s *searcher) noteLast(seg *segment) {
	if n := seg.n(); n > 0 {
		s.lastHash[seg.first+int64(n)-1] = seg.hash(n - 1)
	}
}

// walkPage is the most segments a walk reads per query: its first query reads one (a
// read by id needs no more), each next four times as many as the one before. The
// LIMIT is written in the SQL, each page size being its own prepared statement: SQLite
// re-prepares a statement whose LIMIT parameter changes from 1 to more.
const walkPage = 16

// walk calls f with the segments that may hold matching events, in the query's order:
// ascending from the one holding event from, or descending from the last that starts at
// or before from, down to the one holding event floor; f reports whether to stop. It
// skips the segments that the query's client (segment_clients) or time range (the
// segments' time ranges) rule out, choosing them in the index that covers the summary
// columns, so that it reads no segment it skips.
func (s *searcher) walk(from, floor int64, f func(*segment) (bool, error)) error {
	var where []string
	var args []any
	// key is the column of the index the candidates follow, so that they come in its
	// order and a page needs no sort.
	candidates, key := "SELECT s.first FROM segments s INDEXED BY segments_summary", "s.first"
	if s.q.Client != "" {
		candidates = "SELECT c.first FROM segment_clients c JOIN segments s INDEXED BY segments_summary ON s.first = c.first"
		key = "c.first"
		where, args = append(where, "c.client = ?"), append(args, s.q.Client)
	}
	if !s.q.Since.IsZero() {
		where, args = append(where, "s.tmax >= ?"), append(args, s.since)
	}
	if !s.q.Until.IsZero() {
		where, args = append(where, "s.tmin < ?"), append(args, s.until)
	}
	asc := !s.q.Descending
	// A page continues after (ascending) or before the last segment of the page before;
	// the first page, ascending, starts at the segment holding event from, which starts
	// at or before it.
	order, next, first := " ORDER BY first DESC", " <= ?", " <= ?"
	if asc {
		order, next, first = " ORDER BY first", " >= ?", " >= (SELECT coalesce(max(first), ?) FROM segments WHERE first <= ?)"
	}
	pageQuery := func(bound string, page int) string {
		limit := " LIMIT " + strconv.Itoa(page)
		if len(where) == 0 {
			return "SELECT " + segmentColumns + " FROM segments WHERE first" + bound + order + limit
		}
		// A client or a time range: the segments chosen in the index.
		c := candidates + " WHERE " + strings.Join(append(slices.Clone(where), key+bound), " AND ") +
			strings.Replace(order, "first", key, 1) + limit
		return "SELECT " + segmentColumns + " FROM segments WHERE first IN (" + c + ")" + order
	}
	for page := 1; ; page = min(4*page, walkPage) {
		query, qargs := pageQuery(next, page), append(slices.Clone(args), from)
		if page == 1 && asc {
			query, qargs = pageQuery(first, page), append(qargs, from)
		}
		segs, err := s.l.segments(s.ctx, query, qargs...)
		if err != nil && !errors.Is(err, errSegment) {
			return err
		}
		for i, seg := range segs {
			if err != nil && i == len(segs)-1 {
				return fmt.Errorf("segment %d: %w", seg.first, err) // Verify names the event
			}
			s.noteLast(seg)
			if !asc && seg.last < floor {
				return nil
			}
			if stop, err := f(seg); err != nil || stop {
				return err
			}
		}
		if len(segs) < page {
			return nil
		}
		if from = segs[len(segs)-1].first + 1; !asc {
			from -= 2
		}
	}
}

// fillPrev sets the Prev of the records that are the first of their segment: the hash
// of the last event of the segment before, read unless the search read it.
func (s *searcher) fillPrev() error {
	for i := range s.out {
		r := &s.out[i]
		if r.Prev != "" {
			continue
		}
		if r.Seq == 1 {
			r.Prev = Genesis
			continue
		}
		h, ok := s.lastHash[r.Seq-1]
		if !ok {
			segs, err := s.l.segments(s.ctx, "SELECT "+segmentColumns+" FROM segments WHERE first <= ? ORDER BY first DESC LIMIT 1", r.Seq-1)
			if err != nil {
				return err
			}
			if len(segs) == 0 || !segs[0].contains(r.Seq-1) || r.Seq-1-segs[0].first >= int64(segs[0].n()) {
				continue // Verify reports the gap
			}
			h = segs[0].hash(int(r.Seq - 1 - segs[0].first))
		}
		r.Prev = hexHash(&h)
	}
	return nil
}

// exportPage is how many events Export reads per query.
const exportPage = 1000

// Export writes the events recorded at or after since (all for a zero since), oldest
// first, as ndjson: one AuditEvent (relative references, see AuditEvent) per line. It
// stops at the newest event stored when it starts, and returns how many it wrote.
// Errors: KindUnavailable after Close, KindInternal (including a failing w).
func (l *Log) Export(ctx context.Context, w io.Writer, since time.Time) (int64, error) {
	const op = "audit.Export"
	if err := l.closedErr(op); err != nil {
		return 0, err
	}
	end, _ := l.Head()
	bw := bufio.NewWriterSize(w, 64<<10)
	var n int64
	q := Query{Since: since, Count: exportPage}
	for q.After < end {
		recs, next, err := l.Search(ctx, q)
		if err != nil {
			return n, err
		}
		for _, r := range recs {
			if r.Seq > end {
				break
			}
			bw.Write(r.AuditEvent(""))
			if err := bw.WriteByte('\n'); err != nil { // a write error sticks: this sees it
				return n, fhir.Wrap(op, err)
			}
			n++
		}
		if next == 0 {
			break
		}
		q.After = next
	}
	if err := bw.Flush(); err != nil {
		return n, fhir.Wrap(op, err)
	}
	return n, nil
}
