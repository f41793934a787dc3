package mongo

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	mdb "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readconcern"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

var _ store.Store = (*DB)(nil)

// Options tune a DB. The zero value is the production setting.
type Options struct {
	// Now is the clock; nil means time.Now. Instants are truncated to the millisecond.
	Now func() time.Time
	// Database names the database; empty means the URI's path, or "nims".
	Database string
	// RequestKeyTTL is how long idempotency records are kept at least; 0 means 24 h.
	RequestKeyTTL time.Duration
	// Timeout bounds each call to the server; 0 means 30 s.
	Timeout time.Duration
	// Paging is how searches in id order page (search.go); PagingAuto chooses by server.
	Paging Paging
}

// Paging is how searches in id order (no _sort, or _sort=_id) page.
type Paging int

const (
	// PagingAuto pages by keyset on MongoDB and by a stored list on FerretDB, which reads
	// the whole collection for any filter but a bare _id: keyset paging there costs a
	// full read per page, a list one per search.
	PagingAuto Paging = iota
	// PagingKeyset reads each page by the last id of the one before (search.go).
	PagingKeyset
	// PagingList stores the ordered ids on the first page, as sorted searches do
	// (search_list.go).
	PagingList
)

// DB is a NIMS store in one MongoDB database.
type DB struct {
	opts   Options
	client *mdb.Client
	db     *mdb.Database

	resources, versions, changes, keys, conds, requests, txns *mdb.Collection
	jobs, jobKeys, leases, searches                           *mdb.Collection

	// seqMu serialises this replica's claims of change-log positions, so that only
	// replicas contend for one (seq.go); last is the highest position this replica saw.
	seqMu   sync.Mutex
	lastSeq int64

	// locks serialise this replica's writes to one resource. They are an optimisation
	// (fewer lost races to retry), never what makes a write safe: that is the _id
	// inserts, and the tests run two replicas against one database to prove it.
	locks [64]sync.Mutex

	mu     sync.RWMutex // held shared by every call; Close takes it
	closed bool

	stop chan struct{} // closed by Close: ends the purger

	// ferret: the server is FerretDB, found at Open (guard.go says what changes).
	ferret bool
}

// testMonitor, when set by a test, sees every command.
var testMonitor *event.CommandMonitor

// schemaVersion is the layout of the collections and indexes this code needs. Migrate
// writes it; Open refuses a database that has an older one.
const schemaVersion = 2 // 2: the searches collection and its index on created

// Open connects to the server the URI names and checks the database's schema. It does
// not create collections or indexes unless opts asks it to: that is Migrate's job, run
// once by an operator (nims migrate), not by every replica.
func Open(ctx context.Context, uri string, opts Options) (*DB, error) {
	const op = "mongo.Open"
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RequestKeyTTL <= 0 {
		opts.RequestKeyTTL = 24 * time.Hour
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Database == "" {
		opts.Database = databaseOf(uri)
	}
	// Acknowledged writes are journalled on a majority: a write a client was told about
	// survives the loss of a primary. Reads are majority-committed, from the primary, so
	// that a client reads its own writes whichever replica of nims serves it.
	copts := options.Client().ApplyURI(uri).
		SetWriteConcern(writeconcern.Majority()).
		SetReadConcern(readconcern.Majority()).
		SetTimeout(opts.Timeout).
		SetAppName("nims")
	if testMonitor != nil {
		copts.SetMonitor(testMonitor)
	}
	client, err := mdb.Connect(copts)
	if err != nil {
		return nil, fhir.Errorf(fhir.KindUnavailable, "exception", "", "cannot use the MongoDB URI: %v", redact(err))
	}
	db := &DB{opts: opts, client: client, db: client.Database(opts.Database)}
	db.bindCollections()
	if err := db.Ping(ctx); err != nil {
		client.Disconnect(context.Background())
		return nil, err
	}
	var info bson.M
	if err := db.db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err == nil {
		_, db.ferret = info["ferretdbVersion"]
	}
	if db.opts.Paging == PagingAuto {
		db.opts.Paging = PagingKeyset
		if db.ferret {
			db.opts.Paging = PagingList
		}
	}
	var meta struct {
		Version int `bson:"version"`
	}
	err = db.db.Collection("meta").FindOne(ctx, bson.D{{Key: "_id", Value: "schema"}}).Decode(&meta)
	switch {
	case errors.Is(err, mdb.ErrNoDocuments):
		meta.Version = 0
	case err != nil:
		client.Disconnect(context.Background())
		return nil, translate(op, err)
	}
	if meta.Version < schemaVersion {
		client.Disconnect(context.Background())
		return nil, fhir.Errorf(fhir.KindUnavailable, "exception", "",
			"the MongoDB database %q has schema version %d, this nims needs %d: run nims migrate --store URI first", opts.Database, meta.Version, schemaVersion)
	}
	if meta.Version > schemaVersion {
		client.Disconnect(context.Background())
		return nil, fhir.Errorf(fhir.KindUnavailable, "exception", "",
			"the MongoDB database %q has schema version %d, newer than this nims (%d): upgrade nims", opts.Database, meta.Version, schemaVersion)
	}
	db.stop = make(chan struct{})
	go db.purger()
	return db, nil
}

// purger drops expired idempotency records and search lists at Open and then hourly, on
// every replica (the deletes are idempotent).
func (db *DB) purger() {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), db.opts.Timeout)
		db.purge(ctx) // a failure is retried at the next round
		db.purgeLists(ctx)
		cancel()
		select {
		case <-db.stop:
			return
		case <-time.After(time.Hour):
		}
	}
}

