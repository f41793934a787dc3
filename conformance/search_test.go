package conformance

import (
	"slices"
	"strings"
	"testing"
)

func TestSearchParams(t *testing.T) {
	names := func(typ string) []string {
		var out []string
		for _, p := range SearchParams(typ) {
			out = append(out, p.Name)
		}
		return out
	}
	if got := names("Group"); slices.Contains(got, "characteristic-value") {
		t.Errorf("Group lists the composite characteristic-value, which Parse refuses: %v", got)
	}
	for _, tc := range []struct{ typ, name string }{
		{"Patient", "age"}, {"Patient", "ethnicity"}, {"Patient", "_id"}, {"Immunization", "-date.from"},
		{"Immunization", "-immunization.target"}, {"Encounter", "identifier"}, {"Encounter", "patient"},
	} {
		if !slices.Contains(names(tc.typ), tc.name) {
			t.Errorf("SearchParams(%s) lacks %s", tc.typ, tc.name)
		}
	}
	if got := names("Patient"); !slices.IsSorted(got) {
		t.Errorf("SearchParams(Patient) is not sorted: %v", got)
	}
	for key := range programmeDocs {
		typ, name, _ := strings.Cut(key, ".")
		found := false
		for _, p := range SearchParams(typ) {
			if p.Name == name {
				found = p.Documentation == programmeDocs[key]
			}
		}
		if !found {
			t.Errorf("programmeDocs documents %s, which is not listed with that documentation", key)
		}
	}
}

func TestSearchIncludes(t *testing.T) {
	if got := SearchIncludes("Immunization"); !slices.Contains(got, "Immunization:patient") || got[0] != "Immunization:*" {
		t.Errorf("SearchIncludes(Immunization) = %v", got)
	}
	if got := SearchRevIncludes("Patient"); !slices.Contains(got, "Immunization:patient") {
		t.Errorf("SearchRevIncludes(Patient) lacks Immunization:patient: %v", got)
	}
	if got := SearchRevIncludes("Parameters"); len(got) != 0 {
		t.Errorf("SearchRevIncludes(Parameters) = %v, want none", got)
	}
}
