package search

import (
	"strings"
	"testing"

	"github.com/nimsproject/nims/fhir"
)

// Conditional interactions take the full search syntax, strictly, and nothing that only
// shapes a page.
func TestParseCriteria(t *testing.T) {
	for _, tc := range []struct {
		typ, raw string
		want     string // Encode of the query, or the start of the error
		err      bool
	}{
		{"Patient", "identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009", "identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C9000000009", false},
		{"Immunization", "patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009&vaccine-code=39114911000001105",
			"patient.identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C9000000009&vaccine-code=39114911000001105", false},
		{"Patient", "family:exact=Smith&birthdate=ge1950", "birthdate=ge1950&family%3Aexact=Smith", false},
		{"Patient", "_has:Immunization:patient:status=completed", "_has%3AImmunization%3Apatient%3Astatus=completed", false},
		{"Patient", "", "conditional interactions need at least one search parameter", true},
		{"Patient", "nonsense=1", "", true},
		{"Patient", "identifier=x&_count=1", "_count cannot be used", true},
		{"Patient", "identifier=x&_sort=family&_include=Patient:organization", "_include, _sort cannot be used", true},
		{"Patient", "identifier=%zz", "the search criteria are not a valid query string", true},
	} {
		q, err := ParseCriteria(tc.typ, tc.raw)
		if tc.err {
			if fhir.KindOf(err) != fhir.KindInvalid || !strings.Contains(diagnostics(err), tc.want) {
				t.Errorf("ParseCriteria(%s, %q) = %v, want an invalid error containing %q", tc.typ, tc.raw, err, tc.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseCriteria(%s, %q): %v", tc.typ, tc.raw, err)
			continue
		}
		if got := q.Encode().Encode(); got != tc.want {
			t.Errorf("ParseCriteria(%s, %q).Encode() = %s, want %s", tc.typ, tc.raw, got, tc.want)
		}
	}
}
