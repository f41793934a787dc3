package audit

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/nimsproject/nims/fhir"
)

// Verify's reads are short queries (a page of segments, a page of index entries), so
// that the walk never holds a snapshot that stops the WAL from being checkpointed.
const (
	verifyPage = 64 // segments, about 4,000 events
	indexPage  = 4096
)

// Verify walks the chain from event 1 to the newest stored event and returns how many
// events it found intact. At the first event that is missing, out of place, altered, or
// that the stored summaries and indexes misrepresent (its segment's time range, the
// segment's clients, its patient index entries, or an index entry naming it wrongly),
// it stops with a *BrokenError naming that event. It also fails if the log ends before,
// or differs at, the head this process holds (Head: the newest event it wrote or found
// at Open). Events written while it runs are verified too. Other errors: KindUnavailable
// after Close, KindInternal (I/O, ctx).
//
// The indexes are checked without a query per entry: Verify sums a keyed hash of each
// entry that the bodies imply and of each stored entry, with a key drawn at random for
// this run (so that no one can prepare a change that keeps the sums), and compares; the
// patient index a generation at a time. Only when the sums differ does it look for the
// first event affected: in the one generation, or sorting segment_clients.
func (l *Log) Verify(ctx context.Context) (n int64, err error) {
	const op = "audit.Verify"
	if err := l.closedErr(op); err != nil {
		return 0, err
	}
	v := &verifier{l: l, ctx: ctx, d: newDigester()}
	v.headSeq, v.headHash = l.Head()
	if err := l.queryRow(ctx, []any{&v.through}, "SELECT coalesce(max(last), 0) FROM patient_runs"); err != nil {
		return 0, fhir.Wrap(op, err)
	}
	broken, err := v.walk()
	if err != nil {
		return 0, fhir.Wrap(op, err)
	}
	if broken == nil && v.end <= v.headSeq {
		broken = &BrokenError{Seq: v.end, Reason: fmt.Sprintf("the log ends at event %d but this process holds head %d", v.end-1, v.headSeq)}
	}
	for _, check := range []func() (*BrokenError, error){v.checkClients, v.checkPatients} {
		b, err := check()
		if err != nil {
			return 0, fhir.Wrap(op, err)
		}
		broken = earliest(broken, b)
	}
	if broken != nil {
		return broken.Seq - 1, broken
	}
	return v.end - 1, nil
}

func earliest(a, b *BrokenError) *BrokenError {
	if a == nil || (b != nil && b.Seq < a.Seq) {
		return b
	}
	return a
}

type verifier struct {
	l        *Log
	ctx      context.Context
	headSeq  int64
	headHash string
	through  int64 // the patient index's watermark when Verify began
	d        *digester
	h        hasher

	end      int64 // the events before end are intact
	full     int64 // the last event of the last segment intact as a whole
	clients  digest
	patients []digest // by generation
	bodies   []rawBody
}

// walk checks the chain and each segment's summary, and sums the index entries the
// intact events imply.
func (v *verifier) walk() (*BrokenError, error) {
	var prev [32]byte
	v.end = 1
	for {
		segs, err := v.l.segments(v.ctx, "SELECT "+segmentColumns+" FROM segments WHERE first >= ? ORDER BY first LIMIT ?", v.end, verifyPage)
		if err != nil && !errors.Is(err, errSegment) {
			return nil, err
		}
		for i, s := range segs {
			if s.first != v.end {
				return &BrokenError{Seq: v.end, Reason: fmt.Sprintf("the event is missing (the next stored is %d)", s.first)}, nil
			}
			if err != nil && i == len(segs)-1 {
				return &BrokenError{Seq: s.first, Reason: "its segment cannot be read"}, nil
			}
			if b := v.segment(s, &prev); b != nil {
				return b, nil
			}
		}
		if len(segs) < verifyPage {
			return nil, nil
		}
	}
}

