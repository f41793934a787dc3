package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

type jsonObj = map[string]any
type jsonArr = []any

func TestParseJSONValid(t *testing.T) {
	// The innermost array is at depth MaxDepth, counting the outermost as 0.
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	deepWant := any(jsonArr{})
	for range MaxDepth {
		deepWant = jsonArr{deepWant}
	}
	for _, tc := range []struct {
		name, in string
		want     any
		compact  string // "" when the input is already compact
	}{
		{"resource", `{"resourceType":"Patient","id":"p1"}`, jsonObj{"resourceType": "Patient", "id": "p1"}, ""},
		{"whitespace", " \t\r\n{ \"a\" : [ 1 , true ,\n\tnull ] , \"b\" : { } }\n ",
			jsonObj{"a": jsonArr{json.Number("1"), true, nil}, "b": jsonObj{}}, `{"a":[1,true,null],"b":{}}`},
		{"space kept in strings", `{ "a b" : " x  y " }`, jsonObj{"a b": " x  y "}, `{"a b":" x  y "}`},
		{"scalars", `[true,false,null,"",[],{}]`, jsonArr{true, false, nil, "", jsonArr{}, jsonObj{}}, ""},
		{"numbers as written", `[0,-0,0.50,1e10,1E+2,-1.5e-3,12345678901234567890123,1.0]`, jsonArr{
			json.Number("0"), json.Number("-0"), json.Number("0.50"), json.Number("1e10"), json.Number("1E+2"),
			json.Number("-1.5e-3"), json.Number("12345678901234567890123"), json.Number("1.0")}, ""},
		{"number at top level", `42`, json.Number("42"), ""},
		{"short escapes", `["\"\\\/\b\f\n\r\t"]`, jsonArr{"\"\\/\b\f\n\r\t"}, ""},
		{"unicode escapes", `["\u0061\u00e9\u20AC","x\u0000y"]`, jsonArr{"aé€", "x\x00y"}, ""},
		{"surrogate pair", `["\ud83d\ude00"]`, jsonArr{"😀"}, ""},
		{"lone high surrogate", `["\ud800"]`, jsonArr{"\ufffd"}, ""},
		{"lone low surrogate", `["\udc00x"]`, jsonArr{"\ufffdx"}, ""},
		{"high surrogate then letter", `["\ud800\u0041"]`, jsonArr{"\ufffdA"}, ""},
		{"high surrogate twice then pair", `["\ud800\ud800\udc00"]`, jsonArr{"\ufffd\U00010000"}, ""},
		{"raw UTF-8", "[\"é😀\u2028\x7f\"]", jsonArr{"é😀\u2028\x7f"}, ""},
		{"escape after raw text", `["abc\ndef"]`, jsonArr{"abc\ndef"}, ""},
		{"escaped member names", `{"\u0061":1,"A":2}`, jsonObj{"a": json.Number("1"), "A": json.Number("2")}, ""},
		{"many members", `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18}`,
			jsonObj{"a": json.Number("1"), "b": json.Number("2"), "c": json.Number("3"), "d": json.Number("4"), "e": json.Number("5"),
				"f": json.Number("6"), "g": json.Number("7"), "h": json.Number("8"), "i": json.Number("9"), "j": json.Number("10"),
				"k": json.Number("11"), "l": json.Number("12"), "m": json.Number("13"), "n": json.Number("14"), "o": json.Number("15"),
				"p": json.Number("16"), "q": json.Number("17"), "r": json.Number("18")}, ""},
		{"nested", `{"a":[{"b":[[1],{"c":null}]}]}`, jsonObj{"a": jsonArr{jsonObj{"b": jsonArr{jsonArr{json.Number("1")}, jsonObj{"c": nil}}}}}, ""},
		{"deepest", deep, deepWant, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, js, err := parseJSON([]byte(tc.in))
			if err != nil {
				t.Fatalf("parseJSON(%q) error = %v", tc.in, err)
			}
			if !reflect.DeepEqual(v, tc.want) {
				t.Errorf("parseJSON(%q) = %#v, want %#v", tc.in, v, tc.want)
			}
			want := tc.compact
			if want == "" {
				want = tc.in
			}
			if string(js) != want {
				t.Errorf("parseJSON(%q) compact = %s, want %s", tc.in, js, want)
			}
			if std, stdJS := stdDecode(t, []byte(tc.in)); !reflect.DeepEqual(std, tc.want) || string(stdJS) != want {
				t.Errorf("encoding/json reads %q as %#v, %s; the test wants %#v, %s", tc.in, std, stdJS, tc.want, want)
			}
		})
	}
}

