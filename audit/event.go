package audit

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nimsproject/nims/fhir"
)

// Event is one audited interaction. Record keeps the Entities and Patients slices until
// the event is written: the caller must not modify them after Record.
type Event struct {
	Time        time.Time // when the request was answered; zero means Options.Now at Record. Stored UTC, ms precision
	RequestID   string    // X-Request-ID of the request
	ClientID    string
	ClientName  string
	Role        string
	Purpose     string // HL7 v3 PurposeOfUse code, e.g. TREAT, PUBHLTH
	Interaction string // see the interactions table in auditevent.go
	Type        string // resource type acted on, "" for system level
	Query       string // the search query string or condition, "" otherwise
	Entities    []string
	Patients    []string
	Truncated   bool // Entities, Patients or a text field held more than the bounds below
	Status      int  // HTTP status answered
	Outcome     string
	Address     string // client network address
}

// Bounds on what one event keeps; anything beyond is cut and Truncated set. Patients
// are kept up to the largest page (_count 1000) so that "who has seen this patient's
// record" can stay complete for every page served; other references are context, bounded
// as the api bounds them.
const (
	MaxEntities = 200
	MaxPatients = 1000
	maxQuery    = 4096 // bytes
	maxOutcome  = 1024
	maxText     = 256 // every other string
)

// normalize puts e in the form that is stored: UTC at millisecond precision, valid UTF-8
// (JSON cannot carry anything else, and the indexed columns must equal the body), no
// duplicate references, everything within its bound. It runs on the writer, off the
// request path, and never modifies the caller's slices.
func normalize(e *Event) {
	e.Time = e.Time.UTC().Truncate(time.Millisecond)
	cut := false
	for _, f := range []struct {
		s *string
		n int
	}{{&e.RequestID, maxText}, {&e.ClientID, maxText}, {&e.ClientName, maxText}, {&e.Role, maxText},
		{&e.Purpose, maxText}, {&e.Interaction, maxText}, {&e.Type, maxText}, {&e.Query, maxQuery},
		{&e.Outcome, maxOutcome}, {&e.Address, maxText}} {
		cut = clip(f.s, f.n) || cut
	}
	var c1, c2 bool
	e.Entities, c1 = refs(e.Entities, MaxEntities)
	e.Patients, c2 = refs(e.Patients, MaxPatients)
	e.Truncated = e.Truncated || cut || c1 || c2
}

// clip makes *s valid UTF-8 of at most n bytes, cutting at a character boundary, and
// reports whether it cut.
func clip(s *string, n int) bool {
	if !utf8.ValidString(*s) {
		*s = strings.ToValidUTF8(*s, "\uFFFD")
	}
	if len(*s) <= n {
		return false
	}
	i := n
	for i > 0 && !utf8.RuneStart((*s)[i]) {
		i--
	}
	*s = (*s)[:i]
	return true
}

// refs returns rs without empty or repeated references and at most max of them (in a
// new slice, unless rs is already so), and whether any was cut for the bound.
func refs(rs []string, max int) ([]string, bool) {
	if len(rs) == 0 {
		return nil, false
	}
	if clean(rs, max) {
		return rs, false
	}
	out := make([]string, 0, min(len(rs), max))
	seen := make(map[string]struct{}, min(len(rs), max))
	for _, r := range rs {
		clip(&r, maxText)
		if _, dup := seen[r]; dup || r == "" {
			continue
		}
		if len(out) == max {
			return out, true
		}
		seen[r] = struct{}{}
		out = append(out, r)
	}
	return out, false
}

// clean reports whether a short list rs needs nothing from refs: the common case of a
// read (one or two references) then costs no allocation.
func clean(rs []string, max int) bool {
	if len(rs) > min(max, 16) {
		return false
	}
	for i, r := range rs {
		if r == "" || len(r) > maxText || !utf8.ValidString(r) || slices.Contains(rs[:i], r) {
			return false
		}
	}
	return true
}

// body is the canonical JSON form of an Event, the bytes stored and hashed: the members
// in this order, empty ones omitted, no whitespace, time as a FHIR instant (UTC, three
// decimals), "<", ">" and "&" not escaped. The hash covers the stored bytes, so Verify
// never re-encodes: the form only has to be stable for one writer.
type body struct {
	Time        string   `json:"time"`
	RequestID   string   `json:"requestId,omitempty"`
	ClientID    string   `json:"clientId,omitempty"`
	ClientName  string   `json:"clientName,omitempty"`
	Role        string   `json:"role,omitempty"`
	Purpose     string   `json:"purpose,omitempty"`
	Interaction string   `json:"interaction"`
	Type        string   `json:"type,omitempty"`
	Query       string   `json:"query,omitempty"`
	Entities    []string `json:"entities,omitempty"`
	Patients    []string `json:"patients,omitempty"`
	Truncated   bool     `json:"truncated,omitempty"`
	Status      int      `json:"status"`
	Outcome     string   `json:"outcome,omitempty"`
	Address     string   `json:"address,omitempty"`
}

// encoder encodes bodies into one reused buffer.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

func newEncoder() *encoder {
	e := &encoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}

// encode returns the body of a normalized e, valid until the next call.
func (c *encoder) encode(e *Event) ([]byte, error) {
	c.buf.Reset()
	err := c.enc.Encode(body{
		Time: fhir.FormatInstant(e.Time), RequestID: e.RequestID, ClientID: e.ClientID,
		ClientName: e.ClientName, Role: e.Role, Purpose: e.Purpose, Interaction: e.Interaction,
		Type: e.Type, Query: e.Query, Entities: e.Entities, Patients: e.Patients,
		Truncated: e.Truncated, Status: e.Status, Outcome: e.Outcome, Address: e.Address,
	})
	b := c.buf.Bytes()
	return b[:len(b)-1], err // Encode ends with a newline
}

// decodeBody is the inverse of encode.
func decodeBody(js []byte) (Event, error) {
	var b body
	if err := json.Unmarshal(js, &b); err != nil {
		return Event{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, b.Time)
	if err != nil {
		return Event{}, err
	}
	return Event{
		Time: t.UTC(), RequestID: b.RequestID, ClientID: b.ClientID, ClientName: b.ClientName,
		Role: b.Role, Purpose: b.Purpose, Interaction: b.Interaction, Type: b.Type, Query: b.Query,
		Entities: b.Entities, Patients: b.Patients, Truncated: b.Truncated, Status: b.Status,
		Outcome: b.Outcome, Address: b.Address,
	}, nil
}
