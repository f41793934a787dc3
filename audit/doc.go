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
// grow with the load by themselves, as in the store's group commit: no timer, no added
// latency when idle.
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
// Events are numbered from 1 (seq) and chained: each stored event carries its
// predecessor's hash (prev) and its own hash over its seq, its body and prev (chain.go
// defines the bytes exactly). Altering, deleting, inserting or reordering any stored
// event breaks the chain from that point and Verify names the first event affected.
// Verify also checks that the columns and the patient index that Search relies on agree
// with the hashed bodies, so that an event cannot be hidden from a search either.
//
// A hash chain cannot show that its newest events were cut off: the shortened chain is
// still consistent. Within one process Verify compares the stored chain with the head it
// wrote itself; across restarts, publish Head (for example in the shutdown log line) and
// compare it later.
//
// # Files
//
// log.go holds Open, the queue and Close; writer.go the background writer; event.go the
// canonical body of an event; chain.go the hash and Verify; search.go Search and Export;
// auditevent.go the FHIR AuditEvent rendering; schema.go the tables.
//
// It imports the standard library, fhir and the SQLite driver; never api, auth, store,
// cmd or an HTTP library (imports_test.go enforces this).
package audit
