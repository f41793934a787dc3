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

type member struct {
	key string
	raw json.RawMessage
}

// members splits a compact JSON object into its top-level members, in order.
func members(obj []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var ms []member
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		ms = append(ms, member{key: kt.(string), raw: raw})
	}
	return ms, nil
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
	var buf bytes.Buffer
	buf.WriteByte('{')
	for _, m := range ms {
		if m.key == "resourceType" {
			buf.WriteString(`"resourceType":`)
			buf.Write(m.raw)
		}
		if m.key == "meta" {
			if metaRest, err = members(m.raw); err != nil {
				return nil, Errorf(KindInvalid, "structure", "meta", "meta is not a JSON object")
			}
		}
	}
	buf.WriteString(`,"id":`)
	writeJSONString(&buf, id)
	buf.WriteString(`,"meta":{"versionId":"`)
	buf.WriteString(strconv.FormatInt(version, 10))
	buf.WriteString(`","lastUpdated":"`)
	buf.WriteString(FormatInstant(lastUpdated))
	buf.WriteByte('"')
	for _, m := range metaRest {
		if m.key == "versionId" || m.key == "lastUpdated" {
			continue
		}
		buf.WriteByte(',')
		writeJSONString(&buf, m.key)
		buf.WriteByte(':')
		buf.Write(m.raw)
	}
	buf.WriteByte('}')
	for _, m := range ms {
		switch m.key {
		case "resourceType", "id", "meta":
			continue
		}
		buf.WriteByte(',')
		writeJSONString(&buf, m.key)
		buf.WriteByte(':')
		buf.Write(m.raw)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s)
	buf.Write(b)
}
