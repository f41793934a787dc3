package fhir

import (
	"bytes"
	"encoding/json"
)

// RewriteReferences returns js with the value of every "reference" member, at any depth,
// that f maps to a new value replaced by it, and every other byte as it was (a client's
// JSON stays lossless). changed says whether anything was replaced. js must be valid JSON,
// as Decode accepts it. Transactions use it to turn urn:uuid: and conditional references
// into the ids they resolve to.
func RewriteReferences(js []byte, f func(ref string) (string, bool)) (out []byte, changed bool, err error) {
	var b bytes.Buffer
	last := 0 // js[last:] is not yet copied
	for i := 0; i < len(js); i++ {
		if js[i] != '"' {
			continue
		}
		end := stringEnd(js, i)
		if end < 0 {
			return nil, false, Errorf(KindInvalid, "invalid", "", "the JSON has an unterminated string")
		}
		j := skipSpace(js, end)
		if j >= len(js) || js[j] != ':' || !isKey(js[i:end], "reference") {
			i = end - 1
			continue
		}
		v := skipSpace(js, j+1)
		if v >= len(js) || js[v] != '"' {
			i = j
			continue
		}
		vend := stringEnd(js, v)
		if vend < 0 {
			return nil, false, Errorf(KindInvalid, "invalid", "", "the JSON has an unterminated string")
		}
		var ref string
		if err := json.Unmarshal(js[v:vend], &ref); err != nil {
			return nil, false, Errorf(KindInvalid, "invalid", "", "a reference is not a valid JSON string")
		}
		if repl, ok := f(ref); ok && repl != ref {
			enc, err := marshalString(repl)
			if err != nil {
				return nil, false, err
			}
			b.Write(js[last:v])
			b.Write(enc)
			last, changed = vend, true
		}
		i = vend - 1
	}
	if !changed {
		return js, false, nil
	}
	b.Write(js[last:])
	return b.Bytes(), true, nil
}

// stringEnd returns the index just past the JSON string starting at js[i] ('"'), or -1.
func stringEnd(js []byte, i int) int {
	for k := i + 1; k < len(js); k++ {
		switch js[k] {
		case '\\':
			k++
		case '"':
			return k + 1
		}
	}
	return -1
}

// isKey reports whether the JSON string token tok decodes to name.
func isKey(tok []byte, name string) bool {
	if len(tok) == len(name)+2 && string(tok[1:len(tok)-1]) == name {
		return true
	}
	if !bytes.Contains(tok, []byte{'\\'}) {
		return false
	}
	var s string
	return json.Unmarshal(tok, &s) == nil && s == name
}

// marshalString encodes s as a JSON string without HTML escaping.
func marshalString(s string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, Wrap("fhir.RewriteReferences", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
