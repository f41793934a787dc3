package mongo

import (
	"encoding/base64"
	"encoding/binary"
	"math"

	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// A search cursor is opaque to clients: base64url of a format byte, its kind, a string,
// two numbers (uvarints) and a CRC-32 of all that and the query's canonical form. The
// checksum is not a secret; it makes a cursor that was mistyped, invented or taken from
// another query fail as KindInvalid instead of silently paging something else.
//
// Two kinds, one per paging strategy (search.go):
//   - byID: the id of the page's last resource; the next page starts after it.
//   - list: the id of a materialised list of the matches in order (search_list.go) and
//     the position after the page in it.
//
// Both carry the number of matches when paging began, when it was counted (plus one, so
// that 0 says it was not), so that _total=accurate is counted once, not on every page.

const searchCursorFormat = 1

type cursorKind byte

const (
	cursorByID cursorKind = 1
	cursorList cursorKind = 2
)

type searchCursor struct {
	kind   cursorKind
	text   string // byID: the last id; list: the list's id
	offset int64  // list: the position of the next page in the list
	total  int64  // the number of matches when paging began; -1 when not counted
}

func encodeSearchCursor(c searchCursor, q *search.Query) string {
	b := []byte{searchCursorFormat, byte(c.kind)}
	b = binary.AppendUvarint(b, uint64(len(c.text)))
	b = append(b, c.text...)
	b = binary.AppendUvarint(b, uint64(c.offset))
	b = binary.AppendUvarint(b, uint64(c.total+1)) // 0: not counted
	b = binary.BigEndian.AppendUint32(b, store.SearchCursorSum(b, q))
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeSearchCursor reads a cursor issued for q, of the kind q pages by.
func decodeSearchCursor(s string, q *search.Query, kind cursorKind) (searchCursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 9 || b[0] != searchCursorFormat {
		return searchCursor{}, false
	}
	payload, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if sum != store.SearchCursorSum(payload, q) {
		return searchCursor{}, false
	}
	c := searchCursor{kind: cursorKind(payload[1])}
	r := payload[2:]
	n, w := binary.Uvarint(r)
	if w <= 0 || uint64(len(r)-w) < n {
		return searchCursor{}, false
	}
	c.text, r = string(r[w:w+int(n)]), r[w+int(n):]
	off, w := binary.Uvarint(r)
	if w <= 0 || off > math.MaxInt64 {
		return searchCursor{}, false
	}
	r = r[w:]
	total, w := binary.Uvarint(r)
	if w <= 0 || w != len(r) || total > math.MaxInt64 {
		return searchCursor{}, false
	}
	c.offset, c.total = int64(off), int64(total)-1
	if c.kind != kind || c.text == "" {
		return searchCursor{}, false
	}
	return c, true
}
