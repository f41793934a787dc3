// Package audit is the audit trail of NIMS: one event for every read, search, write,
// export and token issue that touches personal data (DESIGN.md, "Security and privacy"),
// kept in its own SQLite file, dir/audit.db, so that it never contends with the resource
// store's writer.
//
// # Cost on the request path
//
// Record only appends the event to an in-memory queue under a mutex; one background
// goroutine takes everything queued, encodes it and commits it in transactions of up to
// Options.MaxBatch events (synchronous=FULL in WAL mode: each commit is fsync'd). Batches
// grow with the load by themselves, as in the store's group commit, and while the log is
// busy the writer lets a batch gather until commitInterval (5 ms) after the last commit
// began: a commit costs about 0.3 ms of CPU whatever its size. An event that arrives when
// the log is idle, a Flush, Close and a full queue are committed at once.
//
// The writer spends about 3 µs of CPU an event at full speed, about 8 at 20,000 events a
// second (writer.go says where, cpu_bench_test.go measures it).
//
// # Never dropped: backpressure
//
// An accepted event is only forgotten once it is durable. The queue holds at most
// Options.QueueSize events that are accepted but not yet durable; when it is full, Record
// blocks until the writer has made room. A disk that cannot keep up, or fails, therefore
// slows and then stalls the requests that touch personal data rather than letting them
// go unaudited. A failed commit is retried (with backoff, up to a second apart) for as
// long as the log is open; only Close gives up, after a few attempts, and then reports the
// events it could not write in its error and in Stats' dropped count. Record after Close
// has begun (including a Record blocked on a full queue when Close is called) keeps
// nothing and is counted as dropped too: no event is ever lost without being counted.
//
// # Tamper evidence
//
// Events are numbered from 1 (seq) and chained: each event's hash covers its seq, its
// predecessor's hash and its body (chain.go defines the bytes exactly), and is stored
// with the body. Altering, deleting, inserting or reordering any stored event breaks
// the chain from that point and Verify names the first event affected. Verify also
// checks that what Search relies on agrees with the hashed bodies (each segment's seq
// and time range, the clients listed for it, the patient index), so that an event
// cannot be hidden from a search either.
//
// A hash chain cannot show that its newest events were cut off: the shortened chain is
// still consistent. Within one process Verify compares the stored chain with the head it
// wrote itself; across restarts, publish Head (for example in the shutdown log line) and
// compare it later.
//
// # Storage
//
// Events are stored a segment to a row: the events of a batch, up to 64, with their
// bodies (a compact binary form, event.go) and hashes (segment.go). Searches by client
// and by time choose segments by a per-segment summary (schema.go); the patient index
// lists (patient, seq) pairs in sorted blocks, written every 2,048 events or so
// (index.go), so that a search by patient reads the index rather than the log.
//
// # Files
//
// log.go holds Open, the queue and Close; writer.go the background writer; event.go the
// Event and its body; segment.go the stored segment; index.go the patient index;
// chain.go the hash; verify.go Verify; search.go Search and Export; auditevent.go the
// FHIR AuditEvent rendering; schema.go the tables.
//
// It imports the standard library, fhir and the SQLite driver; never api, auth, store,
// cmd or an HTTP library (imports_test.go enforces this).
package audit
