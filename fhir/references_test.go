package fhir

import (
	"strings"
	"testing"
)

func TestRewriteReferences(t *testing.T) {
	m := map[string]string{"urn:uuid:1": "Patient/a", "Patient?identifier=x|1": "Patient/b"}
	f := func(ref string) (string, bool) { r, ok := m[ref]; return r, ok }
	for _, tc := range []struct{ in, want string }{
		{`{"patient":{"reference":"urn:uuid:1"}}`, `{"patient":{"reference":"Patient/a"}}`},
		{`{"patient" : { "reference" :  "urn:uuid:1" , "display":"reference"}}`, `{"patient" : { "reference" :  "Patient/a" , "display":"reference"}}`},
		{`{"a":[{"reference":"urn:uuid:1"},{"reference":"Patient?identifier=x|1"},{"reference":"Patient/z"}]}`,
			`{"a":[{"reference":"Patient/a"},{"reference":"Patient/b"},{"reference":"Patient/z"}]}`},
		{`{"note":"say \"reference\":\"urn:uuid:1\" here","reference":"urn:uuid:\u0031"}`, `{"note":"say \"reference\":\"urn:uuid:1\" here","reference":"Patient/a"}`},
		{`{"refer\u0065nce":"urn:uuid:1"}`, `{"refer\u0065nce":"Patient/a"}`},
		{`{"reference":{"reference":"urn:uuid:1"}}`, `{"reference":{"reference":"Patient/a"}}`},
		{`{"x":"\\","reference":"urn:uuid:1"}`, `{"x":"\\","reference":"Patient/a"}`},
		{`{"reference":"unchanged"}`, `{"reference":"unchanged"}`},
	} {
		got, changed, err := RewriteReferences([]byte(tc.in), f)
		if err != nil || string(got) != tc.want || changed != (tc.in != tc.want) {
			t.Errorf("RewriteReferences(%s) = %s, %v, %v; want %s", tc.in, got, changed, err, tc.want)
		}
	}
	if _, _, err := RewriteReferences([]byte(`{"reference":"unterminated`), f); err == nil {
		t.Errorf("an unterminated string was accepted")
	}
	// Replacements are JSON-escaped.
	got, _, _ := RewriteReferences([]byte(`{"reference":"urn:uuid:1"}`), func(string) (string, bool) { return `a"b<c`, true })
	if !strings.Contains(string(got), `"a\"b<c"`) {
		t.Errorf("replacement not escaped: %s", got)
	}
}
