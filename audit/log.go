package audit

import (
	"context"
	"database/sql"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/nimsproject/nims/fhir"
)

// Options tune a Log. The zero value is the production setting.
type Options struct {
	// QueueSize bounds the events accepted but not yet durable; Record blocks while it
	// is reached. 0 means 65536 (about 4 s of reads at the full 17,000/s).
	QueueSize int
	// MaxBatch bounds the events committed in one transaction; 0 means 4096.
	MaxBatch int
	// Now is the clock for events recorded without a Time; nil means time.Now.
	Now func() time.Time
	// Source names the observer in AuditEvent.source; "" means "nims".
	Source string
}

// Log is the audit log: an in-memory queue in front of one writer goroutine, over the
// SQLite file dir/audit.db.
type Log struct {
	opts Options
	wdb  *sql.DB // one connection, owned by the writer
	rdb  *sql.DB // read-only pool for Search, Export and Verify
	w    *writer
	done chan struct{} // closed when the writer has stopped
	kick chan struct{} // wakes a writer gathering a batch (writer.go) to commit now

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // the read pool's prepared statements, by their SQL

	mu       sync.Mutex
	more     sync.Cond // the writer waits on it for events or Close
	room     sync.Cond // Records blocked on a full queue wait on it
	pending  []Event   // accepted, not yet taken by the writer
	inFlight int       // taken by the writer, not yet durable
	closed   bool
	waiters  []*waiter // Flush calls, in order of target
	recorded int64     // events accepted
	written  int64     // events durable: always the first `written` accepted
	lost     int64     // accepted events that Close gave up writing
	dropped  int64     // lost, plus Records after Close
	headSeq  int64     // the newest event written by this process, for Verify
	headHash string
	writeErr error // the last failed commit, nil once one succeeds
}

// waiter is a Flush waiting for the first target accepted events to be settled.
type waiter struct {
	target int64
	done   chan struct{}
}

