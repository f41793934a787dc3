package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// Genesis is the prev of event 1: a fresh log's chain starts from it. Hashes are
// exchanged (Head, Record, AuditEvent) as 64 lowercase hex characters; the log stores
// the 32 bytes.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// hasher computes chain hashes. The hash of an event is
//
//	SHA-256( be64(seq) ‖ prev ‖ body )
//
// where be64(seq) is seq as 8 bytes big-endian, prev is the 32-byte hash of event
// seq−1 (32 zero bytes, Genesis, for event 1) and body is the stored body bytes
// (event.go). seq and prev have fixed lengths, so the hashed bytes determine seq, body
// and prev: a change to any of the three, or moving a body to another seq, changes the
// hash, and since each event hashes its predecessor's hash, every later event's hash
// stops matching too.
type hasher struct {
	buf []byte
}

func (c *hasher) sum(seq int64, prev *[32]byte, body []byte) [32]byte {
	c.buf = binary.BigEndian.AppendUint64(c.buf[:0], uint64(seq))
	c.buf = append(c.buf, prev[:]...)
	c.buf = append(c.buf, body...)
	return sha256.Sum256(c.buf)
}

func hexHash(h *[32]byte) string { return hex.EncodeToString(h[:]) }

// BrokenError is Verify's finding that the stored log is not what was written, at
// event Seq (the first event affected; for a deleted event, its seq).
type BrokenError struct {
	Seq    int64
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit: chain broken at event %d: %s", e.Seq, e.Reason)
}
