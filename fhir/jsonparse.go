package fhir

import (
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// parser reads one JSON document (RFC 8259) in a single pass, building the value tree
// Decode hands to validation and writing the compact form that is stored. It exists
// because encoding/json's token API dominated the cost of a write.
//
// Strings without escapes, member names included, are substrings of src, one copy of the
// body, so they cost no allocation of their own; the price is that any one of them keeps
// the whole copy alive (see Resource).
type parser struct {
	src    string
	pos    int       // next byte to read
	done   int       // src[:done] is accounted for in out
	out    []byte    // compact form: src without the whitespace between tokens
	buf    []byte    // scratch for strings with escapes
	elems  []any     // items of the open arrays, innermost last
	trail  []pathSeg // where the error being returned was raised, innermost first
	values int       // values read so far, bounded by MaxValues
}

// pathSeg is one step of an error's expression: a member name or an array index.
type pathSeg struct {
	key   string
	index int
	isKey bool
}

// MaxValues bounds the JSON values (objects, arrays, strings, numbers…) of one document:
// the decoded tree costs tens of bytes per value, so a body of small values within the
// byte limit (a megabyte of "0,") could otherwise cost a gigabyte. Real resources hold a
// few thousand; a large transaction Bundle a few hundred thousand.
const MaxValues = 1 << 19

// parseJSON returns the value of body, whose compact form is js. Numbers are json.Number
// with the text as written; strings are decoded. A lone UTF-16 surrogate escape decodes to
// U+FFFD, as encoding/json does: the stored text keeps the escape, so no client data is lost.
// It rejects with KindInvalid what RFC 8259 rejects, bytes that are not UTF-8 (FHIR JSON is
// UTF-8: https://hl7.org/fhir/R4/json.html), duplicate member names, nesting deeper than
// MaxDepth and anything after the value.
func parseJSON(body []byte) (v any, js []byte, err *Error) {
	p := &parser{src: string(body), out: make([]byte, 0, len(body)), elems: make([]any, 0, 16)}
	v, err = p.value(0)
	if err != nil {
		if path := p.trailPath(); path != "" {
			err.Issues[0].Expression = []string{path}
		}
		return nil, nil, err
	}
	p.space()
	if p.pos < len(p.src) {
		return nil, nil, Errorf(KindInvalid, "structure", "", "the body has data after the JSON resource")
	}
	return v, append(p.out, p.src[p.done:p.pos]...), nil
}

// space skips whitespace, copying the text before it to out.
func (p *parser) space() {
	i := p.pos
	for i < len(p.src) && isJSONSpace(p.src[i]) {
		i++
	}
	if i > p.pos {
		p.out = append(p.out, p.src[p.done:p.pos]...)
		p.pos, p.done = i, i
	}
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func (p *parser) value(depth int) (any, *Error) {
	if depth > MaxDepth {
		return nil, Errorf(KindInvalid, "structure", "", "the resource is nested more than %d levels deep", MaxDepth)
	}
	if p.values++; p.values > MaxValues {
		return nil, Errorf(KindInvalid, "too-costly", "", "the resource has more than %d JSON values", MaxValues)
	}
	p.space()
	if p.pos >= len(p.src) {
		return nil, errTruncated()
	}
	switch c := p.src[p.pos]; c {
	case '{':
		return p.object(depth)
	case '[':
		return p.array(depth)
	case '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return s, nil
	case 't', 'f', 'n':
		return p.literal()
	default:
		if c == '-' || isDigit(c) {
			return p.number()
		}
		return nil, p.syntax(p.pos, "expected a value")
	}
}

// object fills its map as it reads. The map is not pre-sized: the member count is known
// only at the '}', and collecting members to learn it cost more than the map growth it
// saved (measured over the R4 examples, whose objects mostly have under 8 members).
func (p *parser) object(depth int) (any, *Error) {
	p.pos++
	obj := map[string]any{}
	p.space()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		return obj, nil
	}
	for {
		if p.pos >= len(p.src) {
			return nil, errTruncated()
		}
		if p.src[p.pos] != '"' {
			return nil, p.syntax(p.pos, "expected a member name in double quotes")
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if _, dup := obj[key]; dup {
			p.trail = append(p.trail, pathSeg{key: key, isKey: true})
			return nil, Errorf(KindInvalid, "structure", "", "member %q appears more than once", key)
		}
		p.space()
		if p.pos >= len(p.src) {
			return nil, errTruncated()
		}
		if p.src[p.pos] != ':' {
			return nil, p.syntax(p.pos, "expected ':' after a member name")
		}
		p.pos++
		v, err := p.value(depth + 1)
		if err != nil {
			if len(p.trail) > 0 {
				p.trail = append(p.trail, pathSeg{key: key, isKey: true})
			}
			return nil, err
		}
		obj[key] = v
		p.space()
		if p.pos >= len(p.src) {
			return nil, errTruncated()
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
			p.space()
		case '}':
			p.pos++
			return obj, nil
		default:
			return nil, p.syntax(p.pos, "expected ',' or '}' after an object member")
		}
	}
}

// array collects its items on p.elems, shared by all open arrays, so that the slice in
// the tree is allocated once at its final length.
func (p *parser) array(depth int) (any, *Error) {
	p.pos++
	base := len(p.elems)
	p.space()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		return []any{}, nil
	}
	for i := 0; ; i++ {
		v, err := p.value(depth + 1)
		if err != nil {
			if len(p.trail) > 0 {
				p.trail = append(p.trail, pathSeg{index: i})
			}
			return nil, err
		}
		p.elems = append(p.elems, v)
		p.space()
		if p.pos >= len(p.src) {
			return nil, errTruncated()
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			arr := make([]any, len(p.elems)-base)
			copy(arr, p.elems[base:])
			clear(p.elems[base:])
			p.elems = p.elems[:base]
			return arr, nil
		default:
			return nil, p.syntax(p.pos, "expected ',' or ']' after an array item")
		}
	}
}

func (p *parser) literal() (any, *Error) {
	word, v := "null", any(nil)
	switch p.src[p.pos] {
	case 't':
		word, v = "true", true
	case 'f':
		word, v = "false", false
	}
	for i := 0; i < len(word); i++ {
		if p.pos+i >= len(p.src) {
			return nil, errTruncated()
		}
		if p.src[p.pos+i] != word[i] {
			return nil, p.syntax(p.pos+i, "expected true, false or null")
		}
	}
	p.pos += len(word)
	return v, nil
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and keeps its text.
func (p *parser) number() (any, *Error) {
	s, start := p.src, p.pos
	i := start
	if s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return nil, errTruncated()
	}
	switch {
	case s[i] == '0':
		i++
		if i < len(s) && isDigit(s[i]) {
			return nil, p.syntax(i, "a number has a leading zero")
		}
	case isDigit(s[i]):
		i = skipDigits(s, i)
	default:
		return nil, p.syntax(i, "expected a digit in a number")
	}
	if i < len(s) && s[i] == '.' {
		if i++; i >= len(s) {
			return nil, errTruncated()
		}
		if !isDigit(s[i]) {
			return nil, p.syntax(i, "expected a digit in a number")
		}
		i = skipDigits(s, i)
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		if i++; i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) {
			return nil, errTruncated()
		}
		if !isDigit(s[i]) {
			return nil, p.syntax(i, "expected a digit in a number")
		}
		i = skipDigits(s, i)
	}
	p.pos = i
	return json.Number(s[start:i]), nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func skipDigits(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

func errTruncated() *Error {
	return Errorf(KindInvalid, "structure", "", "the body ends before the JSON is complete")
}

// syntax reports a grammar error at byte offset i. what is a constant of ours, so the
// loggable details keep it; positions count bytes from 1.
func (p *parser) syntax(i int, what string) *Error {
	e := Errorf(KindInvalid, "structure", "", "the body is not valid JSON: %s (at byte %d)", what, i+1)
	e.Details = "the body is not valid JSON: " + what
	return e
}

// trailPath renders p.trail as Decode has always named a member, a.b[0].c; "" when the
// error has no place.
func (p *parser) trailPath() string {
	path := ""
	for i := len(p.trail) - 1; i >= 0; i-- {
		if seg := p.trail[i]; seg.isKey {
			path = joinPath(path, seg.key)
		} else {
			path += "[" + strconv.Itoa(seg.index) + "]"
		}
	}
	return path
}

// str reads a string starting at its opening quote. Without escapes the result is a
// substring of src; otherwise it is decoded into p.buf and copied once.
func (p *parser) str() (string, *Error) {
	s := p.src
	start := p.pos + 1
	b, plain := p.buf[:0], true
	run := start // once an escape is seen, b holds the text decoded up to s[run]
	for i := start; i < len(s); {
		switch c := s[i]; {
		case c == '"':
			p.pos = i + 1
			if plain {
				return s[start:i], nil
			}
			p.buf = append(b, s[run:i]...)
			return string(p.buf), nil
		case c == '\\':
			var err *Error
			if b, i, err = p.escape(append(b, s[run:i]...), i); err != nil {
				return "", err
			}
			run, plain = i, false
		case c < 0x20:
			return "", p.syntax(i, "a string contains an unescaped control character")
		case c < utf8.RuneSelf:
			i++
		default:
			n, err := p.utf8Seq(i)
			if err != nil {
				return "", err
			}
			i += n
		}
	}
	return "", errTruncated()
}

// escape decodes the escape sequence whose backslash is at s[i], appending to b, and
// returns the offset after it.
func (p *parser) escape(b []byte, i int) ([]byte, int, *Error) {
	s := p.src
	if i+1 >= len(s) {
		return nil, 0, errTruncated()
	}
	switch c := s[i+1]; c {
	case '"', '\\', '/':
		return append(b, c), i + 2, nil
	case 'b':
		return append(b, '\b'), i + 2, nil
	case 'f':
		return append(b, '\f'), i + 2, nil
	case 'n':
		return append(b, '\n'), i + 2, nil
	case 'r':
		return append(b, '\r'), i + 2, nil
	case 't':
		return append(b, '\t'), i + 2, nil
	case 'u':
		r, err := p.hex4(i + 2)
		if err != nil {
			return nil, 0, err
		}
		i += 6
		if utf16.IsSurrogate(r) {
			// A high surrogate pairs with a following \u low surrogate; anything else is
			// a lone surrogate and becomes U+FFFD, leaving what follows to be read anew.
			pair := utf8.RuneError
			if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
				if r2, err := p.hex4(i + 2); err == nil {
					pair = utf16.DecodeRune(r, r2)
				}
			}
			if r = pair; r != utf8.RuneError {
				i += 6
			}
		}
		return utf8.AppendRune(b, r), i, nil
	}
	return nil, 0, p.syntax(i+1, "a string contains an invalid escape")
}

// hex4 reads the four hex digits of a \u escape at s[i:].
func (p *parser) hex4(i int) (rune, *Error) {
	var r rune
	for j := i; j < i+4; j++ {
		if j >= len(p.src) {
			return 0, errTruncated()
		}
		c := p.src[j]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, p.syntax(j, "a string contains an invalid escape")
		}
		r = r<<4 | rune(c)
	}
	return r, nil
}

// utf8Seq checks the multi-byte UTF-8 sequence at s[i] and returns its length.
func (p *parser) utf8Seq(i int) (int, *Error) {
	r, n := utf8.DecodeRuneInString(p.src[i:])
	if r == utf8.RuneError && n == 1 {
		return 0, Errorf(KindInvalid, "structure", "", "the body is not valid UTF-8 (at byte %d); FHIR JSON must be UTF-8", i+1)
	}
	return n, nil
}
