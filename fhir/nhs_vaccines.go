package fhir

import (
	"slices"
	"strings"
)

// The vaccine types of the NHS Immunisation API and the target diseases (SNOMED CT) that
// define each, from its config/common/disease_mapping.json (reference/nhs-england.md §1.7).
// A record's vaccine type comes only from protocolApplied[0].targetDisease: never from the
// procedure or the product. Authorisation, search by -immunization.target and the storage
// keys all use the type.
var vaccineTypeTable = []struct {
	typ      string
	diseases []string
}{
	{"3IN1", []string{"398102009", "397430003", "76902006"}},
	{"4IN1", []string{"398102009", "397430003", "27836007", "76902006"}},
	{"6IN1", []string{"398102009", "397430003", "709410003", "27836007", "76902006", "66071002"}},
	{"BCG", []string{"56717001"}},
	{"COVID", []string{"840539006"}},
	{"FLU", []string{"6142004"}},
	{"HEPB", []string{"66071002"}},
	{"HIB", []string{"709410003"}},
	{"HIBMENC", []string{"709410003", "23511006"}},
	{"HPV", []string{"240532009"}},
	{"MENACWY", []string{"23511006"}},
	{"MENB", []string{"1354584007"}},
	{"MMR", []string{"14189004", "36989005", "36653000"}},
	{"MMRV", []string{"14189004", "36989005", "36653000", "38907003"}},
	{"PERTUSSIS", []string{"27836007"}},
	{"PNEUMOCOCCAL", []string{"16814004"}},
	{"ROTAVIRUS", []string{"186150001"}},
	{"RSV", []string{"55735004"}},
	{"SHINGLES", []string{"4740000"}},
}

// diseaseNames are display terms of the target diseases above, for messages and metadata.
var diseaseNames = map[string]string{
	"398102009":  "Acute poliomyelitis",
	"397430003":  "Diphtheria caused by Corynebacterium diphtheriae",
	"76902006":   "Tetanus",
	"27836007":   "Pertussis",
	"709410003":  "Haemophilus influenzae type b infection",
	"66071002":   "Type B viral hepatitis",
	"56717001":   "Tuberculosis",
	"840539006":  "Disease caused by severe acute respiratory syndrome coronavirus 2",
	"6142004":    "Influenza",
	"23511006":   "Meningococcal infectious disease",
	"240532009":  "Human papilloma virus infection",
	"1354584007": "Meningococcal infectious disease caused by Neisseria meningitidis serogroup B",
	"14189004":   "Measles",
	"36989005":   "Mumps",
	"36653000":   "Rubella",
	"38907003":   "Varicella",
	"16814004":   "Pneumococcal infectious disease",
	"186150001":  "Enteritis caused by rotavirus",
	"55735004":   "Respiratory syncytial virus infection",
	"4740000":    "Herpes zoster",
}

// vaccineTypeByKey maps the sorted disease codes, joined with ":", to the vaccine type:
// the key the NHS API looks a record's type up by.
var vaccineTypeByKey = func() map[string]string {
	m := make(map[string]string, len(vaccineTypeTable))
	for _, row := range vaccineTypeTable {
		m[diseaseKey(row.diseases)] = row.typ
	}
	return m
}()

func diseaseKey(codes []string) string {
	sorted := slices.Clone(codes)
	slices.Sort(sorted)
	return strings.Join(sorted, ":")
}

// VaccineTypeOf returns the vaccine type whose target diseases are exactly diseaseCodes,
// in any order (the NHS API's sorted-and-joined lookup). The match is exact: a subset or
// superset of a type's diseases is no type (measles alone is neither MMR nor MMRV), and a
// code repeated is not a set the NHS API recognises either.
func VaccineTypeOf(diseaseCodes []string) (string, bool) {
	t, ok := vaccineTypeByKey[diseaseKey(diseaseCodes)]
	return t, ok
}

// VaccineTypes returns every vaccine type, sorted: the values -immunization.target accepts.
func VaccineTypes() []string {
	types := make([]string, len(vaccineTypeTable))
	for i, row := range vaccineTypeTable {
		types[i] = row.typ
	}
	slices.Sort(types)
	return types
}

// DiseasesOf returns the target-disease codes of a vaccine type, sorted; nil for an
// unknown type. Types are case-sensitive, as in the NHS API ("FLu" is not a type).
func DiseasesOf(vaccType string) []string {
	for _, row := range vaccineTypeTable {
		if row.typ == vaccType {
			codes := slices.Clone(row.diseases)
			slices.Sort(codes)
			return codes
		}
	}
	return nil
}

// VaccineTypesProtectingAgainst returns the vaccine types, sorted, that include
// diseaseCode among their target diseases: what a search by target-disease matches,
// combination vaccines included (measles 14189004 gives MMR and MMRV).
func VaccineTypesProtectingAgainst(diseaseCode string) []string {
	var types []string
	for _, row := range vaccineTypeTable {
		if slices.Contains(row.diseases, diseaseCode) {
			types = append(types, row.typ)
		}
	}
	slices.Sort(types)
	return types
}

// DiseaseName returns the SNOMED CT term of a target disease the vaccine types use, or ""
// for a code outside the table.
func DiseaseName(diseaseCode string) string { return diseaseNames[diseaseCode] }
