package search

import "testing"

// An entry's kind is its parameter's type; for a name the table does not know, what its
// fields say; :of-type entries are tokens.
func TestEntryKind(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		e    Entry
		want ParamType
	}{
		{"Immunization", Entry{Param: "date"}, TypeDate},
		{"Immunization", Entry{Param: "patient"}, TypeReference},
		{"Patient", Entry{Param: "identifier" + OfTypeSuffix, Code: "x"}, TypeToken},
		{"Patient", Entry{Param: "gone", RefID: "p1"}, TypeReference},
		{"Patient", Entry{Param: "gone", URL: "https://x.example/a"}, TypeReference},
		{"Patient", Entry{Param: "gone", Low: 1}, TypeDate},
		{"Patient", Entry{Param: "gone", Number: 2}, TypeNumber},
		{"Patient", Entry{Param: "gone", Code: "c"}, TypeToken},
	} {
		if got := tc.e.Kind(tc.typ); got != tc.want {
			t.Errorf("%s %+v: Kind = %v, want %v", tc.typ, tc.e, got, tc.want)
		}
	}
}