func (db *DB) bindCollections() {
	c := db.db.Collection
	db.resources, db.versions, db.changes = c("resources"), c("versions"), c("changes")
	db.keys, db.conds, db.requests, db.txns = c("keys"), c("conds"), c("requests"), c("txns")
	db.jobs, db.jobKeys, db.leases, db.searches = c("jobs"), c("jobkeys"), c("leases"), c("searches")
}

// databaseOf is the database a URI's path names, or "nims".
func databaseOf(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return "nims"
	}
	if name := strings.Trim(u.Path, "/"); name != "" {
		return name
	}
	return "nims"
}

// index is one index Migrate creates.
type index struct {
	coll   string
	keys   bson.D
	unique bool
}

// indexes are the secondary indexes of docs/SCALE.md. Uniqueness is never asked of a
// secondary index: every unique thing is an _id (FerretDB does not enforce unique
// indexes over arrays, and a sharded unique index must contain the shard key).
var indexes = []index{
	{"resources", bson.D{{Key: "type", Value: 1}, {Key: "tk", Value: 1}}, false},
	{"resources", bson.D{{Key: "type", Value: 1}, {Key: "st", Value: 1}}, false},
	{"resources", bson.D{{Key: "type", Value: 1}, {Key: "rf", Value: 1}}, false},
	{"resources", bson.D{{Key: "type", Value: 1}, {Key: "dt", Value: 1}}, false},
	{"resources", bson.D{{Key: "type", Value: 1}, {Key: "nm", Value: 1}}, false},
	{"resources", bson.D{{Key: "type", Value: 1}, {Key: "lu", Value: 1}, {Key: "_id", Value: 1}}, false},
	{"versions", bson.D{{Key: "type", Value: 1}, {Key: "id", Value: 1}, {Key: "v", Value: -1}}, false},
	{"versions", bson.D{{Key: "seq", Value: -1}}, false},
	{"versions", bson.D{{Key: "type", Value: 1}, {Key: "seq", Value: -1}}, false},
	{"keys", bson.D{{Key: "type", Value: 1}, {Key: "id", Value: 1}}, false},
	{"jobs", bson.D{{Key: "kind", Value: 1}, {Key: "state", Value: 1}, {Key: "created", Value: 1}}, false},
	{"leases", bson.D{{Key: "job", Value: 1}, {Key: "seq", Value: -1}}, false}, // a job's latest step (jobs_steps.go)
	{"requests", bson.D{{Key: "created", Value: 1}}, false},
	{"searches", bson.D{{Key: "created", Value: 1}}, false}, // the purge of old lists
}

