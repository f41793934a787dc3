package audit

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// writer owns the one write connection and the chain's head.
type writer struct {
	conn                          *sql.Conn
	begin, commit, rollback, tail *sql.Stmt
	insEvent, insEvents           *sql.Stmt // one row, rowsPerInsert rows
	insPatient, insPatients       *sql.Stmt
	seq                           int64  // the newest committed event
	hash                          string // its hash (Genesis for none)
	enc                           *encoder
	h                             *hasher
	arena                         []byte // the bodies of one insert
	ends                          []int  // where each body ends in arena
	args, pargs                   []any
}

// rowsPerInsert is how many events (or patient entries) one INSERT statement carries:
// a statement per row spent a third of the writer's time in per-statement overhead
// (binding, driver and database/sql calls), measured at about 2.5 µs a statement.
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
	w := &writer{conn: conn, enc: newEncoder(), h: newHasher()}
	if err := migrate(ctx, conn); err != nil {
		conn.Close()
		return nil, err
	}
	const events = "INSERT INTO events (seq, time, client, type, interaction, body, prev, hash)"
	const patients = "INSERT INTO event_patients (patient, seq)"
	for _, s := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&w.begin, "BEGIN"}, {&w.commit, "COMMIT"}, {&w.rollback, "ROLLBACK"},
		{&w.insEvent, insertSQL(events, 8, 1)}, {&w.insEvents, insertSQL(events, 8, rowsPerInsert)},
		{&w.insPatient, insertSQL(patients, 2, 1)}, {&w.insPatients, insertSQL(patients, 2, rowsPerInsert)},
		{&w.tail, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"},
	} {
		if *s.stmt, err = conn.PrepareContext(ctx, s.sql); err != nil {
			w.close()
			return nil, err
		}
	}
	if w.seq, w.hash, err = w.readTail(); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// readTail returns the newest stored event's seq and hash, or 0 and Genesis.
func (w *writer) readTail() (int64, string, error) {
	var seq int64
	var hash string
	err := w.tail.QueryRow().Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, Genesis, nil
	}
	return seq, hash, err
}

func (w *writer) close() error {
	var errs []error
	for _, s := range []*sql.Stmt{w.begin, w.commit, w.rollback, w.insEvent, w.insEvents, w.insPatient, w.insPatients, w.tail} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(append(errs, w.conn.Close())...)
}

// commitBatch appends the normalized events to the chain in one transaction. On failure
// nothing of the batch is kept and the head is re-read, so that a retry continues from
// what is stored; if the commit did in fact land (the tail is the batch's last event), it
// reports success.
func (w *writer) commitBatch(batch []Event) error {
	seq, prev := w.seq, w.hash
	err := w.appendAll(batch, &seq, &prev)
	if err == nil {
		_, err = w.commit.Exec()
	}
	if err == nil {
		w.seq, w.hash = seq, prev
		return nil
	}
	w.rollback.Exec() // fails harmlessly when the transaction is already gone
	if tseq, thash, terr := w.readTail(); terr == nil {
		if tseq == seq && thash == prev {
			w.seq, w.hash = seq, prev
			return nil
		}
		w.seq, w.hash = tseq, thash
	}
	return err
}

// appendAll begins a transaction and inserts batch, advancing *seq and *prev.
func (w *writer) appendAll(batch []Event, seq *int64, prev *string) error {
	defer func() { clear(w.pargs); w.pargs = w.pargs[:0] }() // a failed attempt leaves none for the retry
	if _, err := w.begin.Exec(); err != nil {
		return err
	}
	for len(batch) > 0 {
		stmt, n := w.insEvents, rowsPerInsert
		if len(batch) < rowsPerInsert {
			stmt, n = w.insEvent, 1
		}
		if err := w.insert(stmt, batch[:n], seq, prev); err != nil {
			return err
		}
		batch = batch[n:]
	}
	return w.insertPatients()
}

// insert inserts group with stmt (of len(group) rows) and queues its patient entries.
func (w *writer) insert(stmt *sql.Stmt, group []Event, seq *int64, prev *string) error {
	w.arena, w.ends = w.arena[:0], w.ends[:0]
	for i := range group {
		body, err := w.enc.encode(&group[i])
		if err != nil {
			return err
		}
		w.arena = append(w.arena, body...)
		w.ends = append(w.ends, len(w.arena))
	}
	w.args = w.args[:0]
	start := 0
	for i := range group {
		e, body := &group[i], w.arena[start:w.ends[i]]
		start = w.ends[i]
		*seq++
		hash := w.h.sum(*seq, body, *prev)
		w.args = append(w.args, *seq, e.Time.UnixMilli(), e.ClientID, e.Type, e.Interaction, body, *prev, hash)
		for _, p := range e.Patients {
			w.pargs = append(w.pargs, p, *seq)
		}
		*prev = hash
	}
	_, err := stmt.Exec(w.args...)
	clear(w.args)
	return err
}

// insertPatients inserts the patient entries queued by insert.
func (w *writer) insertPatients() error {
	for rest := w.pargs; len(rest) > 0; {
		stmt, n := w.insPatients, 2*rowsPerInsert
		if len(rest) < n {
			stmt, n = w.insPatient, 2
		}
		if _, err := stmt.Exec(rest[:n]...); err != nil {
			return err
		}
		rest = rest[n:]
	}
	return nil
}

// run is the writer goroutine: it takes everything queued, writes it in transactions of
// up to MaxBatch events, and stops once Close has been called and the queue is empty.
func (l *Log) run() {
	defer close(l.done)
	var spare []Event
	for {
		l.mu.Lock()
		for len(l.pending) == 0 && !l.closed {
			l.more.Wait()
		}
		batch := l.pending
		if len(batch) == 0 {
			l.mu.Unlock()
			return
		}
		l.pending, l.inFlight = spare[:0], len(batch)
		l.mu.Unlock()
		for rest := batch; len(rest) > 0; {
			n := min(len(rest), l.opts.MaxBatch)
			l.write(rest[:n])
			rest = rest[n:]
		}
		clear(batch) // let the written events' strings be collected
		spare = batch
	}
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
	l.headSeq, l.headHash = l.w.seq, l.w.hash
	settled, k := l.written+l.lost, 0
	for k < len(l.waiters) && l.waiters[k].target <= settled {
		close(l.waiters[k].done)
		k++
	}
	l.waiters = append(l.waiters[:0], l.waiters[k:]...)
	l.room.Broadcast()
}
