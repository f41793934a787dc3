package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"time"
)

// MaxDepth bounds the nesting of a resource's JSON. Real resources stay well under 30;
// the bound keeps a hostile body from exhausting the stack of the recursive walkers.
const MaxDepth = 100

// Resource is a FHIR resource as a client sent it. JSON is the compact form of the
// client's bytes, members in the order received, numbers exactly as written: this is
// what is stored and served back. Object is the same document decoded (numbers as
// json.Number) for validation and index extraction; it is never encoded back.
type Resource struct {
	Type   string
	ID     string
	JSON   []byte
	Object map[string]any
}

// Decode reads one JSON object that is a FHIR resource. It rejects what the JSON
// grammar allows but FHIR JSON does not: duplicate member names, a missing or non-string
// resourceType, trailing data, excessive nesting. Errors are KindInvalid.
func Decode(body []byte) (*Resource, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	v, err := decodeValue(dec, 0, "")
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, Errorf(KindInvalid, "structure", "", "the body has data after the JSON resource")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, Errorf(KindInvalid, "structure", "", "the body is not a JSON object")
	}
	rt, ok := obj["resourceType"].(string)
	if !ok || rt == "" {
		return nil, Errorf(KindInvalid, "structure", "resourceType", "the resource has no resourceType")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, body); err != nil {
		return nil, Errorf(KindInvalid, "structure", "", "the body is not valid JSON")
	}
	r := &Resource{Type: rt, JSON: buf.Bytes(), Object: obj}
	if id, ok := obj["id"].(string); ok {
		r.ID = id
	}
	return r, nil
}

func decodeValue(dec *json.Decoder, depth int, path string) (any, error) {
	if depth > MaxDepth {
		return nil, Errorf(KindInvalid, "structure", "", "the resource is nested more than %d levels deep", MaxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonSyntax(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, jsonSyntax(err)
				}
				key, _ := kt.(string)
				if _, dup := obj[key]; dup {
					return nil, Errorf(KindInvalid, "structure", joinPath(path, key), "member %q appears more than once", key)
				}
				v, err := decodeValue(dec, depth+1, joinPath(path, key))
				if err != nil {
					return nil, err
				}
				obj[key] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, jsonSyntax(err)
			}
			return obj, nil
		case '[':
			arr := []any{}
			for i := 0; dec.More(); i++ {
				v, err := decodeValue(dec, depth+1, path+"["+strconv.Itoa(i)+"]")
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, jsonSyntax(err)
			}
			return arr, nil
		}
		return nil, Errorf(KindInvalid, "structure", "", "the body is not valid JSON")
	default:
		return t, nil
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func jsonSyntax(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return Errorf(KindInvalid, "structure", "", "the body is not valid JSON (at byte %d)", se.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return Errorf(KindInvalid, "structure", "", "the body ends before the JSON is complete")
	}
	return Errorf(KindInvalid, "structure", "", "the body is not valid JSON")
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
