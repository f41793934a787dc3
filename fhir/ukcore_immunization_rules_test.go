package fhir

import (
	"strings"
	"testing"
)

// One case per NHS Immunisation API rule: the testdata record with one thing wrong, and
// exactly the issues ("code expression") that must come back.
func TestUKCoreImmunizationRules(t *testing.T) {
	setNHSNow(t, nhsTestNow)
	const (
		snomedTD = `{"coding":[{"system":"http://snomed.info/sct","code":"%s"}]}`
		pat      = "Immunization.contained[1]"
	)
	td := func(code string) string { return strings.Replace(snomedTD, "%s", code, 1) }
	tests := []struct {
		name string
		edit ukEdit
		want []string
		diag string // in the first issue's diagnostics
	}{
		// Allowed elements.
		{"element the NHS API refuses", ukSet("encounter", `{"reference":"Encounter/1"}`),
			[]string{"not-supported Immunization.encounter"}, "encounter is not an allowed element of the Immunization resource for this service"},
		{"primitive extension of an allowed element", ukSet("_lotNumber", `{"id":"x"}`), nil, ""},
		{"occurrenceString", ukEdits(ukSet("occurrenceDateTime", ""), ukSet("occurrenceString", `"last week"`)),
			[]string{"not-supported Immunization.occurrenceString", "required Immunization.occurrenceDateTime"}, ""},
		{"element of the contained Patient", ukSet("contained[1].telecom", `[{"system":"phone","value":"0113 496 0000"}]`),
			[]string{"not-supported " + pat + ".telecom"}, "telecom is not an allowed element of the Patient resource for this service"},
		{"element of the contained Practitioner", ukSet("contained[0].identifier", `[{"system":"https://fhir.hl7.org.uk/Id/gmc-number","value":"C1234567"}]`),
			[]string{"not-supported Immunization.contained[0].identifier"}, "Practitioner resource"},
		// contained.
		{"no contained", ukSet("contained", ""),
			[]string{"required Immunization.contained", "invariant Immunization.performer[0].actor.reference"}, "contained is a mandatory field"},
		{"contained Organization", ukSet("contained[2]", `{"resourceType":"Organization","id":"org"}`),
			[]string{"not-supported Immunization.contained[2]"}, "contained must contain only Patient and Practitioner resources"},
		{"two Patients", ukSet("contained[2]", `{"resourceType":"Patient","id":"Pat2"}`),
			[]string{"invariant Immunization.contained"}, "contained must contain exactly one Patient resource"},
		{"two Practitioners", ukSet("contained[2]", `{"resourceType":"Practitioner","id":"Pract2"}`),
			[]string{"invariant Immunization.contained"}, "contained must contain a maximum of one Practitioner resource"},
		{"Patient without id", ukSet("contained[1].id", ""),
			[]string{"required " + pat + ".id"}, "The contained Patient resource must have an 'id' field"},
		{"duplicate contained ids", ukEdits(ukSet("contained[1].id", `"Pract1"`), ukSet("patient.reference", `"#Pract1"`)),
			[]string{"invariant " + pat + ".id"}, "ids must not be duplicated amongst contained resources"},
		// References.
		{"patient not contained", ukSet("patient.reference", `"Patient/123"`),
			[]string{"invariant Immunization.patient.reference"}, "patient.reference must be a single reference to a contained Patient resource"},
		{"patient reference to the wrong id", ukSet("patient.reference", `"#Other"`),
			[]string{"invariant Immunization.patient.reference"}, "The reference '#Other' does not match the id of the contained Patient resource"},
		{"Practitioner referenced twice", ukSet("performer[2]", `{"actor":{"reference":"#Pract1"}}`),
			[]string{"invariant Immunization.performer"}, "contained Practitioner resource id 'Pract1' must only be referenced once from performer"},
		{"Practitioner not referenced", ukSet("performer[0].actor", `{"display":"A. Okafor"}`),
			[]string{"invariant Immunization.performer"}, "contained Practitioner resource id 'Pract1' must be referenced from performer"},
		{"internal reference to something else", ukSet("performer[0].actor.reference", `"#Someone"`),
			[]string{"invariant Immunization.performer[0].actor.reference", "invariant Immunization.performer"},
			"performer must not contain any internal references other than to the contained Practitioner resource"},
		// Performing organisation.
		{"no Organization performer", ukSet("performer[1].actor.type", ""),
			[]string{"invariant Immunization.performer"}, "There must be exactly one performer.actor[?@.type=='Organization'] with type 'Organization'"},
		{"two Organization performers", ukSet("performer[2]", `{"actor":{"type":"Organization","identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RR8"}}}`),
			[]string{"invariant Immunization.performer"}, "exactly one performer.actor"},
		{"Organization without identifier value", ukSet("performer[1].actor.identifier.value", ""),
			[]string{"required Immunization.performer[1].actor.identifier.value"}, "performer[?(@.actor.type=='Organization')].actor.identifier.value is a mandatory field"},
		{"Organization with a bad ODS code", ukSet("performer[1].actor.identifier.value", `"rx809"`),
			[]string{"value Immunization.performer[1].actor.identifier.value"}, "is not a valid ODS organisation code"},
		// Business identifier.
		{"no identifier", ukSet("identifier", ""), []string{"required Immunization.identifier"}, "identifier is a mandatory field"},
		{"two identifiers", ukSet("identifier[1]", `{"system":"https://example.org","value":"2"}`),
			[]string{"invariant Immunization.identifier"}, "identifier must be an array of length 1"},
		{"identifier without system", ukSet("identifier[0].system", ""),
			[]string{"required Immunization.identifier[0].system"}, "identifier[0].system is a mandatory field"},
		// Status.
		{"entered-in-error", ukSet("status", `"entered-in-error"`),
			[]string{"value Immunization.status"}, "status must be one of the following: completed, not-done"},
		{"not-done without statusReason", ukSet("status", `"not-done"`), []string{"invariant Immunization"}, "ukcore-imm-001"},
		// Vaccination procedure extension.
		{"no procedure", ukSet("extension", ""), []string{"required Immunization.extension"}, "VaccinationProcedure')] is a mandatory field"},
		{"another extension", ukSet("extension[1]", `{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ParentPresent","valueBoolean":true}`),
			[]string{"not-supported Immunization.extension[1].url"}, "extension[1].url must be one of the following"},
		{"two procedures", ukSet("extension[1]", `{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-VaccinationProcedure","valueCodeableConcept":`+td("1324681000000101")+`}`),
			[]string{"invariant Immunization.extension"}, "must appear exactly once"},
		{"procedure without a code", ukSet("extension[0].valueCodeableConcept", `{"text":"booster"}`),
			[]string{"required Immunization.extension[0].valueCodeableConcept.coding"}, "is a mandatory field"},
		{"procedure code not SNOMED", ukSet("extension[0].valueCodeableConcept.coding[0].code", `"1362591000000104"`),
			[]string{"value Immunization.extension[0].valueCodeableConcept.coding[0].code"},
			"extension[?(@.url=='https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-VaccinationProcedure')].valueCodeableConcept.coding[?(@.system=='http://snomed.info/sct')].code is not a valid snomed code"},
		{"vaccine code not SNOMED", ukSet("vaccineCode.coding[0].code", `"43111411000001102"`),
			[]string{"value Immunization.vaccineCode.coding[0].code"}, "vaccineCode.coding[?(@.system=='http://snomed.info/sct')].code is not a valid snomed code"},
		// protocolApplied and the vaccine type.
		{"no protocolApplied", ukSet("protocolApplied", ""), []string{"required Immunization.protocolApplied"}, "targetDisease is a mandatory field"},
		{"two protocolApplied", ukSet("protocolApplied[1]", `{"targetDisease":[`+td("840539006")+`],"doseNumberPositiveInt":1}`),
			[]string{"invariant Immunization.protocolApplied"}, "protocolApplied must be an array of length 1"},
		{"no targetDisease", ukSet("protocolApplied[0].targetDisease", ""),
			[]string{"required Immunization.protocolApplied[0].targetDisease"}, "protocolApplied[0].targetDisease is a mandatory field"},
		{"targetDisease without coding", ukSet("protocolApplied[0].targetDisease[0]", `{"text":"COVID-19"}`),
			[]string{"required Immunization.protocolApplied[0].targetDisease[0]"}, "must have 'coding' property"},
		{"targetDisease with two SNOMED codings", ukSet("protocolApplied[0].targetDisease[0].coding[1]", `{"system":"http://snomed.info/sct","code":"6142004"}`),
			[]string{"invariant Immunization.protocolApplied[0].targetDisease[0].coding"}, "must contain exactly one element with a system of http://snomed.info/sct"},
		{"unknown combination", ukSet("protocolApplied[0].targetDisease[1]", td("6142004")),
			[]string{"code-invalid Immunization.protocolApplied[0].targetDisease"},
			"protocolApplied[0].targetDisease[*].coding[?(@.system=='http://snomed.info/sct')].code - ['840539006', '6142004'] is not a valid combination of disease codes for this service"},
		{"measles alone", ukSet("protocolApplied[0].targetDisease[0]", td("14189004")),
			[]string{"code-invalid Immunization.protocolApplied[0].targetDisease"}, "['14189004'] is not a valid combination"},
		{"dose number 10", ukSet("protocolApplied[0].doseNumberPositiveInt", `10`),
			[]string{"value Immunization.protocolApplied[0].doseNumberPositiveInt"}, "protocolApplied[0].doseNumberPositiveInt must be an integer in the range 1 to 9"},
		{"dose number huge", ukSet("protocolApplied[0].doseNumberPositiveInt", `123456789012345678901234567890`),
			[]string{"value Immunization.protocolApplied[0].doseNumberPositiveInt"}, "in the range 1 to 9"},
		{"dose number 0", ukSet("protocolApplied[0].doseNumberPositiveInt", `0`),
			[]string{"value Immunization.protocolApplied[0].doseNumberPositiveInt"}, "must be a positive integer"},
		{"dose number 1.5", ukSet("protocolApplied[0].doseNumberPositiveInt", `1.5`),
			[]string{"value Immunization.protocolApplied[0].doseNumberPositiveInt"}, "must be a positive integer"},
		// Site, route, dose quantity.
		{"two SNOMED sites", ukSet("site.coding[1]", `{"system":"http://snomed.info/sct","code":"368209003"}`),
			[]string{"invariant Immunization.site.coding[1]"}, "site.coding[?(@.system=='http://snomed.info/sct')] must be unique"},
		{"two SNOMED routes", ukSet("route.coding[1]", `{"system":"http://snomed.info/sct","code":"34206005"}`),
			[]string{"invariant Immunization.route.coding[1]"}, "route.coding[?(@.system=='http://snomed.info/sct')] must be unique"},
		{"dose quantity as text", ukSet("doseQuantity.value", `"0.3"`),
			[]string{"value Immunization.doseQuantity.value"}, "doseQuantity.value must be a number"},
		{"dose unit code without system", ukSet("doseQuantity.system", ""),
			[]string{"required Immunization.doseQuantity.system"}, "If doseQuantity.code is present, doseQuantity.system must also be present"},
		// Dates.
		{"no occurrenceDateTime", ukSet("occurrenceDateTime", ""),
			[]string{"required Immunization.occurrenceDateTime"}, "occurrenceDateTime is a mandatory field"},
		{"partial occurrence date", ukSet("occurrenceDateTime", `"2024-10"`),
			[]string{"value Immunization.occurrenceDateTime"}, "partial dates are not allowed"},
		{"occurrence outside the UK offsets", ukSet("occurrenceDateTime", `"2024-10-15T05:30:00-04:00"`),
			[]string{"value Immunization.occurrenceDateTime"}, "only '+00:00' and '+01:00' are accepted"},
		{"occurrence without seconds", ukSet("occurrenceDateTime", `"2024-10-15T10:30+01:00"`),
			[]string{"value Immunization.occurrenceDateTime"}, "must be a valid datetime"},
		{"occurrence tomorrow", ukSet("occurrenceDateTime", `"2025-06-02"`),
			[]string{"value Immunization.occurrenceDateTime"}, "occurrenceDateTime must not be in the future"},
		{"occurrence in an hour", ukSet("occurrenceDateTime", `"2025-06-01T14:00:00+01:00"`),
			[]string{"value Immunization.occurrenceDateTime"}, "must not be in the future"},
		{"no recorded", ukSet("recorded", ""), []string{"required Immunization.recorded"}, "recorded is a mandatory field"},
		{"recorded in the future", ukSet("recorded", `"2025-06-01T12:00:01Z"`),
			[]string{"value Immunization.recorded"}, "recorded must not be in the future"},
		{"recorded as a year", ukSet("recorded", `"2024"`), []string{"value Immunization.recorded"}, "recorded must be a valid datetime"},
		{"impossible expiry date", ukSet("expirationDate", `"2025-02-29"`),
			[]string{"value Immunization.expirationDate"}, `expirationDate must be a valid date string in the format "YYYY-MM-DD"`},
		// Other mandatory elements.
		{"no primarySource", ukSet("primarySource", ""), []string{"required Immunization.primarySource"}, "primarySource is a mandatory field"},
		{"no location identifier", ukSet("location", `{"display":"Leeds"}`),
			[]string{"required Immunization.location.identifier.system", "required Immunization.location.identifier.value"}, "location.identifier.system is a mandatory field"},
		// The contained Patient.
		{"bad NHS number", ukSet("contained[1].identifier[0].value", `"9000000008"`),
			[]string{"value " + pat + ".identifier[0].value"}, `"Immunization.contained[1].identifier[0].value" is not a valid NHS number`},
		{"two patient identifiers", ukSet("contained[1].identifier[1]", `{"system":"https://example.org/mrn","value":"1"}`),
			[]string{"invariant " + pat + ".identifier"}, "contained[?(@.resourceType=='Patient')].identifier must be an array of length 1"},
		{"NHS number with a verification status", ukSet("contained[1].identifier[0].extension", `[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus","valueCodeableConcept":{"text":"01"}}]`),
			[]string{"not-supported " + pat + ".identifier[0].extension"}, "identifier[0] must not include an extension"},
		{"patient identifier of another system", ukSet("contained[1].identifier[0].system", `"https://example.org/mrn"`),
			[]string{"value " + pat + ".identifier[0].system"}, "identifier[0].system must be https://fhir.nhs.uk/Id/nhs-number"},
		{"no name", ukSet("contained[1].name", ""), []string{"required " + pat + ".name"}, "contained[?(@.resourceType=='Patient')].name is a mandatory field"},
		{"no family name", ukSet("contained[1].name[0].family", ""), []string{"required " + pat + ".name[0].family"}, "name[0].family is a mandatory field"},
		{"no given name", ukSet("contained[1].name[0].given", ""), []string{"required " + pat + ".name[0].given"}, "name[0].given is a mandatory field"},
		{"official name judged first", ukSet("contained[1].name[1]", `{"use":"official","family":"Taylor"}`),
			[]string{"required " + pat + ".name[1].given"}, "name[1].given is a mandatory field"},
		{"family name of 36", ukSet("contained[1].name[0].family", `"`+strings.Repeat("ß", 36)+`"`),
			[]string{"value " + pat + ".name[0].family"}, "must be 35 or fewer characters"},
		{"six given names", ukSet("contained[1].name[0].given", `["A","B","C","D","E","F"]`),
			[]string{"value " + pat + ".name[0].given"}, "must be an array of maximum length 5"},
		{"given name of 181", ukSet("contained[1].name[0].given[1]", `"`+strings.Repeat("a", 181)+`"`),
			[]string{"value " + pat + ".name[0].given[1]"}, "given[1] must be 180 or fewer characters"},
		{"no gender", ukSet("contained[1].gender", ""), []string{"required " + pat + ".gender"}, "gender is a mandatory field"},
		{"no birthDate", ukSet("contained[1].birthDate", ""), []string{"required " + pat + ".birthDate"}, "birthDate is a mandatory field"},
		{"born tomorrow", ukSet("contained[1].birthDate", `"2025-06-02"`),
			[]string{"value " + pat + ".birthDate"}, "contained[?(@.resourceType=='Patient')].birthDate must not be in the future"},
		{"birthDate with a time", ukSet("contained[1].birthDate", `"1948-02-28T00:00:00Z"`),
			[]string{"value " + pat + ".birthDate"}, `must be a valid date string in the format "YYYY-MM-DD"`},
		{"no address", ukSet("contained[1].address", ""),
			[]string{"required " + pat + ".address"}, "contained[?(@.resourceType=='Patient')].address[0].postalCode is a mandatory field"},
		{"address without postcode", ukSet("contained[1].address[0]", `{"city":"Leeds"}`),
			[]string{"required " + pat + ".address"}, "postalCode is a mandatory field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := nhsIssues(ukRecord(t, tc.edit))
			if !nhsSameKeys(nhsIssueKeys(got), tc.want) {
				t.Fatalf("nhsIssues = %q, want %q\n%+v", nhsIssueKeys(got), tc.want, got)
			}
			if tc.diag != "" && !strings.Contains(got[0].Diagnostics, tc.diag) {
				t.Errorf("diagnostics %q, want it to contain %q", got[0].Diagnostics, tc.diag)
			}
		})
	}
}

// Everything wrong at once comes back at once.
func TestUKCoreImmunizationAllIssues(t *testing.T) {
	setNHSNow(t, nhsTestNow)
	r := ukRecord(t, ukEdits(ukSet("recorded", ""), ukSet("contained[1].gender", ""),
		ukSet("protocolApplied[0].doseNumberPositiveInt", `12`), ukSet("encounter", `{"reference":"Encounter/1"}`)))
	if is := nhsIssues(r); len(is) != 4 {
		t.Errorf("nhsIssues returned %d issues, want 4: %q", len(is), nhsIssueKeys(is))
	}
}
