package sqlite

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// A search cursor carries its sort values exactly, and is refused for another query or
// when altered.
func TestSearchCursor(t *testing.T) {
	q := parseQuery(t, "Patient", "family=smith&_sort=-birthdate,given,address-postalcode")
	c := searchCursor{keys: []any{int64(-1228003200000), "ada", nil}, id: "pat-1", seq: 12345}
	s := encodeSearchCursor(c, q)
	got, ok := decodeSearchCursor(s, q)
	if !ok || !reflect.DeepEqual(got, c) {
		t.Fatalf("decode(encode(%+v)) = %+v, %v", c, got, ok)
	}
	q2 := parseQuery(t, "Patient", "_count=7&family=smith&_sort=-birthdate,given,address-postalcode&_total=accurate")
	if _, ok := decodeSearchCursor(s, q2); !ok {
		t.Errorf("a cursor is refused when only the page size or _total changes")
	}
	other := parseQuery(t, "Patient", "family=jones&_sort=-birthdate,given,address-postalcode")
	if _, ok := decodeSearchCursor(s, other); ok {
		t.Errorf("a cursor of family=smith continues family=jones")
	}
	for i := range len(s) {
		b := []byte(s)
		b[i] = "AB"[strings.IndexByte("A", b[i])+1] // any other base64url letter
		if got, ok := decodeSearchCursor(string(b), q); ok {
			t.Errorf("cursor altered at %d decodes to %+v", i, got)
		}
	}
	f := parseQuery(t, "Patient", "_sort=birthdate") // no number parameter is in the table yet
	fc := searchCursor{keys: []any{2.5}, id: "o", seq: 1}
	if got, ok := decodeSearchCursor(encodeSearchCursor(fc, f), f); !ok || !reflect.DeepEqual(got, fc) {
		t.Errorf("a real sort value does not round-trip: %+v, %v", got, ok)
	}
}

// uriAncestors lists exactly the uris that a value is at or below by path segments.
func TestURIAncestors(t *testing.T) {
	got := uriAncestors("http://a/fhir/ValueSet/1")
	slices.Sort(got)
	got = slices.Compact(got)
	want := []string{"http:", "http:/", "http://", "http://a", "http://a/", "http://a/fhir", "http://a/fhir/", "http://a/fhir/ValueSet",
		"http://a/fhir/ValueSet/", "http://a/fhir/ValueSet/1"}
	if !slices.Equal(got, want) {
		t.Errorf("uriAncestors = %q, want %q", got, want)
	}
}
