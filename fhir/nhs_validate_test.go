package fhir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nhsTestNow is the clock of the NHS rule tests: the testdata vaccination is in the past,
// and "2025-06-02" is tomorrow.
var nhsTestNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func setNHSNow(t testing.TB, now time.Time) {
	t.Helper()
	old := nhsNow
	nhsNow = func() time.Time { return now }
	t.Cleanup(func() { nhsNow = old })
}

func nhsDecode(t *testing.T, js string) *Resource {
	t.Helper()
	r, err := Decode([]byte(js))
	if err != nil {
		t.Fatalf("Decode: %v\n%s", err, js)
	}
	return r
}

// nhsIssueKeys lists issues as "code expression", the pair the tests compare.
func nhsIssueKeys(is Issues) []string {
	var keys []string
	for _, i := range is {
		keys = append(keys, i.Code+" "+strings.Join(i.Expression, ","))
	}
	return keys
}

func nhsSameKeys(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	count := map[string]int{}
	for _, k := range got {
		count[k]++
	}
	for _, k := range want {
		if count[k]--; count[k] < 0 {
			return false
		}
	}
	return true
}

func TestNHSIssues(t *testing.T) {
	setNHSNow(t, nhsTestNow)
	tests := []struct {
		name string
		js   string
		want []string // "code expression"
		diag string   // in the first issue's diagnostics
	}{
		{
			name: "patient with a valid NHS number and GP practice",
			js: `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],
				"generalPractitioner":[{"type":"Organization","identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"}}]}`,
		},
		{
			name: "patient with a bad NHS number",
			js:   `{"resourceType":"Patient","identifier":[{"system":"https://example.org/mrn","value":"12"},{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000000"}]}`,
			want: []string{"value Patient.identifier[1].value"},
			diag: `"Patient.identifier[1].value" is not a valid NHS number`,
		},
		{
			name: "NHS number with spaces",
			js:   `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"900 000 0009"}]}`,
			want: []string{"value Patient.identifier[0].value"},
			diag: "is not a valid NHS number",
		},
		{
			name: "bad NHS number in a reference identifier",
			js: `{"resourceType":"Immunization","status":"completed","vaccineCode":{"text":"x"},"occurrenceDateTime":"2024-01-01",
				"patient":{"type":"Patient","identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"1234567890"}}}`,
			want: []string{"value Immunization.patient.identifier.value"},
			diag: `"Immunization.patient.identifier.value" is not a valid NHS number`,
		},
		{
			name: "bad GP practice code",
			js:   `{"resourceType":"Patient","generalPractitioner":[{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"a81001"}}]}`,
			want: []string{"value Patient.generalPractitioner[0].identifier.value"},
			diag: "is not a valid ODS organisation code",
		},
		{
			name: "bad NHS number in a contained resource",
			js: `{"resourceType":"Flag","status":"active","code":{"text":"x"},"subject":{"reference":"#p"},
				"contained":[{"resourceType":"Patient","id":"p","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000001"}]}]}`,
			want: []string{"value Flag.contained[0].identifier[0].value"},
		},
		{
			name: "other systems are not judged",
			js:   `{"resourceType":"Patient","identifier":[{"system":"https://example.org/nhs","value":"1"}],"telecom":[{"system":"phone","value":"0113 000"}]}`,
		},
		{
			name: "not-done without statusReason",
			js:   `{"resourceType":"Immunization","status":"not-done","vaccineCode":{"text":"x"},"patient":{"reference":"Patient/1"},"occurrenceDateTime":"2024-01-01"}`,
			want: []string{"invariant Immunization"},
			diag: "ukcore-imm-001",
		},
		{
			name: "not-done with statusReason",
			js: `{"resourceType":"Immunization","status":"not-done","statusReason":{"coding":[{"system":"http://snomed.info/sct","code":"591000119102"}]},
				"vaccineCode":{"text":"x"},"patient":{"reference":"Patient/1"},"occurrenceDateTime":"2024-01-01"}`,
		},
		{
			name: "not-done Immunization inside a Bundle",
			js: `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient"}},
				{"resource":{"resourceType":"Immunization","status":"not-done","vaccineCode":{"text":"x"},"patient":{"reference":"Patient/1"},"occurrenceDateTime":"2024-01-01"}}]}`,
			want: []string{"invariant Bundle.entry[1].resource"},
		},
		{
			name: "no profile, no NHS API rules",
			js:   `{"resourceType":"Immunization","status":"entered-in-error","encounter":{"reference":"Encounter/1"},"vaccineCode":{"text":"x"},"patient":{"reference":"Patient/1"},"occurrenceString":"last spring"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := nhsIssues(nhsDecode(t, tc.js))
			if !nhsSameKeys(nhsIssueKeys(got), tc.want) {
				t.Fatalf("nhsIssues = %q, want %q\n%+v", nhsIssueKeys(got), tc.want, got)
			}
			if tc.diag != "" && !strings.Contains(got[0].Diagnostics, tc.diag) {
				t.Errorf("diagnostics %q, want it to contain %q", got[0].Diagnostics, tc.diag)
			}
			for _, i := range got {
				if i.Severity != SeverityError || len(i.Expression) != 1 || i.Diagnostics == "" {
					t.Errorf("issue %+v: want an error with one expression and diagnostics", i)
				}
			}
		})
	}
}

// Every official R4 example meets the NHS rules that apply without a profile; in
// particular Immunization-notGiven has the statusReason ukcore-imm-001 asks for.
func TestNHSIssuesR4Examples(t *testing.T) {
	files, err := filepath.Glob("../testdata/r4-examples/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no R4 examples: %v", err)
	}
	for _, f := range files {
		js, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := nhsDecode(t, string(js))
		if is := nhsIssues(r); len(is) != 0 {
			t.Errorf("%s: nhsIssues = %+v, want none", filepath.Base(f), is)
		}
	}
}

func TestNHSParseDateTime(t *testing.T) {
	tests := []struct {
		in       string
		ok       bool
		dateOnly bool
		offset   string
	}{
		{"2024-10-15", true, true, ""},
		{"2024-10-15T10:30:00+01:00", true, false, "+01:00"},
		{"2024-10-15T10:30:00.123456+00:00", true, false, "+00:00"},
		{"2024-10-15T10:30:00Z", true, false, "Z"},
		{"2024-10-15T10:30:00-05:00", true, false, "-05:00"},
		{"2024", false, false, ""},
		{"2024-10", false, false, ""},
		{"2024-02-30", false, false, ""},
		{"2024-10-15T10:30+01:00", false, false, ""},
		{"2024-10-15T10:30:00", false, false, ""},
		{"2024-10-15T24:00:00Z", false, false, ""},
		{"2024-10-15 10:30:00Z", false, false, ""},
		{"2024-10-15T10:30:00+0100", false, false, ""},
		{"", false, false, ""},
	}
	for _, tc := range tests {
		_, dateOnly, offset, ok := nhsParseDateTime(tc.in)
		if ok != tc.ok || ok && (dateOnly != tc.dateOnly || offset != tc.offset) {
			t.Errorf("nhsParseDateTime(%q) = dateOnly %v, offset %q, ok %v; want %v, %q, %v", tc.in, dateOnly, offset, ok, tc.dateOnly, tc.offset, tc.ok)
		}
	}
}

func TestNHSFuture(t *testing.T) {
	// 23:30 UTC on 31 May is 00:30 BST on 1 June: a vaccination dated 1 June is not in the future.
	setNHSNow(t, time.Date(2025, 5, 31, 23, 30, 0, 0, time.UTC))
	day := func(s string) time.Time { d, _ := nhsParseDate(s); return d }
	if nhsFuture(day("2025-06-01"), true) {
		t.Error("2025-06-01 is in the future at 00:30 BST on 2025-06-01")
	}
	if !nhsFuture(day("2025-06-02"), true) {
		t.Error("2025-06-02 is not in the future at 00:30 BST on 2025-06-01")
	}
	if !nhsFuture(time.Date(2025, 5, 31, 23, 31, 0, 0, time.UTC), false) {
		t.Error("a minute from now is not in the future")
	}
}
