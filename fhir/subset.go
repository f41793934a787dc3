package fhir

import (
	"bytes"
	"encoding/json"
)

// The tag a server puts on a resource it returns in part, for _summary and _elements
// (https://hl7.org/fhir/R4/search.html#summary): a client must not take the resource for
// the whole record, nor update with it.
const (
	SystemObservationValue = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
	CodeSubsetted          = "SUBSETTED"
)

var subsettedTag = []byte(`{"system":"` + SystemObservationValue + `","code":"` + CodeSubsetted + `"}`)

// Subset returns the resource JSON js with only the top-level members keep accepts, and
// resourceType, id and meta always, meta.tag carrying SUBSETTED (added once). Every kept
// member, and every other member of meta, is written byte for byte and in its order.
// keep is given the member's name as decoded ("occurrenceDateTime", "_birthDate").
func Subset(js []byte, keep func(name string) bool) ([]byte, error) {
	ms, err := members(js)
	if err != nil {
		return nil, Wrap("fhir.Subset", err)
	}
	buf := bytes.NewBuffer(make([]byte, 0, len(js)))
	buf.WriteByte('{')
	sawMeta := false
	for _, m := range ms {
		raw := m.raw
		switch {
		case m.is("meta"):
			if raw, err = tagSubsetted(m.raw); err != nil {
				return nil, err
			}
			sawMeta = true
		case m.is("resourceType"), m.is("id"):
		case !keep(m.name()):
			continue
		}
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		buf.Write(m.key)
		buf.WriteByte(':')
		buf.Write(raw)
	}
	if !sawMeta {
		buf.WriteString(`,"meta":{"tag":[`)
		buf.Write(subsettedTag)
		buf.WriteString(`]}`)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// name is the member's name as decoded.
func (m member) name() string {
	if bytes.IndexByte(m.key, '\\') < 0 {
		return string(m.key[1 : len(m.key)-1])
	}
	var k string
	_ = json.Unmarshal(m.key, &k) // the document passed Decode: the key is a valid string
	return k
}

// tagSubsetted returns meta with SUBSETTED in meta.tag, its other members unchanged.
func tagSubsetted(meta []byte) ([]byte, error) {
	ms, err := members(meta)
	if err != nil {
		return nil, Errorf(KindInvalid, "structure", "meta", "meta is not a JSON object")
	}
	buf := bytes.NewBuffer(make([]byte, 0, len(meta)+len(subsettedTag)+10))
	buf.WriteByte('{')
	sawTag := false
	for i, m := range ms {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(m.key)
		buf.WriteByte(':')
		if !m.is("tag") {
			buf.Write(m.raw)
			continue
		}
		sawTag = true
		if err := appendTag(buf, m.raw); err != nil {
			return nil, err
		}
	}
	if !sawTag {
		if len(ms) > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`"tag":[`)
		buf.Write(subsettedTag)
		buf.WriteByte(']')
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// appendTag writes the tag array with SUBSETTED at its end, unless it is there already.
func appendTag(buf *bytes.Buffer, tags []byte) error {
	var codings []struct{ System, Code string }
	if err := json.Unmarshal(tags, &codings); err != nil {
		return Errorf(KindInvalid, "structure", "meta.tag", "meta.tag is not an array of Codings")
	}
	for _, c := range codings {
		if c.System == SystemObservationValue && c.Code == CodeSubsetted {
			buf.Write(tags)
			return nil
		}
	}
	end := bytes.LastIndexByte(tags, ']')
	buf.Write(tags[:end])
	if len(codings) > 0 {
		buf.WriteByte(',')
	}
	buf.Write(subsettedTag)
	buf.Write(tags[end:])
	return nil
}
