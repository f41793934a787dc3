package mongo

import (
	"encoding/base64"
	"testing"
)

// A cursor continues only the query that issued it, and only by its paging.
func TestSearchCursor(t *testing.T) {
	keyset := &DB{opts: Options{Paging: PagingKeyset}}
	byID := parseTest(t, "Patient", "family=smith&_count=2")
	sorted := parseTest(t, "Patient", "family=smith&_sort=birthdate")
	for _, tc := range []struct {
		c searchCursor
		q string
	}{
		{searchCursor{kind: cursorByID, text: "pat-001", total: -1}, "family=smith"},
		{searchCursor{kind: cursorByID, text: "pat-001", total: 0}, "family=smith"},
		{searchCursor{kind: cursorList, text: "0123abcd", offset: 1000, total: 12345}, "family=smith&_sort=birthdate"},
		{searchCursor{kind: cursorByID, text: "pat-001", total: 3}, "family=smith&_sort=_id"},
	} {
		q := parseTest(t, "Patient", tc.q)
		s := encodeSearchCursor(tc.c, q)
		got, ok := decodeSearchCursor(s, q, keyset.pagingOf(q))
		if !ok || got != tc.c {
			t.Errorf("round trip of %+v: %+v, %v", tc.c, got, ok)
		}
		// The page size and the includes may change from page to page.
		other := parseTest(t, "Patient", tc.q+"&_count=9&_include=Patient:general-practitioner")
		if _, ok := decodeSearchCursor(s, other, keyset.pagingOf(other)); !ok {
			t.Errorf("%+v is refused for the same search with another page size", tc.c)
		}
		b, _ := base64.RawURLEncoding.DecodeString(s)
		b[len(b)/2] ^= 1
		if _, ok := decodeSearchCursor(base64.RawURLEncoding.EncodeToString(b), q, keyset.pagingOf(q)); ok {
			t.Errorf("a damaged cursor is accepted")
		}
	}
	s := encodeSearchCursor(searchCursor{kind: cursorByID, text: "pat-001", total: -1}, byID)
	jones := parseTest(t, "Patient", "family=jones")
	if _, ok := decodeSearchCursor(s, jones, keyset.pagingOf(jones)); ok {
		t.Error("a cursor continues another query")
	}
	if _, ok := decodeSearchCursor(s, sorted, keyset.pagingOf(sorted)); ok {
		t.Error("a cursor continues the same filters in another order")
	}
	list := &DB{opts: Options{Paging: PagingList}}
	if _, ok := decodeSearchCursor(s, byID, list.pagingOf(byID)); ok {
		t.Error("a keyset cursor is taken where searches in id order page by a list")
	}
	for _, bad := range []string{"", "x", "!!!", base64.RawURLEncoding.EncodeToString([]byte{1, 1, 0, 0, 0, 0, 0, 0, 0})} {
		if _, ok := decodeSearchCursor(bad, byID, cursorByID); ok {
			t.Errorf("cursor %q accepted", bad)
		}
	}
}
