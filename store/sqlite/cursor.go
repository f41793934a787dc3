package sqlite

import (
	"encoding/base64"
	"encoding/binary"
	"math"

	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// A search cursor is the position of the last row of a page in the query's order: its
// sort values and id, so that the next page starts strictly after it (keyset paging: no
// deep offset), and the seq of the snapshot the first page was read from, so that later
// pages place the resources written since where they stood then (snapshot.go).
// base64url of: a format byte; per sort key a tag (0 no value, 1 text, 2 integer, 3 real)
// and the value (text as uvarint length and bytes, numbers as 8 bytes); the id; the seq
// as a uvarint; and a CRC-32 of all that and the query's canonical form, so that a cursor
// only continues the query that issued it.

const searchCursorFormat = 2

type searchCursor struct {
	keys []any // nil, string, int64 or float64, per sort key
	id   string
	seq  int64 // the change-log position of the first page's snapshot
}

func encodeSearchCursor(c searchCursor, q *search.Query) string {
	b := []byte{searchCursorFormat}
	for _, k := range c.keys {
		switch v := k.(type) {
		case string:
			b = append(b, 1)
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		case int64:
			b = binary.BigEndian.AppendUint64(append(b, 2), uint64(v))
		case float64:
			b = binary.BigEndian.AppendUint64(append(b, 3), math.Float64bits(v))
		default:
			b = append(b, 0)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(c.id)))
	b = append(b, c.id...)
	b = binary.AppendUvarint(b, uint64(c.seq))
	b = binary.BigEndian.AppendUint32(b, store.SearchCursorSum(b, q))
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeSearchCursor reads a cursor issued for q.
func decodeSearchCursor(s string, q *search.Query) (searchCursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 6 || b[0] != searchCursorFormat {
		return searchCursor{}, false
	}
	payload, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if sum != store.SearchCursorSum(payload, q) {
		return searchCursor{}, false
	}
	r := payload[1:]
	text := func() (string, bool) {
		n, w := binary.Uvarint(r)
		if w <= 0 || uint64(len(r)-w) < n {
			return "", false
		}
		v := string(r[w : w+int(n)])
		r = r[w+int(n):]
		return v, true
	}
	var c searchCursor
	for range q.Sort {
		if len(r) == 0 {
			return searchCursor{}, false
		}
		tag := r[0]
		r = r[1:]
		switch tag {
		case 0:
			c.keys = append(c.keys, nil)
		case 1:
			v, ok := text()
			if !ok {
				return searchCursor{}, false
			}
			c.keys = append(c.keys, v)
		case 2, 3:
			if len(r) < 8 {
				return searchCursor{}, false
			}
			u := binary.BigEndian.Uint64(r)
			r = r[8:]
			if tag == 2 {
				c.keys = append(c.keys, int64(u))
			} else {
				c.keys = append(c.keys, math.Float64frombits(u))
			}
		default:
			return searchCursor{}, false
		}
	}
	id, ok := text()
	if !ok {
		return searchCursor{}, false
	}
	seq, w := binary.Uvarint(r)
	if w <= 0 || w != len(r) || seq > math.MaxInt64 {
		return searchCursor{}, false
	}
	c.id, c.seq = id, int64(seq)
	return c, true
}
