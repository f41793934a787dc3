package audit

import (
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
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

// The body of an event is the bytes stored and hashed: a binary form, cheaper to write
// and to read than JSON. The hash covers the stored bytes, so Verify never re-encodes;
// the form only has to be decodable:
//
//	version   byte 1
//	time      varint, Unix milliseconds
//	status    varint
//	flags     byte: 1 if Truncated, else 0
//	strings   ClientID, Interaction, Type, RequestID, ClientName, Role, Purpose, Query,
//	          Outcome, Address, each as uvarint length ‖ bytes
//	entities  uvarint count, then each reference as a string
//	patients  uvarint count, then each reference as a string
//
// (varints as in encoding/binary). The fields that searches filter on come first.
const bodyVersion = 1

// The strings of a body, in order.
const (
	fClientID = iota
	fInteraction
	fType
	fRequestID
	fClientName
	fRole
	fPurpose
	fQuery
	fOutcome
	fAddress
	nStrings
)

// appendBody appends the body of a normalized e to b.
func appendBody(b []byte, e *Event) []byte {
	b = append(b, bodyVersion)
	b = binary.AppendVarint(b, e.Time.UnixMilli())
	b = binary.AppendVarint(b, int64(e.Status))
	if e.Truncated {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	for _, s := range [nStrings]string{e.ClientID, e.Interaction, e.Type, e.RequestID, e.ClientName,
		e.Role, e.Purpose, e.Query, e.Outcome, e.Address} {
		b = appendString(b, s)
	}
	for _, list := range [2][]string{e.Entities, e.Patients} {
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, s := range list {
			b = appendString(b, s)
		}
	}
	return b
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// rawBody is a parsed body whose strings still point into it: filtering on it costs no
// allocation, and event makes the Event of the ones kept.
type rawBody struct {
	time, status       int64
	truncated          bool
	str                [nStrings][]byte
	entities, patients refList
}

// refList is an encoded list of references: n strings, each uvarint length ‖ bytes.
type refList struct {
	n   int
	enc []byte
}

var errBody = errors.New("malformed event body")

// parseBody parses a body, all of it: trailing bytes are an error.
func parseBody(b []byte) (r rawBody, err error) {
	if len(b) == 0 || b[0] != bodyVersion {
		return r, errBody
	}
	p := bodyParser{b: b[1:]}
	r.time, r.status = p.varint(), p.varint()
	switch p.byte() {
	case 0:
	case 1:
		r.truncated = true
	default:
		p.bad = true
	}
	for i := range r.str {
		r.str[i] = p.string()
	}
	r.entities, r.patients = p.list(), p.list()
	if p.bad || len(p.b) > 0 {
		return rawBody{}, errBody
	}
	return r, nil
}

// bodyParser reads a body front to back; a failure sticks and yields zero values.
type bodyParser struct {
	b   []byte
	bad bool
}

func (p *bodyParser) byte() byte {
	if p.bad || len(p.b) == 0 {
		p.bad = true
		return 0
	}
	c := p.b[0]
	p.b = p.b[1:]
	return c
}

func (p *bodyParser) varint() int64 {
	v, n := binary.Varint(p.b)
	if p.bad || n <= 0 {
		p.bad = true
		return 0
	}
	p.b = p.b[n:]
	return v
}

func (p *bodyParser) uvarint() uint64 {
	v, n := binary.Uvarint(p.b)
	if p.bad || n <= 0 {
		p.bad = true
		return 0
	}
	p.b = p.b[n:]
	return v
}

func (p *bodyParser) string() []byte {
	n := p.uvarint()
	if p.bad || n > uint64(len(p.b)) {
		p.bad = true
		return nil
	}
	s := p.b[:n:n]
	p.b = p.b[n:]
	return s
}

func (p *bodyParser) list() refList {
	n := p.uvarint()
	start := p.b
	if n > uint64(len(p.b)) { // each entry takes at least one byte
		p.bad = true
	}
	for range n {
		if p.string(); p.bad {
			return refList{}
		}
	}
	return refList{n: int(n), enc: start[:len(start)-len(p.b)]}
}

// bodyPatients returns the patients of a body without parsing the rest, and false if
// the body is malformed up to them (parseBody then tells more).
func bodyPatients(b []byte) (refList, bool) {
	if len(b) == 0 || b[0] != bodyVersion {
		return refList{}, false
	}
	p := bodyParser{b: b[1:]}
	p.varint()
	p.varint()
	p.byte()
	for range nStrings {
		p.string()
	}
	p.list()
	l := p.list()
	return l, !p.bad
}

// next returns the first reference of the list and the rest; the list must not be empty.
// A list comes from parseBody, so it is well formed.
func (l refList) next() ([]byte, refList) {
	n, k := binary.Uvarint(l.enc)
	s := l.enc[k : k+int(n)]
	return s, refList{n: l.n - 1, enc: l.enc[k+int(n):]}
}

// contains reports whether the list holds ref.
func (l refList) contains(ref string) bool {
	for l.n > 0 {
		var s []byte
		if s, l = l.next(); string(s) == ref {
			return true
		}
	}
	return false
}

// strings returns the references as strings, nil for none.
func (l refList) strings() []string {
	if l.n == 0 {
		return nil
	}
	out := make([]string, 0, l.n)
	for l.n > 0 {
		var s []byte
		s, l = l.next()
		out = append(out, string(s))
	}
	return out
}

// event returns the Event of r.
func (r *rawBody) event() Event {
	s := func(i int) string { return string(r.str[i]) }
	return Event{
		Time: time.UnixMilli(r.time).UTC(), RequestID: s(fRequestID), ClientID: s(fClientID),
		ClientName: s(fClientName), Role: s(fRole), Purpose: s(fPurpose), Interaction: s(fInteraction),
		Type: s(fType), Query: s(fQuery), Entities: r.entities.strings(), Patients: r.patients.strings(),
		Truncated: r.truncated, Status: int(r.status), Outcome: s(fOutcome), Address: s(fAddress),
	}
}