func TestDecodeInvalid(t *testing.T) {
	const notJSON = "the body is not valid JSON: "
	const truncated = "the body ends before the JSON is complete"
	for _, tc := range []struct {
		name, in, diag, expr string
	}{
		{"empty", ``, truncated, ""},
		{"only space", " \n", truncated, ""},
		{"unclosed object", `{"resourceType":"Patient"`, truncated, ""},
		{"no value", `{"a":`, truncated, ""},
		{"unclosed string", `{"a":"abc`, truncated, ""},
		{"unclosed array", `{"a":[1,2`, truncated, ""},
		{"cut escape", `{"a":"\u00`, truncated, ""},
		{"cut backslash", `{"a":"\`, truncated, ""},
		{"cut literal", `{"a":tr`, truncated, ""},
		{"cut number", `{"a":-`, truncated, ""},
		{"cut fraction", `{"a":1.`, truncated, ""},
		{"cut exponent", `{"a":1e+`, truncated, ""},
		{"duplicate", `{"a":1,"a":2}`, `member "a" appears more than once`, "a"},
		{"duplicate by escape", `{"a":1,"\u0061":2}`, `member "a" appears more than once`, "a"},
		{"duplicate nested", `{"x":[{"b":1},{"c":1,"c":[}]}`, `member "c" appears more than once`, "x[1].c"},
		{"duplicate in nested arrays", `[[{},{"a":1,"a":2}]]`, `member "a" appears more than once`, "[0][1].a"},
		{"duplicate in big object", `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"a":18}`,
			`member "a" appears more than once`, "a"},
		{"duplicate empty name", `{"y":{"":1,"":2}}`, `member "" appears more than once`, "y."},
		{"duplicate under bracket name", `{"[0]":{"a":1,"a":2}}`, `member "a" appears more than once`, "[0].a"},
		{"too deep", strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1), "the resource is nested more than 100 levels deep", ""},
		{"too deep arrays", strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2), "the resource is nested more than 100 levels deep", ""},
		{"leading zero", `{"a":01}`, notJSON + "a number has a leading zero (at byte 7)", ""},
		{"negative leading zero", `{"a":-00}`, notJSON + "a number has a leading zero (at byte 8)", ""},
		{"bare fraction", `{"a":.5}`, notJSON + "expected a value (at byte 6)", ""},
		{"plus sign", `{"a":+1}`, notJSON + "expected a value (at byte 6)", ""},
		{"minus alone", `{"a":-x}`, notJSON + "expected a digit in a number (at byte 7)", ""},
		{"empty fraction", `{"a":1.e5}`, notJSON + "expected a digit in a number (at byte 8)", ""},
		{"empty exponent", `{"a":1e}`, notJSON + "expected a digit in a number (at byte 8)", ""},
		{"hex number", `{"a":0x1}`, notJSON + "expected ',' or '}' after an object member (at byte 7)", ""},
		{"bad escape", `{"a":"\x"}`, notJSON + "a string contains an invalid escape (at byte 8)", ""},
		{"bad unicode escape", `{"a":"\u12G4"}`, notJSON + "a string contains an invalid escape (at byte 11)", ""},
		{"escaped surrogate then bad escape", `{"a":"\ud800\uZZZZ"}`, notJSON + "a string contains an invalid escape (at byte 15)", ""},
		{"raw tab", "{\"a\":\"x\ty\"}", notJSON + "a string contains an unescaped control character (at byte 8)", ""},
		{"raw newline in name", "{\"a\n\":1}", notJSON + "a string contains an unescaped control character (at byte 4)", ""},
		{"invalid byte", "{\"a\":\"\xff\"}", "the body is not valid UTF-8 (at byte 7); FHIR JSON must be UTF-8", ""},
		{"invalid byte after escape", "{\"a\":\"\\n\xff\"}", "the body is not valid UTF-8 (at byte 9); FHIR JSON must be UTF-8", ""},
		{"overlong", "{\"a\":\"\xc0\xaf\"}", "the body is not valid UTF-8 (at byte 7); FHIR JSON must be UTF-8", ""},
		{"encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", "the body is not valid UTF-8 (at byte 7); FHIR JSON must be UTF-8", ""},
		{"cut sequence", "{\"a\":\"\xe2\x82\"}", "the body is not valid UTF-8 (at byte 7); FHIR JSON must be UTF-8", ""},
		{"byte order mark", "\ufeff{}", notJSON + "expected a value (at byte 1)", ""},
		{"missing colon", `{"a" 1}`, notJSON + "expected ':' after a member name (at byte 6)", ""},
		{"missing comma", `{"a":1 "b":2}`, notJSON + "expected ',' or '}' after an object member (at byte 8)", ""},
		{"trailing comma", `{"a":1,}`, notJSON + "expected a member name in double quotes (at byte 8)", ""},
		{"trailing comma in array", `{"a":[1,]}`, notJSON + "expected a value (at byte 9)", ""},
		{"missing comma in array", `{"a":[1 2]}`, notJSON + "expected ',' or ']' after an array item (at byte 9)", ""},
		{"bare name", `{a:1}`, notJSON + "expected a member name in double quotes (at byte 2)", ""},
		{"single quotes", `{'a':1}`, notJSON + "expected a member name in double quotes (at byte 2)", ""},
		{"bad literal", `{"a":tx}`, notJSON + "expected true, false or null (at byte 7)", ""},
		{"capital literal", `{"a":True}`, notJSON + "expected a value (at byte 6)", ""},
		{"mismatched close", `{"a":[1}`, notJSON + "expected ',' or ']' after an array item (at byte 8)", ""},
		{"data after", `{"resourceType":"Patient"} x`, "the body has data after the JSON resource", ""},
		{"second object", `{"resourceType":"Patient"}{}`, "the body has data after the JSON resource", ""},
		{"array", `[{"resourceType":"Patient"}]`, "the body is not a JSON object", ""},
		{"string", `"Patient"`, "the body is not a JSON object", ""},
		{"null", `null`, "the body is not a JSON object", ""},
		{"no resourceType", `{"id":"x"}`, "the resource has no resourceType", "resourceType"},
		{"numeric resourceType", `{"resourceType":1}`, "the resource has no resourceType", "resourceType"},
		{"empty resourceType", `{"resourceType":""}`, "the resource has no resourceType", "resourceType"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Decode([]byte(tc.in))
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Decode(%q) = %v, %v; want *Error", tc.in, r, err)
			}
			if fe.Kind != KindInvalid || len(fe.Issues) != 1 || fe.Issues[0].Code != "structure" {
				t.Fatalf("Decode(%q) error = %v %+v, want one invalid/structure issue", tc.in, fe.Kind, fe.Issues)
			}
			if got := fe.Issues[0].Diagnostics; got != tc.diag {
				t.Errorf("Decode(%q) diagnostics = %q, want %q", tc.in, got, tc.diag)
			}
			var wantExpr []string
			if tc.expr != "" {
				wantExpr = []string{tc.expr}
			}
			if got := fe.Issues[0].Expression; !reflect.DeepEqual(got, wantExpr) {
				t.Errorf("Decode(%q) expression = %q, want %q", tc.in, got, wantExpr)
			}
		})
	}
}

func TestDecodeResource(t *testing.T) {
	in := "{\n  \"resourceType\": \"Patient\",\n  \"id\": \"p\\u0031\",\n  \"birthDate\": \"1970-01-01\"\n}\n"
	r, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := &Resource{Type: "Patient", ID: "p1", JSON: []byte(`{"resourceType":"Patient","id":"p\u0031","birthDate":"1970-01-01"}`),
		Object: jsonObj{"resourceType": "Patient", "id": "p1", "birthDate": "1970-01-01"}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("Decode(%q) = %+v, want %+v", in, r, want)
	}
	if r, err := Decode([]byte(`{"resourceType":"Patient","id":7}`)); err != nil || r.ID != "" {
		t.Errorf(`Decode with a numeric id = %+v, %v; want no ID, no error`, r, err)
	}
}

// TestParseJSONExamples checks every example against encoding/json: the same tree, and
// json.Compact's bytes.
func TestParseJSONExamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "r4-examples", "*.json"))
	local, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	files = append(files, local...)
	if len(files) < 50 {
		t.Fatalf("found %d example files, want at least 50", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Decode(body)
			if err != nil {
				t.Fatalf("Decode = %v", err)
			}
			want, compact := stdDecode(t, body)
			if !reflect.DeepEqual(any(r.Object), want) {
				t.Errorf("Decode tree differs from encoding/json's")
			}
			if !bytes.Equal(r.JSON, compact) {
				t.Errorf("Decode JSON = %s, want %s", r.JSON, compact)
			}
		})
	}
}

// stdDecode is what encoding/json makes of valid JSON: the tree, numbers as json.Number,
// and the compact form.
func stdDecode(t testing.TB, body []byte) (any, []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("encoding/json cannot decode %q: %v", body, err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		t.Fatalf("json.Compact(%q) = %v", body, err)
	}
	return v, compact.Bytes()
}

func BenchmarkDecodePatient(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("..", "testdata", "r4-examples", "Patient-example.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

// A body of many tiny values is refused before its tree costs gigabytes.
func TestDecodeBoundsValues(t *testing.T) {
	body := []byte(`{"resourceType":"Patient","x":[` + strings.Repeat("0,", MaxValues) + `0]}`)
	_, err := Decode(body)
	if fe, ok := err.(*Error); !ok || fe.Kind != KindInvalid || fe.Issues[0].Code != "too-costly" {
		t.Fatalf("Decode of %d values: %v, want a too-costly KindInvalid error", MaxValues+3, err)
	}
}