// segment checks s, whose first event follows the hash prev, and advances prev.
func (v *verifier) segment(s *segment, prev *[32]byte) *BrokenError {
	var broken *BrokenError
	v.bodies = v.bodies[:0]
	for i := range s.n() {
		seq, body, hash := s.first+int64(i), s.body(i), s.hash(i)
		if v.h.sum(seq, prev, body) != hash {
			broken = &BrokenError{Seq: seq, Reason: "its content does not match its hash"}
			break
		}
		b, err := parseBody(body)
		if err != nil {
			broken = &BrokenError{Seq: seq, Reason: "its body cannot be read"}
			break
		}
		if seq == v.headSeq && hexHash(&hash) != v.headHash {
			broken = &BrokenError{Seq: seq, Reason: "its hash differs from the head this process holds"}
			break
		}
		*prev = hash
		v.bodies = append(v.bodies, b)
	}
	if broken == nil {
		broken = summaryBroken(s, v.bodies)
	}
	intact := s.first + int64(len(v.bodies)) // the events before it are intact
	if broken != nil {
		intact = min(intact, broken.Seq)
	}
	for i, b := range v.bodies {
		seq := s.first + int64(i)
		if seq >= intact || seq > v.through {
			break
		}
		g := genOf(seq)
		for int64(len(v.patients)) <= g {
			v.patients = append(v.patients, digest{})
		}
		for l := b.patients; l.n > 0; {
			var p []byte
			p, l = l.next()
			v.d.add(&v.patients[g], p, seq)
		}
	}
	v.end = intact
	if broken != nil {
		return broken
	}
	for _, c := range segmentClients(s, v.bodies) {
		v.d.add(&v.clients, []byte(c.client), s.first)
	}
	v.full = s.last
	return nil
}

// summaryBroken checks the summary of s against its events, all intact.
func summaryBroken(s *segment, bodies []rawBody) *BrokenError {
	n := int64(len(bodies))
	switch {
	case n == 0:
		return &BrokenError{Seq: s.first, Reason: "the event is missing (its segment holds none)"}
	case s.last > s.first+n-1:
		return &BrokenError{Seq: s.first + n, Reason: "the event is missing (its segment ends early)"}
	case s.last < s.first+n-1:
		return &BrokenError{Seq: max(s.last+1, s.first), Reason: "the event is stored in a segment that does not cover it"}
	}
	tmin, tmax := bodies[0].time, bodies[0].time
	for i, b := range bodies {
		if b.time < s.tmin || b.time > s.tmax {
			return &BrokenError{Seq: s.first + int64(i), Reason: "its time is outside its segment's time range"}
		}
		tmin, tmax = min(tmin, b.time), max(tmax, b.time)
	}
	if tmin != s.tmin || tmax != s.tmax {
		return &BrokenError{Seq: s.first, Reason: "its segment's time range differs from its events'"}
	}
	return nil
}

// segmentClient is a client of a segment and the first of its events in it.
type segmentClient struct {
	client string
	seq    int64
}

// segmentClients returns the distinct clients of the events of s, sorted.
func segmentClients(s *segment, bodies []rawBody) []segmentClient {
	var out []segmentClient
	for i, b := range bodies {
		c := b.str[fClientID]
		if len(c) > 0 && !slices.ContainsFunc(out, func(x segmentClient) bool { return x.client == string(c) }) {
			out = append(out, segmentClient{string(c), s.first + int64(i)})
		}
	}
	slices.SortFunc(out, func(a, b segmentClient) int {
		if a.client < b.client {
			return -1
		}
		if a.client > b.client {
			return 1
		}
		return 0
	})
	return out
}

// checkClients compares segment_clients, for the segments intact as a whole, with the
// clients of their events.
func (v *verifier) checkClients() (*BrokenError, error) {
	var stored digest
	err := v.scanPages("SELECT client, first FROM segment_clients WHERE %s ORDER BY client, first LIMIT ?",
		"(client, first) > (?, ?)", func(rows *sql.Rows) ([]any, error) {
			var (
				c     sql.RawBytes
				first int64
			)
			if err := rows.Scan(&c, &first); err != nil {
				return nil, err
			}
			if first <= v.full {
				v.d.add(&stored, c, first)
			}
			return []any{string(c), first}, nil
		})
	if err != nil || stored == v.clients {
		return nil, err
	}
	return v.locateClients()
}