// Open opens (creating if absent) the log in dir/audit.db, migrates its schema and
// starts the writer, which continues the chain from the newest stored event.
// Errors are *fhir.Error of KindInternal.
func Open(dir string, opts Options) (*Log, error) {
	const op = "audit.Open"
	if opts.QueueSize <= 0 {
		opts.QueueSize = 65536
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 4096
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Source == "" {
		opts.Source = "nims"
	}
	uri, err := fileURI(dir)
	if err != nil {
		return nil, fhir.Wrap(op, err)
	}
	l := &Log{opts: opts, done: make(chan struct{}), kick: make(chan struct{}, 1)}
	l.more.L, l.room.L = &l.mu, &l.mu
	if l.wdb, err = openDB(uri, writerPragmas); err != nil {
		return nil, fhir.Wrap(op, err)
	}
	l.wdb.SetMaxOpenConns(1)
	if l.w, err = newWriter(context.Background(), l.wdb); err != nil {
		l.wdb.Close()
		return nil, fhir.Wrap(op, err)
	}
	l.headSeq, l.headHash = l.w.seq, hexHash(&l.w.hash)
	// After the writer: a read-only connection can neither create the file nor switch it
	// to WAL.
	if l.rdb, err = openDB(uri+"?mode=ro", readerPragmas); err != nil {
		l.w.close()
		l.wdb.Close()
		return nil, fhir.Wrap(op, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	l.rdb.SetMaxOpenConns(n)
	l.rdb.SetMaxIdleConns(n)
	go l.run()
	return l, nil
}

// Record queues e to be written. It never drops an event: while Options.QueueSize events
// are waiting to be made durable, it blocks until the writer has made room (so a failing
// or slow disk slows the requests that touch personal data instead of losing their
// trail). After Close has begun it keeps nothing and counts the event as dropped (Stats).
// A zero e.Time is set to now. e.Entities and e.Patients must not be modified afterwards.
func (l *Log) Record(e Event) {
	if e.Time.IsZero() {
		e.Time = l.opts.Now()
	}
	l.mu.Lock()
	for !l.closed && len(l.pending)+l.inFlight >= l.opts.QueueSize {
		l.room.Wait()
	}
	if l.closed {
		l.dropped++
		l.mu.Unlock()
		return
	}
	wake := len(l.pending) == 0 // else the writer is busy and will come back for it
	l.pending = append(l.pending, e)
	l.recorded++
	full := len(l.pending) == l.opts.MaxBatch || len(l.pending)+l.inFlight == l.opts.QueueSize
	l.mu.Unlock()
	if wake {
		l.more.Signal()
	}
	if full {
		l.hurry()
	}
}

// hurry makes a writer that is gathering a batch commit it now.
func (l *Log) hurry() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Flush returns once every event recorded before the call is durable. If ctx ends first
// it returns KindUnavailable (with the last write failure, if any, as the cause); if
// Close gave up on some of those events, KindInternal.
func (l *Log) Flush(ctx context.Context) error {
	l.mu.Lock()
	w := &waiter{target: l.recorded, done: make(chan struct{})}
	if l.written+l.lost >= w.target {
		l.mu.Unlock()
		return l.lostErr()
	}
	l.waiters = append(l.waiters, w)
	l.mu.Unlock()
	l.hurry()
	select {
	case <-w.done:
		return l.lostErr()
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		for i, o := range l.waiters {
			if o == w {
				l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
				break
			}
		}
		return &fhir.Error{Kind: fhir.KindUnavailable, Op: "audit.Flush", Details: "audit events not yet durable",
			Err: errors.Join(ctx.Err(), l.writeErr)}
	}
}

// lostErr reports the events Close could not write, if any.
func (l *Log) lostErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost == 0 {
		return nil
	}
	return &fhir.Error{Kind: fhir.KindInternal, Op: "audit", Details: "audit events could not be written at close",
		Err: l.writeErr}
}

// Close stops taking events, waits until every accepted event is durable, stops the
// writer and closes the file. If writes fail at this point it retries a few times and
// then gives up: the error says so and Stats counts the events as dropped.
func (l *Log) Close() error {
	l.mu.Lock()
	already := l.closed
	l.closed = true
	l.mu.Unlock()
	l.more.Broadcast()
	l.room.Broadcast() // blocked Records see closed and drop
	l.hurry()
	<-l.done
	if already {
		return nil
	}
	// Bring the patient index up to date, so that the next Open has nothing to recover.
	// A failure loses nothing: the entries are recovered from the events at Open.
	l.w.flushIndex()
	l.stmtMu.Lock()
	errs := []error{l.lostErr(), l.w.close(), l.wdb.Close()}
	for _, st := range l.stmts {
		errs = append(errs, st.Close())
	}
	l.stmts = nil
	l.stmtMu.Unlock()
	return errors.Join(append(errs, l.rdb.Close())...)
}

// Stats reports the events accepted by Record, those made durable, and those not kept:
// Records after Close, and events Close gave up writing.
func (l *Log) Stats() (recorded, written, dropped int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.recorded, l.written, l.dropped
}

// Head returns the seq and hash of the newest event in the log (as this process last
// wrote it, or found it at Open). Publishing it outside the log, e.g. in the shutdown log
// line, is what lets a later Verify detect that the newest events were cut off.
func (l *Log) Head() (seq int64, hash string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.headSeq, l.headHash
}

// closedErr is returned by reads once Close has begun.
func (l *Log) closedErr(op string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		return nil
	}
	return &fhir.Error{Kind: fhir.KindUnavailable, Op: op, Details: "the audit log is closed",
		Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "transient", Diagnostics: "The service is shutting down; retry later."}}}
}

// query runs a read on the read pool, with a statement prepared once per SQL text:
// preparing costs SQLite more than running most of Search's queries.
func (l *Log) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	l.stmtMu.Lock()
	st, ok := l.stmts[query]
	if !ok {
		var err error
		if st, err = l.rdb.PrepareContext(context.Background(), query); err != nil {
			l.stmtMu.Unlock()
			return nil, err
		}
		if l.stmts == nil {
			l.stmts = map[string]*sql.Stmt{}
		}
		l.stmts[query] = st
	}
	l.stmtMu.Unlock()
	return st.QueryContext(ctx, args...)
}

// queryRow runs query as query does and scans its one row into dest.
func (l *Log) queryRow(ctx context.Context, dest []any, query string, args ...any) error {
	rows, err := l.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}