// Migrate creates the collections and indexes the store needs and records the schema
// version. It is idempotent, and the only code that changes the database's layout.
func Migrate(ctx context.Context, uri string, opts Options) error {
	const op = "mongo.Migrate"
	if opts.Database == "" {
		opts.Database = databaseOf(uri)
	}
	client, err := mdb.Connect(options.Client().ApplyURI(uri).SetWriteConcern(writeconcern.Majority()).SetAppName("nims migrate"))
	if err != nil {
		return fhir.Errorf(fhir.KindUnavailable, "exception", "", "cannot use the MongoDB URI: %v", redact(err))
	}
	defer client.Disconnect(context.Background())
	d := client.Database(opts.Database)
	var meta struct {
		Version int `bson:"version"`
	}
	err = d.Collection("meta").FindOne(ctx, bson.D{{Key: "_id", Value: "schema"}}).Decode(&meta)
	switch {
	case err != nil && !errors.Is(err, mdb.ErrNoDocuments):
		return translate(op, err)
	case meta.Version > schemaVersion:
		return fhir.Errorf(fhir.KindConflict, "exception", "",
			"the MongoDB database %q has schema version %d, newer than this nims (%d): migrate it with the newer nims", opts.Database, meta.Version, schemaVersion)
	}
	existing, err := d.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return translate(op, err)
	}
	have := map[string]bool{}
	for _, n := range existing {
		have[n] = true
	}
	for _, n := range []string{"meta", "resources", "versions", "changes", "keys", "conds", "requests", "txns", "jobs", "jobkeys", "leases", "searches"} {
		if have[n] {
			continue
		}
		if err := d.CreateCollection(ctx, n); err != nil && !isNamespaceExists(err) {
			return translate(op, err)
		}
	}
	for _, ix := range indexes {
		model := mdb.IndexModel{Keys: ix.keys}
		if ix.unique {
			model.Options = options.Index().SetUnique(true)
		}
		if _, err := d.Collection(ix.coll).Indexes().CreateOne(ctx, model); err != nil {
			return translate(op, fmt.Errorf("index %s %v: %w", ix.coll, ix.keys, err))
		}
	}
	_, err = d.Collection("meta").UpdateOne(ctx, bson.D{{Key: "_id", Value: "schema"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "version", Value: schemaVersion}}}}, options.UpdateOne().SetUpsert(true))
	return translate(op, err)
}

func isNamespaceExists(err error) bool {
	var ce mdb.CommandError
	return errors.As(err, &ce) && (ce.Code == 48 || ce.Name == "NamespaceExists")
}

// Drop removes the store's database: for tests.
func (db *DB) Drop(ctx context.Context) error {
	return translate("mongo.Drop", db.db.Drop(ctx))
}

// enter starts a call; leave ends it. Calls after Close fail.
func (db *DB) enter() (leave func(), err error) {
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return nil, unavailable("the service is shutting down; retry later")
	}
	return db.mu.RUnlock, nil
}

// Ping reports whether the server answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.client.Ping(ctx, nil); err != nil {
		return fhir.Errorf(fhir.KindUnavailable, "transient", "", "MongoDB does not answer: %v", redact(err))
	}
	return nil
}

// Close waits for calls in flight and disconnects.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return nil
	}
	db.closed = true
	close(db.stop)
	return translate("mongo.Close", db.client.Disconnect(context.Background()))
}

// now is the store's clock, truncated to the millisecond, UTC.
func (db *DB) now() time.Time {
	return db.opts.Now().UTC().Truncate(time.Millisecond)
}

// lockOf is the in-process lock of one resource's writes.
func (db *DB) lockOf(typ, id string) *sync.Mutex {
	h := uint32(2166136261)
	for i := 0; i < len(typ); i++ {
		h = (h ^ uint32(typ[i])) * 16777619
	}
	for i := 0; i < len(id); i++ {
		h = (h ^ uint32(id[i])) * 16777619
	}
	return &db.locks[h%uint32(len(db.locks))]
}