// checkPatients checks the patient index up to the watermark (or the first broken
// event), a generation at a time: that its runs cover the events without gaps or
// overlaps, that its blocks are well formed and in order, and that its entries are
// those the bodies imply.
func (v *verifier) checkPatients() (*BrokenError, error) {
	limit := min(v.end-1, v.through)
	var broken *BrokenError
	for g, covered := int64(0), int64(0); g <= genOf(limit) && limit > 0 && broken == nil; g++ {
		gi, err := v.readGen(g)
		if err != nil {
			return nil, err
		}
		var stored digest
		broken = gi.check(&covered, limit, func(e *blockReader) { v.d.add(&stored, e.patient, e.seq) })
		var want digest
		if g < int64(len(v.patients)) {
			want = v.patients[g]
		}
		if broken == nil && stored != want {
			if broken, err = v.locateInGen(gi, limit); err != nil {
				return nil, err
			}
		}
	}
	// Blocks of a run that does not exist are checked by nothing above.
	var orphan int64
	err := v.l.queryRow(v.ctx, []any{&orphan}, `SELECT coalesce(min(run), 0) FROM patient_blocks b
		WHERE NOT EXISTS (SELECT 1 FROM patient_runs r WHERE r.run = b.run)`)
	if err != nil {
		return nil, err
	}
	if orphan != 0 {
		broken = earliest(broken, &BrokenError{Seq: max(1, orphan), Reason: "the patient index holds entries of a run it does not have"})
	}
	return broken, nil
}

// genIndex is the part of the patient index that covers one generation.
type genIndex struct {
	g      int64
	runs   []indexRun
	blocks []indexBlock
}

type indexRun struct{ run, last int64 }

type indexBlock struct {
	run  int64
	lo   string
	data []byte
}

