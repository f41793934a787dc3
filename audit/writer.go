package audit

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
)

// What an event costs the writer, and why it is written this way (measured on the
// project's 2-core machine, modernc SQLite, synchronous=FULL; cpu_bench_test.go):
//
//   - SQLite's costs per row and per bound value are a microsecond or more, so events
//     are stored a segment (up to 64) to a row (segment.go), with bodies in a compact
//     binary form (event.go) rather than JSON, and no index per event: clients and
//     time ranges are summarized per segment.
//   - Every page a commit changes is written to the WAL and later copied to the file by
//     a checkpoint, a few system calls each, so an event should change a fraction of a
//     page. Segments, their summary index and segment_clients only grow at their end.
//   - The patient index cannot grow at its end: its entries are keyed by patient, in no
//     order. As rows of a B-tree written with each batch, an entry cost about a page
//     write at the small batches of a moderate load, and its insertion 1.5 µs of CPU at
//     any load. So the writer keeps the entries of the newest events in memory (pending)
//     and writes them every indexEvery events, sorted, as a run of compact blocks of a
//     few hundred entries each (index.go); a generation's runs (genBits) are merged into
//     one once it is complete, so that a search reads one block per generation. The
//     index covers the events up to its watermark (through); Search reads the few
//     newer events, and Open (after a crash, say) recovers the pending entries from
//     them.
//   - A commit costs about 0.3 ms of CPU whatever its size (commitInterval).
//
// Together: about 2.5–3 µs of CPU an event at full speed (batches of 4,096), about 8
// at 20,000 events/s (batches of about 100), against about 20 and 42 when each event
// was a row with two secondary indexes and a patient index row.
const (
	indexEvery = 2048
	genBits    = 16
)

// writer owns the one write connection and the chain's head.
type writer struct {
	conn                    *sql.Conn
	begin, commit, rollback *sql.Stmt
	insSegment              *sql.Stmt
	insClient, insClients   *sql.Stmt // one row, rowsPerInsert rows
	tail                    *sql.Stmt
	getThrough, insRun      *sql.Stmt // the patient index (index.go)
	insBlock, delBlocks     *sql.Stmt
	delRuns, genBlocks      *sql.Stmt

	seq     int64        // the newest committed event
	hash    [32]byte     // its hash (zero, i.e. Genesis, for none)
	through int64        // the patient index covers the events up to through
	pending []indexEntry // the patient index entries of the events after through
	commits int64        // transactions committed (for benchmarks)

	// The pending entries as Search sees them, by patient (see committedPending).
	pmu       sync.Mutex
	byPatient map[string][]int64
	pubHead   int64 // the committed head
	pubIndex  int64 // the watermark committed with it

	h      hasher
	arena  []byte // the bodies of a batch
	ends   []int  // where each body ends in arena
	data   []byte // the data of one segment
	hashes []byte
	cargs  []any // client rows of a batch
	sorted []indexEntry
	keyed  []keyedEntry
	key    []byte
	bw     blockWriter
}

// rowsPerInsert is how many rows one INSERT statement carries: a statement per row
// spends most of its time in per-statement overhead (binding, driver and database/sql
// calls, about 2.5 µs a statement).
const rowsPerInsert = 64

// insertSQL returns an INSERT of rows rows of cols columns.
func insertSQL(prefix string, cols, rows int) string {
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	return prefix + " VALUES " + strings.Repeat(row+", ", rows-1) + row
}

func newWriter(ctx context.Context, db *sql.DB) (*writer, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &writer{conn: conn}
	if err := migrate(ctx, conn); err != nil {
		conn.Close()
		return nil, err
	}
	// OR IGNORE: a multi-row INSERT that may abort makes SQLite copy every page it
	// changes to a statement journal first. segment_clients cannot see a duplicate from
	// this writer (clients are distinct per segment), and a second writer's rows would
	// be the same rows.
	const clients = "INSERT OR IGNORE INTO segment_clients (client, first)"
	for _, s := range append([]struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&w.begin, "BEGIN"}, {&w.commit, "COMMIT"}, {&w.rollback, "ROLLBACK"},
		{&w.insSegment, "INSERT INTO segments (" + segmentColumns + ") VALUES (?, ?, ?, ?, ?)"},
		{&w.insClient, insertSQL(clients, 2, 1)}, {&w.insClients, insertSQL(clients, 2, rowsPerInsert)},
		{&w.tail, "SELECT " + segmentColumns + " FROM segments ORDER BY first DESC LIMIT 1"},
	}, w.indexStatements()...) {
		if *s.stmt, err = conn.PrepareContext(ctx, s.sql); err != nil {
			w.close()
			return nil, err
		}
	}
	if err := w.reload(ctx); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// readTail returns the newest stored event's seq and hash, or 0 and the zero hash. It
