package fhir

import (
	"slices"
	"testing"
)

// The table of reference/nhs-england.md §1.7, written out again so that a slip in either
// copy shows.
var wantVaccineTypes = map[string][]string{
	"3IN1":         {"398102009", "397430003", "76902006"},
	"4IN1":         {"398102009", "397430003", "27836007", "76902006"},
	"6IN1":         {"398102009", "397430003", "709410003", "27836007", "76902006", "66071002"},
	"BCG":          {"56717001"},
	"COVID":        {"840539006"},
	"FLU":          {"6142004"},
	"HEPB":         {"66071002"},
	"HIB":          {"709410003"},
	"HIBMENC":      {"709410003", "23511006"},
	"HPV":          {"240532009"},
	"MENACWY":      {"23511006"},
	"MENB":         {"1354584007"},
	"MMR":          {"14189004", "36989005", "36653000"},
	"MMRV":         {"14189004", "36989005", "36653000", "38907003"},
	"PNEUMOCOCCAL": {"16814004"},
	"PERTUSSIS":    {"27836007"},
	"ROTAVIRUS":    {"186150001"},
	"RSV":          {"55735004"},
	"SHINGLES":     {"4740000"},
}

func TestVaccineTypeOf(t *testing.T) {
	for typ, codes := range wantVaccineTypes {
		t.Run(typ, func(t *testing.T) {
			if got, ok := VaccineTypeOf(codes); !ok || got != typ {
				t.Errorf("VaccineTypeOf(%q) = %q, %v, want %q", codes, got, ok, typ)
			}
			reversed := slices.Clone(codes)
			slices.Reverse(reversed)
			if got, ok := VaccineTypeOf(reversed); !ok || got != typ {
				t.Errorf("VaccineTypeOf(%q) = %q, %v, want %q", reversed, got, ok, typ)
			}
			if got := DiseasesOf(typ); !slices.Equal(got, nhsSorted(codes)) {
				t.Errorf("DiseasesOf(%q) = %q, want %q", typ, got, nhsSorted(codes))
			}
			for _, code := range codes {
				if !ValidSNOMEDCode(code) {
					t.Errorf("disease %s of %s is not a valid SNOMED concept id", code, typ)
				}
				if DiseaseName(code) == "" {
					t.Errorf("DiseaseName(%q) = \"\"", code)
				}
				if !slices.Contains(VaccineTypesProtectingAgainst(code), typ) {
					t.Errorf("VaccineTypesProtectingAgainst(%q) = %q, want it to include %s", code, VaccineTypesProtectingAgainst(code), typ)
				}
			}
		})
	}
}

func TestVaccineTypeOfExactSet(t *testing.T) {
	tests := []struct {
		name  string
		codes []string
		want  string
	}{
		{"MMRV, not MMR", []string{"38907003", "36653000", "14189004", "36989005"}, "MMRV"},
		{"MMR, not MMRV", []string{"36653000", "14189004", "36989005"}, "MMR"},
		{"measles alone", []string{"14189004"}, ""},
		{"6IN1 in any order", []string{"66071002", "76902006", "27836007", "709410003", "397430003", "398102009"}, "6IN1"},
		{"6IN1 shuffled", []string{"27836007", "398102009", "66071002", "397430003", "76902006", "709410003"}, "6IN1"},
		{"6IN1 less hepatitis B", []string{"27836007", "398102009", "397430003", "76902006", "709410003"}, ""},
		{"COVID and flu together", []string{"840539006", "6142004"}, ""},
		{"a disease repeated", []string{"840539006", "840539006"}, ""},
		{"none", nil, ""},
		{"unknown code", []string{"INVALID"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := VaccineTypeOf(tc.codes)
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("VaccineTypeOf(%q) = %q, %v, want %q", tc.codes, got, ok, tc.want)
			}
		})
	}
	input := []string{"36989005", "14189004", "36653000"}
	VaccineTypeOf(input)
	if !slices.Equal(input, []string{"36989005", "14189004", "36653000"}) {
		t.Errorf("VaccineTypeOf reordered its argument: %q", input)
	}
}

func TestVaccineTypes(t *testing.T) {
	want := []string{"3IN1", "4IN1", "6IN1", "BCG", "COVID", "FLU", "HEPB", "HIB", "HIBMENC", "HPV",
		"MENACWY", "MENB", "MMR", "MMRV", "PERTUSSIS", "PNEUMOCOCCAL", "ROTAVIRUS", "RSV", "SHINGLES"}
	got := VaccineTypes()
	if !slices.Equal(got, want) {
		t.Errorf("VaccineTypes() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if VaccineTypes()[0] != "3IN1" {
		t.Error("VaccineTypes() shares its slice with the caller")
	}
	if DiseasesOf("FLu") != nil || DiseasesOf("COVID19") != nil {
		t.Error("DiseasesOf accepts a vaccine type that is not one (types are case-sensitive; COVID19 is the old name)")
	}
}

func TestVaccineTypesProtectingAgainst(t *testing.T) {
	tests := []struct {
		code string
		want []string
	}{
		{"14189004", []string{"MMR", "MMRV"}},               // measles
		{"38907003", []string{"MMRV"}},                      // varicella
		{"27836007", []string{"4IN1", "6IN1", "PERTUSSIS"}}, // pertussis
		{"709410003", []string{"6IN1", "HIB", "HIBMENC"}},   // Hib
		{"66071002", []string{"6IN1", "HEPB"}},              // hepatitis B
		{"23511006", []string{"HIBMENC", "MENACWY"}},        // meningococcal
		{"398102009", []string{"3IN1", "4IN1", "6IN1"}},     // polio
		{"840539006", []string{"COVID"}},
		{"1354584007", []string{"MENB"}},
		{"999999999", nil},
	}
	for _, tc := range tests {
		if got := VaccineTypesProtectingAgainst(tc.code); !slices.Equal(got, tc.want) {
			t.Errorf("VaccineTypesProtectingAgainst(%q) = %q, want %q", tc.code, got, tc.want)
		}
	}
}

func nhsSorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