// readGen reads the runs and blocks of generation g, in one read transaction, so that
// a merge of its runs by the writer is seen whole or not at all.
func (v *verifier) readGen(g int64) (*genIndex, error) {
	first, last := genBounds(g)
	tx, err := v.l.rdb.BeginTx(v.ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	gi := &genIndex{g: g}
	rows, err := tx.QueryContext(v.ctx, "SELECT run, last FROM patient_runs WHERE run >= ? AND run <= ? ORDER BY run", first, last)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var r indexRun
		if err := rows.Scan(&r.run, &r.last); err != nil {
			rows.Close()
			return nil, err
		}
		gi.runs = append(gi.runs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.QueryContext(v.ctx, "SELECT run, lo, data FROM patient_blocks WHERE run >= ? AND run <= ? ORDER BY run, lo", first, last)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var b indexBlock
		if err := rows.Scan(&b.run, &b.lo, &b.data); err != nil {
			return nil, err
		}
		gi.blocks = append(gi.blocks, b)
	}
	return gi, rows.Err()
}

// check checks the structure of gi: its runs continue the coverage from *covered (the
// last event the runs before cover) and stay in the generation, and its blocks belong to
// a run, decode, start with their lo, hold entries in order and within their run, and do
// not split a patient. It calls f with each entry up to limit.
func (gi *genIndex) check(covered *int64, limit int64, f func(*blockReader)) *BrokenError {
	var broken *BrokenError
	note := func(seq int64, reason string) { broken = earliest(broken, &BrokenError{Seq: seq, Reason: reason}) }
	runLast := map[int64]int64{}
	for _, r := range gi.runs {
		if r.run > limit {
			break // written after Verify began
		}
		switch {
		case r.run > *covered+1:
			note(*covered+1, "the patient index does not cover it")
		case r.run <= *covered:
			note(r.run, "the patient index covers it twice")
		case r.last < r.run || genOf(r.last) != gi.g:
			note(r.run, "the patient index's run for it is malformed")
		}
		if broken != nil {
			return broken // the runs are in order: nothing after is earlier
		}
		*covered = r.last
		runLast[r.run] = r.last
	}
	var (
		prev    []byte // the entry before, in the same run
		prevSeq int64
	)
	for i, b := range gi.blocks {
		last, ok := runLast[b.run]
		if !ok {
			if b.run <= limit {
				note(max(1, b.run), "the patient index holds entries of a run it does not have")
			}
			continue
		}
		if i == 0 || gi.blocks[i-1].run != b.run {
			prev = nil
		}
		r := newBlockReader(b.data, b.run)
		for n := 0; r.next(); n++ {
			c := bytes.Compare(r.patient, prev)
			switch {
			case r.seq > last:
				note(r.seq, "the patient index names it in a run that does not cover it")
			case n == 0 && string(r.patient) != b.lo:
				note(r.seq, "the patient index files its entry under another patient")
			case n == 0 && prev != nil && c <= 0:
				note(r.seq, "the patient index's blocks overlap at its entry")
			case n > 0 && (c < 0 || (c == 0 && r.seq <= prevSeq)):
				note(r.seq, "the patient index's entries are out of order at its entry")
			case r.seq <= limit:
				f(r)
			}
			prev, prevSeq = append(prev[:0], r.patient...), r.seq
		}
		if r.bad() {
			note(max(1, b.run), "the patient index's block for it cannot be read")
		}
	}
	return broken
}

// locateInGen finds the first event of generation gi.g, up to limit, whose entries in
// the patient index differ from its body's patients. gi has passed check.
func (v *verifier) locateInGen(gi *genIndex, limit int64) (*BrokenError, error) {
	var stored, want []indexEntry
	for _, b := range gi.blocks {
		for r := newBlockReader(b.data, b.run); r.next(); {
			if r.seq <= limit {
				stored = append(stored, indexEntry{string(r.patient), r.seq})
			}
		}
	}
	first, last := genBounds(gi.g)
	last = min(last, limit)
	err := v.forSegments(first, last, func(s *segment, bodies []rawBody) error {
		for i, b := range bodies {
			if seq := s.first + int64(i); seq >= first && seq <= last {
				for l := b.patients; l.n > 0; {
					var p []byte
					p, l = l.next()
					want = append(want, indexEntry{string(p), seq})
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	bySeq := func(a, b indexEntry) int {
		return cmp.Or(cmp.Compare(a.seq, b.seq), strings.Compare(a.patient, b.patient))
	}
	slices.SortFunc(stored, bySeq)
	slices.SortFunc(want, bySeq)
	want = slices.Compact(want) // a body lists a patient once; the index has one entry for it
	for i := 0; ; i++ {
		switch {
		case i == len(stored) && i == len(want):
			// The sums differed, yet the entries do not: the index changed meanwhile.
			return &BrokenError{Seq: last, Reason: "the patient index does not match the events"}, nil
		case i == len(want) || (i < len(stored) && bySeq(stored[i], want[i]) < 0):
			return &BrokenError{Seq: stored[i].seq, Reason: "the patient index names a patient its body does not"}, nil
		case i == len(stored) || bySeq(stored[i], want[i]) > 0:
			return &BrokenError{Seq: want[i].seq, Reason: "one of its patients is missing from the patient index"}, nil
		}
	}
}

// scanPages reads all rows of query, whose %s is a condition, a page of indexPage rows
// at a time in the order of its ORDER BY: the first page with no condition, each next
// with cond, bound to the values of the order columns that row returned for the last
// row read.
func (v *verifier) scanPages(query, cond string, row func(*sql.Rows) ([]any, error)) error {
	var after []any
	for {
		where := "1"
		if after != nil {
			where = cond
		}
		rows, err := v.l.query(v.ctx, fmt.Sprintf(query, where), append(after, indexPage)...)
		if err != nil {
			return err
		}
		n := 0
		for rows.Next() {
			if after, err = row(rows); err != nil {
				rows.Close()
				return err
			}
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if n < indexPage {
			return nil
		}
	}
}

// forSegments calls f with each segment holding events from..end, in order, and the
// parsed bodies of its events (up to the first that does not parse: Verify has found
// the events up to end intact, not necessarily those after it).
func (v *verifier) forSegments(from, end int64, f func(*segment, []rawBody) error) error {
	err := v.l.queryRow(v.ctx, []any{&from}, "SELECT coalesce(max(first), ?) FROM segments WHERE first <= ?", from, from)
	if err != nil {
		return err
	}
	for from <= end {
		segs, err := v.l.segments(v.ctx, "SELECT "+segmentColumns+" FROM segments WHERE first >= ? AND first <= ? ORDER BY first LIMIT ?", from, end, verifyPage)
		if err != nil {
			return err
		}
		if len(segs) == 0 {
			return nil
		}
		for _, s := range segs {
			bodies := v.bodies[:0]
			for i := range s.n() {
				b, err := parseBody(s.body(i))
				if err != nil {
					break
				}
				bodies = append(bodies, b)
			}
			v.bodies = bodies
			if err := f(s, bodies); err != nil {
				return err
			}
			from = s.first + 1
		}
	}
	return nil
}

// locateClients finds the first event whose segment's client list is wrong: the first
// event of a client missing from it, or the segment's first event for a client that
// none of its events has, or a row naming a segment that does not exist.
func (v *verifier) locateClients() (*BrokenError, error) {
	rows, err := v.l.query(v.ctx, "SELECT first, client FROM segment_clients WHERE first <= ? ORDER BY first, client", v.full)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		broken  *BrokenError
		row     segmentClient // client, and the first of the segment it names
		have    bool
		nextRow = func() error {
			have = rows.Next()
			if have {
				return rows.Scan(&row.seq, &row.client)
			}
			return rows.Err()
		}
		orphan   = "the segment client index names a segment that does not exist"
		spurious = "its segment is indexed under a client none of its events has"
	)
	if err := nextRow(); err != nil {
		return nil, err
	}
	err = v.forSegments(1, v.full, func(s *segment, bodies []rawBody) error {
		for have && row.seq < s.first {
			broken = earliest(broken, &BrokenError{Seq: row.seq, Reason: orphan})
			if err := nextRow(); err != nil {
				return err
			}
		}
		var got []string
		for have && row.seq == s.first {
			got = append(got, row.client)
			if err := nextRow(); err != nil {
				return err
			}
		}
		want := segmentClients(s, bodies)
		for _, c := range want {
			if !slices.Contains(got, c.client) {
				broken = earliest(broken, &BrokenError{Seq: c.seq, Reason: "its client is missing from its segment's client index"})
			}
		}
		for _, c := range got {
			if !slices.ContainsFunc(want, func(x segmentClient) bool { return x.client == c }) {
				broken = earliest(broken, &BrokenError{Seq: s.first, Reason: spurious})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for ; have; nextRow() {
		broken = earliest(broken, &BrokenError{Seq: row.seq, Reason: orphan})
	}
	if broken == nil { // the sums differed, yet no difference shows: the index changed meanwhile
		broken = &BrokenError{Seq: v.full, Reason: "the segment client index does not match the events"}
	}
	return broken, rows.Err()
}

// digest is an order-independent sum of index entries: their number and two 64-bit
// sums of keyed hashes.
type digest struct {
	n    int64
	a, b uint64
}

// digester hashes entries with two keys drawn at random.
type digester struct {
	s1, s2 maphash.Seed
	buf    []byte
}

func newDigester() *digester {
	return &digester{s1: maphash.MakeSeed(), s2: maphash.MakeSeed()}
}

// add adds the entry (key, num) to d. The num has a fixed length, so the hashed bytes
// determine the entry.
func (g *digester) add(d *digest, key []byte, num int64) {
	g.buf = binary.BigEndian.AppendUint64(append(g.buf[:0], key...), uint64(num))
	d.n++
	d.a += maphash.Bytes(g.s1, g.buf)
	d.b += maphash.Bytes(g.s2, g.buf)
}
