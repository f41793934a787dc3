package store

import (
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"

	"github.com/nimsproject/nims/fhir/search"
)

// A history cursor is opaque to clients: base64url of a format byte, the seq the next
// page starts below, and a checksum over the seq and the query it was issued for. The
// checksum is not a secret; it only makes a cursor that was mistyped, invented or taken
// from another query fail as KindInvalid instead of silently paging something else.

const cursorFormat = 1

func cursorSum(seq int64, q HistoryQuery) uint32 {
	h := crc32.NewIEEE()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seq))
	h.Write(b[:])
	h.Write([]byte(q.Type + "\x00" + q.ID + "\x00"))
	since := int64(0)
	if !q.Since.IsZero() {
		since = q.Since.UnixNano()
	}
	binary.BigEndian.PutUint64(b[:], uint64(since))
	h.Write(b[:])
	return h.Sum32()
}

// EncodeHistoryCursor returns the cursor of the history page that starts below seq.
func EncodeHistoryCursor(seq int64, q HistoryQuery) string {
	b := make([]byte, 13)
	b[0] = cursorFormat
	binary.BigEndian.PutUint64(b[1:9], uint64(seq))
	binary.BigEndian.PutUint32(b[9:], cursorSum(seq, q))
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeHistoryCursor returns the seq a cursor EncodeHistoryCursor issued for q names.
func DecodeHistoryCursor(s string, q HistoryQuery) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 13 || b[0] != cursorFormat {
		return 0, false
	}
	seq := int64(binary.BigEndian.Uint64(b[1:9]))
	if seq <= 0 || binary.BigEndian.Uint32(b[9:]) != cursorSum(seq, q) {
		return 0, false
	}
	return seq, true
}

// SearchCursorSum is the checksum a backend's search cursor ends with: over the cursor's
// payload and what the cursor is bound to, the type, filters and sort of q; not the page
// size or what is included, which a client may change from page to page. Like the
// history cursor's, it only makes a mistyped, invented or borrowed cursor fail.
func SearchCursorSum(payload []byte, q *search.Query) uint32 {
	c := search.Query{Type: q.Type, Filters: q.Filters, Sort: q.Sort}
	h := crc32.NewIEEE()
	h.Write(payload)
	h.Write([]byte{0})
	h.Write([]byte(q.Type + "?" + c.Encode().Encode()))
	return h.Sum32()
}
