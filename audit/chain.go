package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"strconv"

	"github.com/nimsproject/nims/fhir"
)

// Genesis is the prev of event 1: a fresh log's chain starts from it.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// hasher computes chain hashes. The hash of an event is the lowercase hex of
//
//	SHA-256( decimal(seq) ‖ "\n" ‖ body ‖ "\n" ‖ prev )
//
// where decimal(seq) is seq in ASCII decimal (no sign, no leading zeros), body is the
// stored body bytes (event.go) and prev is the stored hash of event seq−1 as 64
// lowercase hex characters (Genesis for event 1). The digits and prev contain no newline
// and prev has a fixed length, so the hashed bytes determine seq, body and prev: a change
// to any of the three, or moving a body to another seq, changes the hash, and since each
// event hashes its predecessor's hash, every later event's prev stops matching too.
type hasher struct {
	h   hash.Hash
	buf []byte
}

func newHasher() *hasher { return &hasher{h: sha256.New(), buf: make([]byte, 0, 64)} }

func (c *hasher) sum(seq int64, body []byte, prev string) string {
	c.h.Reset()
	c.buf = strconv.AppendInt(c.buf[:0], seq, 10)
	c.buf = append(c.buf, '\n')
	c.h.Write(c.buf)
	c.h.Write(body)
	c.buf = append(c.buf[:0], '\n')
	c.buf = append(c.buf, prev...)
	c.h.Write(c.buf)
	return hex.EncodeToString(c.h.Sum(c.buf[:0]))
}

// BrokenError is Verify's finding that the stored log is not what was written, at
// event Seq (the first event affected; for a deleted event, its seq).
type BrokenError struct {
	Seq    int64
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit: chain broken at event %d: %s", e.Seq, e.Reason)
}

// verifyPage is how many events Verify reads per query: each query is short, so the walk
// never holds a snapshot that stops the WAL from being checkpointed.
const verifyPage = 1000

// stored is one row of events.
type stored struct {
	seq, time                int64
	client, typ, interaction string
	body                     []byte
	prev, hash               string
}

// Verify walks the chain from event 1 to the newest stored event and returns how many
// events it found intact. At the first event that is missing, out of place, altered, or
// whose indexed columns or patient index entries disagree with its body, it stops with a
// *BrokenError naming that event. It also fails if the log ends before, or differs at,
// the head this process holds (Head: the newest event it wrote or found at Open). Events
// written while it runs are verified too. Other errors: KindUnavailable after Close,
// KindInternal (I/O, ctx).
func (l *Log) Verify(ctx context.Context) (n int64, err error) {
	const op = "audit.Verify"
	if err := l.closedErr(op); err != nil {
		return 0, err
	}
	headSeq, headHash := l.Head()
	indexed, err := l.rdb.PrepareContext(ctx, "SELECT count(*) FROM event_patients WHERE patient = ? AND seq = ?")
	if err != nil {
		return 0, fhir.Wrap(op, err)
	}
	defer indexed.Close()
	h := newHasher()
	prev, want, patients := Genesis, int64(1), int64(0)
	for {
		page, err := l.readEvents(ctx, want, verifyPage)
		if err != nil {
			return n, fhir.Wrap(op, err)
		}
		for _, r := range page {
			k, err := verifyEvent(ctx, indexed, h, &r, want, prev)
			if err != nil {
				return n, err
			}
			if r.seq == headSeq && r.hash != headHash {
				return n, &BrokenError{Seq: r.seq, Reason: "its hash differs from the head this process holds"}
			}
			patients += k
			prev, want = r.hash, r.seq+1
			n++
		}
		if len(page) < verifyPage {
			break
		}
	}
	if want <= headSeq {
		return n, &BrokenError{Seq: want, Reason: fmt.Sprintf("the log ends at event %d but this process holds head %d", want-1, headSeq)}
	}
	var entries int64
	if err := l.rdb.QueryRowContext(ctx, "SELECT count(*) FROM event_patients WHERE seq < ?", want).Scan(&entries); err != nil {
		return n, fhir.Wrap(op, err)
	}
	if entries != patients {
		err := l.extraPatient(ctx, want)
		if be, ok := err.(*BrokenError); ok {
			n = be.Seq - 1 // the events before it are intact
		}
		return n, err
	}
	return n, nil
}

// readEvents returns up to limit events from seq from on, in seq order.
func (l *Log) readEvents(ctx context.Context, from int64, limit int) ([]stored, error) {
	rows, err := l.rdb.QueryContext(ctx, `SELECT seq, time, client, type, interaction, body, prev, hash
		FROM events WHERE seq >= ? ORDER BY seq LIMIT ?`, from, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var page []stored
	for rows.Next() {
		var r stored
		if err := rows.Scan(&r.seq, &r.time, &r.client, &r.typ, &r.interaction, &r.body, &r.prev, &r.hash); err != nil {
			return nil, err
		}
		page = append(page, r)
	}
	return page, rows.Err()
}

// verifyEvent checks r, expected to be event want following hash prev, and returns the
// number of its patients, each of which indexed finds in the patient index.
func verifyEvent(ctx context.Context, indexed *sql.Stmt, h *hasher, r *stored, want int64, prev string) (int64, error) {
	switch {
	case r.seq != want:
		return 0, &BrokenError{Seq: want, Reason: fmt.Sprintf("the event is missing (the next stored is %d)", r.seq)}
	case r.prev != prev:
		return 0, &BrokenError{Seq: r.seq, Reason: "its prev is not the hash of the event before it"}
	case h.sum(r.seq, r.body, r.prev) != r.hash:
		return 0, &BrokenError{Seq: r.seq, Reason: "its content does not match its hash"}
	}
	e, err := decodeBody(r.body)
	if err != nil || e.Time.UnixMilli() != r.time || e.ClientID != r.client || e.Type != r.typ || e.Interaction != r.interaction {
		return 0, &BrokenError{Seq: r.seq, Reason: "its indexed columns differ from its body"}
	}
	for _, p := range e.Patients {
		var found int
		if err := indexed.QueryRowContext(ctx, p, r.seq).Scan(&found); err != nil {
			return 0, fhir.Wrap("audit.Verify", err)
		}
		if found == 0 {
			return 0, &BrokenError{Seq: r.seq, Reason: "one of its patients is missing from the patient index"}
		}
	}
	return int64(len(e.Patients)), nil
}

// extraPatient finds the first event (below end) that the patient index names with a
// patient its body does not have. It runs only once Verify has counted too many index
// entries, so its sort of the whole index is paid only for a broken log.
func (l *Log) extraPatient(ctx context.Context, end int64) error {
	const op = "audit.Verify"
	rows, err := l.rdb.QueryContext(ctx, "SELECT patient, seq FROM event_patients WHERE seq < ? ORDER BY seq", end)
	if err != nil {
		return fhir.Wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			patient string
			seq     int64
			js      []byte
		)
		if err := rows.Scan(&patient, &seq); err != nil {
			return fhir.Wrap(op, err)
		}
		if err := l.rdb.QueryRowContext(ctx, "SELECT body FROM events WHERE seq = ?", seq).Scan(&js); err != nil {
			return fhir.Wrap(op, err) // every seq below end was just verified
		}
		if e, _ := decodeBody(js); !slices.Contains(e.Patients, patient) {
			return &BrokenError{Seq: seq, Reason: "the patient index names a patient its body does not"}
		}
	}
	if err := rows.Err(); err != nil {
		return fhir.Wrap(op, err)
	}
	return &BrokenError{Seq: end - 1, Reason: "the patient index does not match the events"}
}
