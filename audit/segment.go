package audit

import (
	"context"
	"encoding/binary"
	"errors"
)

// A segment is a run of consecutive events stored as one row of segments: the writer
// cuts each batch into segments of at most segMaxEvents events and about segMaxBytes of
// bodies, so that reading one event (a read by id, a hit of the patient index) reads a
// few kilobytes, while the per-row cost of SQLite is paid once per segment rather than
// once per event. Its data column is
//
//	n         uvarint, the number of events (last − first + 1)
//	lengths   n uvarints, the length of each body
//	bodies    the bodies (event.go), concatenated in seq order
//	hashes    n × 32 bytes, the hash of each event (chain.go)
//
// Event first+i has the i-th body and hash.
const (
	segMaxEvents = 64
	segMaxBytes  = 32 << 10
)

// segment is a parsed row of segments.
type segment struct {
	first, last, tmin, tmax int64
	data                    []byte
	offs                    []int  // body i is data[offs[i]:offs[i+1]]
	hashes                  []byte // 32 bytes an event
}

var errSegment = errors.New("malformed segment")

// parse fills offs and hashes from data. It checks that data is well formed, not that
// it agrees with first and last.
func (s *segment) parse() error {
	n, k := binary.Uvarint(s.data)
	if k <= 0 || n > uint64(len(s.data))/32 {
		return errSegment
	}
	lens, total := s.data[k:], uint64(0)
	p := k
	for range n {
		l, k := binary.Uvarint(s.data[p:])
		if k <= 0 {
			return errSegment
		}
		p += k
		if total += l; total > uint64(len(s.data)) {
			return errSegment
		}
	}
	if uint64(len(s.data)-p) != total+32*n {
		return errSegment
	}
	s.offs = s.offs[:0]
	for range n {
		l, k := binary.Uvarint(lens)
		lens = lens[k:]
		s.offs = append(s.offs, p)
		p += int(l)
	}
	s.offs = append(s.offs, p)
	s.hashes = s.data[p:]
	return nil
}

func (s *segment) n() int                  { return len(s.offs) - 1 }
func (s *segment) body(i int) []byte       { return s.data[s.offs[i]:s.offs[i+1]] }
func (s *segment) hash(i int) (h [32]byte) { copy(h[:], s.hashes[32*i:]); return h }

// contains reports whether event seq is stored in s (as its summary says).
func (s *segment) contains(seq int64) bool { return s.first <= seq && seq <= s.last }

// appendSegmentData appends the data of a segment to b: its bodies are
// arena[base:ends[0]], arena[ends[0]:ends[1]], …; hashes holds 32 bytes an event.
func appendSegmentData(b, arena []byte, base int, ends []int, hashes []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(ends)))
	start := base
	for _, end := range ends {
		b = binary.AppendUvarint(b, uint64(end-start))
		start = end
	}
	b = append(b, arena[base:start]...)
	return append(b, hashes...)
}

// segmentColumns are the columns scanSegment reads, in its order.
const segmentColumns = "first, last, tmin, tmax, data"

// scanSegment reads a row of segmentColumns into a new, parsed segment. A row that does
// not parse is returned with the error (Verify names the event; Search reports it).
func scanSegment(rows interface{ Scan(...any) error }) (*segment, error) {
	s := &segment{}
	if err := rows.Scan(&s.first, &s.last, &s.tmin, &s.tmax, &s.data); err != nil {
		return nil, err
	}
	return s, s.parse()
}

// segments runs query (selecting segmentColumns) on the read pool and returns its
// segments in order. It stops at the first that does not parse, returning those before
// it and the bad one with errSegment.
func (l *Log) segments(ctx context.Context, query string, args ...any) ([]*segment, error) {
	rows, err := l.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var segs []*segment
	for rows.Next() {
		s, err := scanSegment(rows)
		if s != nil {
			segs = append(segs, s)
		}
		if err != nil {
			return segs, err
		}
	}
	return segs, rows.Err()
}
