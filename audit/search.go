package audit

import (
	"bufio"
	"context"
	"io"
	"strings"
	"time"

	"github.com/nimsproject/nims/fhir"
)

// Query selects events; every non-zero field must match.
type Query struct {
	Patient     string    // "Patient/123": events that touched this patient's data
	Client      string    // ClientID
	Type        string    // resource type
	Interaction string    // one of the interactions of auditevent.go
	Since       time.Time // Time ≥ Since
	Until       time.Time // Time < Until
	Count       int       // page size: 0 means 100, at most 1000
	After       int64     // cursor: continue after this seq (the next of the previous page)
	Descending  bool      // newest first; After then continues below it
}

// Page sizes of Search.
const (
	defaultCount = 100
	maxCount     = 1000
)

// Record is one stored event with its place in the chain.
type Record struct {
	Seq        int64
	Hash, Prev string
	Event      Event
	source     string // Options.Source of the log read, for AuditEvent
}

// Search returns one page of the events matching q in seq order (ascending, or
// descending if q.Descending) and the cursor of the next page, 0 when there is none.
// Searches by patient and by client follow an index; by type, interaction or time alone
// they scan the log in seq order until the page is full.
// Errors: KindInvalid for an unknown interaction or a negative cursor, KindUnavailable
// after Close, KindInternal.
func (l *Log) Search(ctx context.Context, q Query) (recs []Record, next int64, err error) {
	const op = "audit.Search"
	if err := l.closedErr(op); err != nil {
		return nil, 0, err
	}
	if _, ok := interactions[q.Interaction]; q.Interaction != "" && !ok {
		return nil, 0, fhir.Errorf(fhir.KindInvalid, "value", "", "unknown audit interaction %q", q.Interaction)
	}
	if q.After < 0 {
		return nil, 0, fhir.Errorf(fhir.KindInvalid, "value", "", "invalid cursor %d", q.After)
	}
	count := q.Count
	if count <= 0 {
		count = defaultCount
	}
	count = min(count, maxCount)
	query, args := compile(q, count+1)
	rows, err := l.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, fhir.Wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var js []byte
		r := Record{source: l.opts.Source}
		if err := rows.Scan(&r.Seq, &js, &r.Prev, &r.Hash); err != nil {
			return nil, 0, fhir.Wrap(op, err)
		}
		if r.Event, err = decodeBody(js); err != nil {
			return nil, 0, fhir.Wrap(op, err) // Verify names the event
		}
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fhir.Wrap(op, err)
	}
	if len(recs) > count {
		recs = recs[:count]
		next = recs[count-1].Seq
	}
	return recs, next, nil
}

// compile turns q into SQL selecting seq, body, prev, hash, at most limit rows. A patient
// search drives from event_patients (its key orders one patient's events by seq); a
// client search uses events_client the same way.
func compile(q Query, limit int) (string, []any) {
	var (
		b     strings.Builder
		where []string
		args  []any
	)
	seq := "e.seq"
	b.WriteString("SELECT e.seq, e.body, e.prev, e.hash FROM ")
	if q.Patient != "" {
		b.WriteString("event_patients p CROSS JOIN events e ON e.seq = p.seq")
		where, args, seq = append(where, "p.patient = ?"), append(args, q.Patient), "p.seq"
	} else {
		b.WriteString("events e")
	}
	add := func(cond string, arg any) { where, args = append(where, cond), append(args, arg) }
	if q.Client != "" {
		add("e.client = ?", q.Client)
	}
	if q.Type != "" {
		add("e.type = ?", q.Type)
	}
	if q.Interaction != "" {
		add("e.interaction = ?", q.Interaction)
	}
	if !q.Since.IsZero() {
		add("e.time >= ?", q.Since.UnixMilli())
	}
	if !q.Until.IsZero() {
		add("e.time < ?", q.Until.UnixMilli())
	}
	order := " ORDER BY " + seq
	if q.Descending {
		order += " DESC"
		if q.After > 0 {
			add(seq+" < ?", q.After)
		}
	} else if q.After > 0 {
		add(seq+" > ?", q.After)
	}
	if len(where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(where, " AND "))
	}
	b.WriteString(order)
	b.WriteString(" LIMIT ?")
	return b.String(), append(args, limit)
}

// exportPage is how many events Export reads per query.
const exportPage = 1000

// Export writes the events recorded at or after since (all for a zero since), oldest
// first, as ndjson: one AuditEvent (relative references, see AuditEvent) per line. It
// stops at the newest event stored when it starts, and returns how many it wrote.
// Errors: KindUnavailable after Close, KindInternal (including a failing w).
func (l *Log) Export(ctx context.Context, w io.Writer, since time.Time) (int64, error) {
	const op = "audit.Export"
	if err := l.closedErr(op); err != nil {
		return 0, err
	}
	end, _ := l.Head()
	bw := bufio.NewWriterSize(w, 64<<10)
	var n int64
	q := Query{Since: since, Count: exportPage}
	for q.After < end {
		recs, next, err := l.Search(ctx, q)
		if err != nil {
			return n, err
		}
		for _, r := range recs {
			if r.Seq > end {
				break
			}
			bw.Write(r.AuditEvent(""))
			if err := bw.WriteByte('\n'); err != nil { // a write error sticks: this sees it
				return n, fhir.Wrap(op, err)
			}
			n++
		}
		if next == 0 {
			break
		}
		q.After = next
	}
	if err := bw.Flush(); err != nil {
		return n, fhir.Wrap(op, err)
	}
	return n, nil
}
