package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// MaxDepth bounds the nesting of a resource's JSON. Real resources stay well under 30;
// the bound keeps a hostile body from exhausting the stack of the recursive walkers.
const MaxDepth = 100

// Resource is a FHIR resource as a client sent it. JSON is the compact form of the
// client's bytes, members in the order received, numbers exactly as written: this is
// what is stored and served back. Object is the same document decoded (numbers as
// json.Number) for validation and index extraction; it is never encoded back. The strings
// in Object, Type and ID share one copy of the body: code that keeps one of them after the
// request should strings.Clone it rather than pin the whole body.
type Resource struct {
	Type   string
	ID     string
	JSON   []byte
	Object map[string]any
}

// Decode reads one JSON object that is a FHIR resource. It rejects what the JSON
// grammar allows but FHIR JSON does not: bytes that are not UTF-8, duplicate member names,
// a missing or non-string resourceType, trailing data, excessive nesting. Errors are
// KindInvalid.
func Decode(body []byte) (*Resource, error) {
	v, js, err := parseJSON(body)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, Errorf(KindInvalid, "structure", "", "the body is not a JSON object")
	}
	rt, ok := obj["resourceType"].(string)
	if !ok || rt == "" {
		return nil, Errorf(KindInvalid, "structure", "resourceType", "the resource has no resourceType")
	}
	r := &Resource{Type: rt, JSON: js, Object: obj}
	if id, ok := obj["id"].(string); ok {
		r.ID = id
	}
	return r, nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// FormatInstant renders t as a FHIR instant, UTC, millisecond precision. Stores truncate
// their clocks to the millisecond so that what is shown is exactly what is compared.
func FormatInstant(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// member is one top-level member of a JSON object: its key exactly as written (with
// quotes) and its value's bytes.
type member struct {
	key, raw []byte
}

func (m member) is(name string) bool {
	if bytes.IndexByte(m.key, '\\') >= 0 { // an escaped name: compare what it decodes to
		var k string
		return json.Unmarshal(m.key, &k) == nil && k == name
	}
	return len(m.key) == len(name)+2 && string(m.key[1:len(m.key)-1]) == name
}

// members splits a JSON object into its top-level members, in order, without decoding
// them: Stamp runs on the store's single writer, where the token API was a fifth of the
// time per write. The input has passed Decode, so it is valid JSON.
func members(obj []byte) ([]member, error) {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil, errors.New("not a JSON object")
	}
	ms := make([]member, 0, 16)
	i = skipSpace(obj, i+1)
	for i < len(obj) && obj[i] != '}' {
		if obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
		kend := skipValue(obj, i)
		colon := skipSpace(obj, kend)
		if colon >= len(obj) || obj[colon] != ':' {
			return nil, errors.New("malformed JSON object")
		}
		vstart := skipSpace(obj, colon+1)
		vend := skipValue(obj, vstart)
		if vend > len(obj) || vend <= vstart {
			return nil, errors.New("malformed JSON object")
		}
		ms = append(ms, member{key: obj[i:kend], raw: obj[vstart:vend]})
		i = skipSpace(obj, vend)
	}
	if i >= len(obj) {
		return nil, errors.New("unterminated JSON object")
	}
	return ms, nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just after the JSON value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return len(b) + 1
	}
	switch b[i] {
	case '"':
		for i++; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return len(b) + 1
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipValue(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(b) + 1
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\t' && b[i] != '\r' {
		i++
	}
	return i
}

// Stamp returns the resource JSON with id, meta.versionId and meta.lastUpdated set by the
// server. Every other member, including the rest of meta (profile, security, tag, source),
// is kept byte for byte. resourceType, id and meta are written first, as FHIR shows them.
func Stamp(js []byte, id string, version int64, lastUpdated time.Time) ([]byte, error) {
	ms, err := members(js)
	if err != nil {
		return nil, Wrap("fhir.Stamp", err)
	}
	var metaRest []member
	buf := bytes.NewBuffer(make([]byte, 0, len(js)+96))
	buf.WriteByte('{')
	for _, m := range ms {
		switch {
		case m.is("resourceType"):
			buf.WriteString(`"resourceType":`)
			buf.Write(m.raw)
		case m.is("meta"):
			if metaRest, err = members(m.raw); err != nil {
				return nil, Errorf(KindInvalid, "structure", "meta", "meta is not a JSON object")
			}
		}
	}
	buf.WriteString(`,"id":`)
	writeJSONString(buf, id)
	buf.WriteString(`,"meta":{"versionId":"`)
	buf.WriteString(strconv.FormatInt(version, 10))
	buf.WriteString(`","lastUpdated":"`)
	buf.WriteString(FormatInstant(lastUpdated))
	buf.WriteByte('"')
	writeMembers(buf, metaRest, "versionId", "lastUpdated")
	buf.WriteByte('}')
	writeMembers(buf, ms, "resourceType", "id", "meta")
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// writeMembers writes ",key:value" for each member not named in skip.
func writeMembers(buf *bytes.Buffer, ms []member, skip ...string) {
next:
	for _, m := range ms {
		for _, s := range skip {
			if m.is(s) {
				continue next
			}
		}
		buf.WriteByte(',')
		buf.Write(m.key)
		buf.WriteByte(':')
		buf.Write(m.raw)
	}
}

func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s)
	buf.Write(b)
}