// trusts the newest segment's data (Verify is what checks it); if that holds no event
// it can read (the file was changed), it returns a seq past the segment's first, so that
// the writer's next segment does not collide with it, and the hash that ends its data.
func (w *writer) readTail() (int64, [32]byte, error) {
	var hash [32]byte
	s, err := scanSegment(w.tail.QueryRow())
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, hash, nil
	case err != nil && !errors.Is(err, errSegment):
		return 0, hash, err
	case err != nil || s.n() == 0:
		if len(s.data) >= 32 {
			copy(hash[:], s.data[len(s.data)-32:])
		}
		return max(s.first, s.last), hash, nil
	}
	return s.first + int64(s.n()) - 1, s.hash(s.n() - 1), nil
}

// reload reads the head, the patient index's watermark and the pending entries of the
// events after it from the file: at Open, and after a failed commit, when another
// process may have written.
func (w *writer) reload(ctx context.Context) error {
	seq, hash, err := w.readTail()
	if err != nil {
		return err
	}
	var through int64
	if err := w.getThrough.QueryRowContext(ctx).Scan(&through); err != nil {
		return err
	}
	var pending []indexEntry
	if seq > through {
		rows, err := w.conn.QueryContext(ctx, "SELECT "+segmentColumns+` FROM segments
			WHERE first >= (SELECT coalesce(max(first), 0) FROM segments WHERE first <= ?) ORDER BY first`, through+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			s, err := scanSegment(rows)
			if s == nil {
				return err
			}
			if err != nil {
				continue // Verify reports it; the index cannot say more than the segment
			}
			for i := range s.n() {
				b, err := parseBody(s.body(i))
				if seq := s.first + int64(i); err == nil && seq > through {
					for l := b.patients; l.n > 0; {
						var p []byte
						p, l = l.next()
						pending = append(pending, indexEntry{string(p), seq})
					}
				}
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	clear(w.pending)
	w.seq, w.hash, w.through, w.pending = seq, hash, through, pending
	w.publish(0, false)
	return nil
}

// publish makes what was committed visible to committedPending: the entries of pending
// from the first new one on (all of them after a flush or a reload, when fresh is false).
func (w *writer) publish(first int, fresh bool) {
	w.pmu.Lock()
	defer w.pmu.Unlock()
	if !fresh || w.byPatient == nil {
		if w.byPatient == nil {
			w.byPatient = map[string][]int64{}
		}
		clear(w.byPatient)
		first = 0
	}
	for _, e := range w.pending[first:] {
		w.byPatient[e.patient] = append(w.byPatient[e.patient], e.seq)
	}
	w.pubHead, w.pubIndex = w.seq, w.through
}

// committedPending returns the committed events after the watermark that have patient
// (in seq order), the watermark and the head they were committed with. The writer
// publishes a commit after it lands, so the file's watermark is never behind this one:
// the index, these events and the file's events after head make the whole log.
func (w *writer) committedPending(patient string) (seqs []int64, through, head int64) {
	w.pmu.Lock()
	defer w.pmu.Unlock()
	return slices.Clone(w.byPatient[patient]), w.pubIndex, w.pubHead
}

func (w *writer) close() error {
	var errs []error
	for _, s := range []*sql.Stmt{w.begin, w.commit, w.rollback, w.insSegment, w.insClient, w.insClients,
		w.tail, w.getThrough, w.insRun, w.insBlock, w.delBlocks, w.delRuns, w.genBlocks} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(append(errs, w.conn.Close())...)
}

// commitBatch appends the normalized events to the chain in one transaction. On failure
// nothing of the batch is kept and the head is re-read, so that a retry continues from
// what is stored; if a failed COMMIT did in fact land (the tail is the batch's last
// event), it reports success.
func (w *writer) commitBatch(batch []Event) error {
	kept := len(w.pending)
	seq, hash, flushed, err := w.appendAll(batch)
	committing := err == nil
	if committing {
		_, err = w.commit.Exec()
	}
	if err != nil {
		w.rollback.Exec() // fails harmlessly when the transaction is already gone
		landed := false
		if committing { // only a COMMIT can fail and yet have written the batch
			tseq, thash, terr := w.readTail()
			landed = terr == nil && tseq == seq && thash == hash
		}
		if !landed {
			clear(w.pending[kept:])
			w.pending = w.pending[:kept]
			w.reload(context.Background()) // if this fails too, the next attempt's commit does
			return err
		}
	}
	w.seq, w.hash = seq, hash
	w.commits++
	if flushed {
		clear(w.pending)
		w.pending, w.through = w.pending[:0], seq
	}
	w.publish(kept, !flushed)
	return nil
}

// appendAll begins a transaction and inserts batch, cut into segments, and its
// clients; it adds the batch's patients to pending and, once enough are pending, writes
// them to the index. It returns the new head.
func (w *writer) appendAll(batch []Event) (seq int64, hash [32]byte, flushed bool, err error) {
	seq, hash = w.seq, w.hash
	if _, err := w.begin.Exec(); err != nil {
		return seq, hash, false, err
	}
	w.arena, w.ends = w.arena[:0], w.ends[:0]
	for i := range batch {
		w.arena = appendBody(w.arena, &batch[i])
		w.ends = append(w.ends, len(w.arena))
	}
	defer func() { clear(w.cargs); w.cargs = w.cargs[:0] }()
	for start := 0; start < len(batch); {
		base := bodyStart(w.ends, start)
		end := start + 1
		for end < len(batch) && end-start < segMaxEvents && w.ends[end]-base <= segMaxBytes {
			end++
		}
		first := seq + 1
		tmin, tmax := batch[start].Time.UnixMilli(), batch[start].Time.UnixMilli()
		segClients := len(w.cargs)
		w.hashes = w.hashes[:0]
		for i := start; i < end; i++ {
			e := &batch[i]
			seq++
			hash = w.h.sum(seq, &hash, w.arena[bodyStart(w.ends, i):w.ends[i]])
			w.hashes = append(w.hashes, hash[:]...)
			t := e.Time.UnixMilli()
			tmin, tmax = min(tmin, t), max(tmax, t)
			if e.ClientID != "" && !hasClient(w.cargs[segClients:], e.ClientID) {
				w.cargs = append(w.cargs, e.ClientID, first)
			}
			for _, p := range e.Patients {
				w.pending = append(w.pending, indexEntry{p, seq})
			}
		}
		w.data = appendSegmentData(w.data[:0], w.arena, base, w.ends[start:end], w.hashes)
		if _, err := w.insSegment.Exec(first, seq, tmin, tmax, w.data); err != nil {
			return seq, hash, false, err
		}
		start = end
	}
	if err := insertRows(w.insClient, w.insClients, 2, w.cargs); err != nil {
		return seq, hash, false, err
	}
	if len(w.pending) < indexEvery && seq-w.through < indexEvery {
		return seq, hash, false, nil
	}
	return seq, hash, true, w.flushPending(seq)
}

// bodyStart is where body i starts in the arena.
func bodyStart(ends []int, i int) int {
	if i == 0 {
		return 0
	}
	return ends[i-1]
}

// hasClient reports whether the (client, first) pairs in rows include client.
func hasClient(rows []any, client string) bool {
	for i := 0; i < len(rows); i += 2 {
		if rows[i].(string) == client {
			return true
		}
	}
	return false
}

// flushIndex brings the patient index up to date in a transaction of its own (at
// Close, so that the next Open finds no pending entries to recover).
func (w *writer) flushIndex() error {
	if w.seq <= w.through {
		return nil
	}
	_, err := w.begin.Exec()
	if err == nil {
		if err = w.flushPending(w.seq); err == nil {
			_, err = w.commit.Exec()
		}
	}
	if err != nil {
		w.rollback.Exec()
		return err
	}
	clear(w.pending)
	w.pending, w.through = w.pending[:0], w.seq
	w.publish(0, false)
	return nil
}

// insertRows inserts the rows in args, of cols values each, rowsPerInsert a statement
// with many and the rest one by one with one.
func insertRows(one, many *sql.Stmt, cols int, args []any) error {
	for len(args) > 0 {
		stmt, n := many, cols*rowsPerInsert
		if len(args) < n {
			stmt, n = one, cols
		}
		if _, err := stmt.Exec(args[:n]...); err != nil {
			return err
		}
		args = args[n:]
	}
	return nil
}

// commitInterval is the least time between the starts of two commits while the log
// is busy. A commit costs about 0.3 ms of CPU whatever its size (the WAL frames, the
// fsync, locking; measured at 20,000 events/s, when commits of about 26 events each took
// 15 µs of CPU an event): letting a batch gather for the rest of commitInterval after a
// commit makes a batch of about 100 events at that rate and halves the CPU an event.
// An event that arrives when the log is idle is committed at once, and nothing waits
// while a Flush does, at Close, or once a batch or the queue is full; so what this
// costs is that, under load, an event may become durable up to commitInterval later (a
// crash loses at most that much more).
const commitInterval = 5 * time.Millisecond

// run is the writer goroutine: it takes everything queued, writes it in transactions of
// up to MaxBatch events, and stops once Close has been called and the queue is empty.
func (l *Log) run() {
	defer close(l.done)
	var (
		spare []Event
		began time.Time // when the last commit began
		timer = time.NewTimer(time.Hour)
	)
	timer.Stop()
	for {
		l.mu.Lock()
		for len(l.pending) == 0 && !l.closed {
			l.more.Wait()
		}
		if wait := time.Until(began.Add(commitInterval)); wait > 0 && !l.urgent() {
			l.mu.Unlock()
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-l.kick:
				timer.Stop()
			}
			l.mu.Lock()
		}
		select { // a kick for a batch taken now is spent
		case <-l.kick:
		default:
		}
		batch := l.pending
		if len(batch) == 0 {
			l.mu.Unlock()
			return
		}
		l.pending, l.inFlight = spare[:0], len(batch)
		l.mu.Unlock()
		began = time.Now()
		for rest := batch; len(rest) > 0; {
			n := min(len(rest), l.opts.MaxBatch)
			l.write(rest[:n])
			rest = rest[n:]
		}
		clear(batch) // let the written events' strings be collected
		spare = batch
	}
}

// urgent reports whether the writer must commit what is queued without gathering more:
// a Flush waits, Close has begun, or a batch or the queue is full. l.mu is held.
func (l *Log) urgent() bool {
	return len(l.waiters) > 0 || l.closed || len(l.pending) >= l.opts.MaxBatch || len(l.pending)+l.inFlight >= l.opts.QueueSize
}

// closeAttempts is how often a failing batch is tried once Close has been called.
const closeAttempts = 3

// write makes batch durable, retrying with backoff for as long as the log is open.
func (l *Log) write(batch []Event) {
	for i := range batch {
		normalize(&batch[i])
	}
	delay := 10 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := l.w.commitBatch(batch)
		l.mu.Lock()
		if err == nil {
			l.writeErr = nil
			l.settle(len(batch), 0)
			l.mu.Unlock()
			return
		}
		l.writeErr = err
		if l.closed && attempt >= closeAttempts {
			l.settle(0, len(batch))
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
		time.Sleep(delay)
		delay = min(2*delay, time.Second)
	}
}

// settle accounts for a batch written or lost, answers the Flush calls it completes and
// wakes blocked Records. l.mu is held.
func (l *Log) settle(written, lost int) {
	l.inFlight -= written + lost
	l.written += int64(written)
	l.lost += int64(lost)
	l.dropped += int64(lost)
	l.headSeq, l.headHash = l.w.seq, hexHash(&l.w.hash)
	settled, k := l.written+l.lost, 0
	for k < len(l.waiters) && l.waiters[k].target <= settled {
		close(l.waiters[k].done)
		k++
	}
	l.waiters = append(l.waiters[:0], l.waiters[k:]...)
	l.room.Broadcast()
}
