package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

var _ store.Store = (*DB)(nil)

// Options tune a DB. The zero value is the production setting.
type Options struct {
	// Now is the clock; nil means time.Now. Instants are truncated to the millisecond.
	Now func() time.Time
	// MaxBatch bounds the ops committed in one transaction; 0 means 256.
	MaxBatch int
	// Readers is the size of the read-only connection pool; 0 means 2×GOMAXPROCS (≥ 4).
	Readers int
	// RequestKeyTTL is how long idempotency records are kept at least (they are purged
	// at Open and then hourly); 0 means 24 h.
	RequestKeyTTL time.Duration
	// CacheBytes bounds the in-memory cache of current versions that serves reads by id;
	// 0 means 64 MiB, negative turns the cache off.
	CacheBytes int64
}

// DB is the embedded store: one SQLite database file in WAL mode, written by one
// goroutine that commits queued ops in groups, read through a pool of read-only
// connections that never wait for the writer.
type DB struct {
	opts  Options
	wdb   *sql.DB // one connection, owned by the writer
	w     *writer
	rdb   *sql.DB
	reads *readStmts
	cache *cache

	mu     sync.RWMutex // held shared by reads and by Apply while it queues; Close takes it
	closed bool
	queue  chan *request
	done   chan struct{} // closed when the writer has drained the queue
	lock   *os.File      // held for the store's life: one process per store
}

// Durability: synchronous=FULL fsyncs the WAL at every commit, so an acknowledged write
// survives power loss, not only a process crash; group commit pays that fsync once per
// batch. SQLite checkpoints the WAL itself (every 1,000 pages, inside the commit that
// crosses the mark); a checkpointer goroutine beside the writer was tried and measured no
// faster once group commit batched well. journal_size_limit trims the WAL file after a
// checkpoint. The cache sizes are negative, i.e. KiB. The writer's temporary storage is
// files: the sorts of a bulk load's CREATE INDEX spill beyond the page cache, and in memory
// they grew with the tables (2.2 GB peak for a million people; 364 MB with files).
var (
	writerPragmas = []string{"busy_timeout=10000", "journal_mode=WAL", "synchronous=FULL",
		"journal_size_limit=67108864", "foreign_keys=OFF", "temp_store=FILE", "cache_size=-65536"}
	readerPragmas = []string{"busy_timeout=10000", "query_only=1", "temp_store=MEMORY", "cache_size=-16384", "mmap_size=1073741824"}
)

// Open opens (creating if absent) the store in dir/nims.db and migrates its schema.
func Open(ctx context.Context, dir string, opts Options) (*DB, error) {
	const op = "sqlite.Open"
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 256
	}
	if opts.Readers <= 0 {
		opts.Readers = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if opts.CacheBytes == 0 {
		opts.CacheBytes = 64 << 20
	}
	if opts.RequestKeyTTL <= 0 {
		opts.RequestKeyTTL = 24 * time.Hour
	}
	abs, err := filepath.Abs(filepath.Join(dir, "nims.db"))
	if err != nil {
		return nil, fhir.Wrap(op, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fhir.Wrap(op, err)
	}
	lock, err := lockDir(filepath.Join(filepath.Dir(abs), "nims.lock"))
	if errors.Is(err, errLocked) {
		return nil, fhir.Errorf(fhir.KindUnavailable, "lock-error", "",
			"the store in %s is in use by another process (a nims serve or nims import); stop it first", dir)
	}
	if err != nil {
		return nil, fhir.Wrap(op, err)
	}
	uri := "file:" + (&url.URL{Path: abs}).EscapedPath()

	db := &DB{opts: opts, cache: newCache(opts.CacheBytes), queue: make(chan *request, 4*opts.MaxBatch), done: make(chan struct{}), lock: lock}
	opened := false
	defer func() {
		if !opened {
			lock.Close()
		}
	}()
	db.wdb = openDB(uri, writerPragmas)
	db.wdb.SetMaxOpenConns(1)
	if err := db.openWriter(ctx); err != nil {
		db.w.close()
		db.wdb.Close()
		return nil, translate(op, err)
	}
	// The reader pool opens after the writer: a read-only connection cannot create
	// the file or switch it to WAL.
	db.rdb = openDB(uri+"?mode=ro", readerPragmas)
	db.rdb.SetMaxOpenConns(opts.Readers)
	db.rdb.SetMaxIdleConns(opts.Readers)
	if db.reads, err = prepareReads(ctx, db.rdb); err != nil {
		db.w.close()
		db.wdb.Close()
		db.rdb.Close()
		return nil, translate(op, err)
	}
	go db.writeLoop()
	opened = true
	return db, nil
}

// errLocked is lockDir's answer when another process holds the store.
var errLocked = errors.New("the store is locked by another process")

func (db *DB) openWriter(ctx context.Context) error {
	conn, err := db.wdb.Conn(ctx)
	if err != nil {
		return err
	}
	if err := migrate(ctx, conn); err != nil {
		conn.Close()
		return err
	}
	if err := ensureIndexes(ctx, conn); err != nil { // after a bulk load that died
		conn.Close()
		return err
	}
	if db.w, err = newWriter(ctx, conn, db.opts.Now); err != nil {
		return err // newWriter closed conn
	}
	db.w.cache = db.cache
	return db.w.purgeRequests(db.opts.RequestKeyTTL)
}

// Ping reports whether the store can serve requests.
func (db *DB) Ping(ctx context.Context) error {
	leave, err := db.enter()
	if err != nil {
		return err
	}
	defer leave()
	return translate("sqlite.Ping", db.rdb.PingContext(ctx))
}

// Close stops taking writes, waits until every queued write is committed and answered,
// and closes the database.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil
	}
	db.closed = true
	close(db.queue)
	db.mu.Unlock()
	<-db.done
	err := errors.Join(db.reads.close(), db.rdb.Close(), db.w.close(), db.wdb.Close(), db.lock.Close())
	return translate("sqlite.Close", err)
}

// enter holds Close off until the returned function is called, so that Close never
// pulls the database from under a read. Once Close has begun it returns KindUnavailable.
func (db *DB) enter() (leave func(), err error) {
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return nil, unavailable("the store is closed")
	}
	return db.mu.RUnlock, nil
}

func unavailable(details string) *fhir.Error {
	return &fhir.Error{Kind: fhir.KindUnavailable, Op: "sqlite", Details: details,
		Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "transient", Diagnostics: "The service is shutting down; retry later."}}}
}

// translate turns a driver error into a *fhir.Error at the package boundary: a
// *fhir.Error passes unchanged, a lock held by another process is KindUnavailable, a
// context's end and everything else are wrapped as KindInternal.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	var oe *store.OpError
	if errors.As(err, &oe) { // a transaction's op: keep which one
		return &store.OpError{Index: oe.Index, Err: translate(op, oe.Err)}
	}
	var fe *fhir.Error
	if errors.As(err, &fe) {
		if fe.Op == "" {
			fe.Op = op
		}
		return fe
	}
	if isBusy(err) {
		return &fhir.Error{Kind: fhir.KindUnavailable, Op: op, Details: "database locked", Err: err,
			Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "transient", Diagnostics: "The database is busy; retry later."}}}
	}
	return fhir.Wrap(op, err)
}
