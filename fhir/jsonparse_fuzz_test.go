package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzJSONParse holds parseJSON and Decode to encoding/json: they accept exactly the
// documents encoding/json reads that are also UTF-8, free of duplicate member names and
// within MaxDepth, and build the same tree and the same compact bytes.
func FuzzJSONParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "r4-examples", "*.json"))
	local, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, file := range append(files, local...) {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		``, ` `, `{}`, `[]`, `null`, `-0.0e+0`, `{"resourceType":"Patient","id":"x"}`,
		`{"resourceType":"P\u0061tient","id":"\ud83d\ude00","a":[1,-2.50,3e4,true,false,null,{},[]]}`,
		`{"a":1,"\u0061":2}`, `{"\ud800":1,"\udbff":2}`, `["\ud800\ud800\udc00","\udc00\ud800x","\ud800\u0041"]`,
		`["\"\\\/\b\f\n\r\t\u0000\u001f\u007f"]`, "[\"é😀\u2028\x7f\"]", "[\"\xff\"]", "[\"\xed\xa0\x80\"]",
		"{\n\t\"a\" :\r\n [ 1 , 2 ] }\n", `{"a":01}`, `{"a":1.}`, `{"a":"\u12G4"}`, "[\"a\tb\"]",
		`{"a":{"b":{"c":{"d":[[[[[[[[[[1]]]]]]]]]]}}}}`, `{} {}`, `{"a":1,}`, `[1,]`, `tru`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		want, wantOK := stdParse(body)
		v, js, perr := parseJSON(body)
		if (perr == nil) != wantOK {
			t.Fatalf("parseJSON(%q) error = %v, want accepted = %v", body, perr, wantOK)
		}
		r, err := Decode(body)
		if perr != nil {
			if r != nil || err == nil {
				t.Fatalf("Decode(%q) = %v, %v after parseJSON failed", body, r, err)
			}
			fuzzCheckInvalid(t, perr)
			return
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, body); err != nil {
			t.Fatalf("json.Compact(%q) = %v", body, err)
		}
		if !reflect.DeepEqual(v, want) {
			t.Fatalf("parseJSON(%q) = %#v, encoding/json reads %#v", body, v, want)
		}
		if !bytes.Equal(js, compact.Bytes()) {
			t.Fatalf("parseJSON(%q) compact = %q, json.Compact gives %q", body, js, compact.Bytes())
		}
		obj, _ := v.(map[string]any)
		rt, _ := obj["resourceType"].(string)
		if rt == "" {
			if err == nil {
				t.Fatalf("Decode(%q) accepted a body that is not a resource", body)
			}
			fuzzCheckInvalid(t, err)
			return
		}
		if err != nil {
			t.Fatalf("Decode(%q) = %v", body, err)
		}
		id, _ := obj["id"].(string)
		if r.Type != rt || r.ID != id || !bytes.Equal(r.JSON, js) || !reflect.DeepEqual(r.Object, obj) {
			t.Fatalf("Decode(%q) = %+v, differs from parseJSON", body, r)
		}
	})
}

func fuzzCheckInvalid(t *testing.T, err error) {
	t.Helper()
	var fe *Error
	if !errors.As(err, &fe) || fe.Kind != KindInvalid || len(fe.Issues) != 1 || fe.Issues[0].Code != "structure" {
		t.Fatalf("error = %#v, want one invalid/structure issue", err)
	}
}

// stdParse is the specification parseJSON is fuzzed against: encoding/json's reading of
// body, and whether FHIR accepts it.
func stdParse(body []byte) (any, bool) {
	if !json.Valid(body) || !utf8.Valid(body) || stdDuplicates(body) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return v, stdDepth(v) <= MaxDepth
}

// stdDuplicates reports whether an object in body (valid JSON) names a member twice,
// comparing names as encoding/json decodes them.
func stdDuplicates(body []byte) bool {
	type frame struct {
		names   map[string]bool // nil for an array
		nameDue bool
	}
	var stack []frame
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if name, ok := tok.(string); ok && top != nil && top.names != nil && top.nameDue {
			if top.names[name] {
				return true
			}
			top.names[name], top.nameDue = true, false
			continue
		}
		switch tok {
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			continue
		}
		if top != nil {
			top.nameDue = true // this token starts a value; a name comes after it
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{names: map[string]bool{}, nameDue: true})
		case json.Delim('['):
			stack = append(stack, frame{})
		}
	}
}

// stdDepth is the depth of the deepest value in v, v itself being at depth 0.
func stdDepth(v any) int {
	d := 0
	switch x := v.(type) {
	case map[string]any:
		for _, c := range x {
			d = max(d, 1+stdDepth(c))
		}
	case []any:
		for _, c := range x {
			d = max(d, 1+stdDepth(c))
		}
	}
	return d
}
