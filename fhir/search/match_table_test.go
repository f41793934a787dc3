package search

import (
	"net/url"
	"testing"

	"github.com/nimsproject/nims/fhir"
)

// End-to-end: real resources, the real parameter table and Parse, then Match, Includes
// and Sort. The hand-built tests above pin the semantics; these check that the pieces fit.

var tableFixture = []string{
	`{"resourceType":"Organization","id":"o1","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"}],"name":"Riverside Surgery"}`,
	`{"resourceType":"Patient","id":"p1","meta":{"lastUpdated":"2024-05-01T10:00:00Z"},
	  "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"},
	    {"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]},"system":"https://trust.example/mrn","value":"H123"}],
	  "name":[{"family":"O'Brien","given":["Siobhán"]}],"gender":"female","birthDate":"1950-03-15",
	  "generalPractitioner":[{"reference":"Organization/o1"}]}`,
	`{"resourceType":"Patient","id":"p2","meta":{"lastUpdated":"2023-01-01T10:00:00Z"},
	  "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
	  "name":[{"family":"Smith","given":["John"]}],"gender":"male","birthDate":"1985",
	  "generalPractitioner":[{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"B82002"}}]}`,
	`{"resourceType":"Patient","id":"p3","name":[{"family":"Brown"}]}`,
	`{"resourceType":"Immunization","id":"i1","status":"completed","patient":{"reference":"Patient/p1"},
	  "vaccineCode":{"coding":[{"system":"http://snomed.info/sct","code":"39114911000001105","display":"COVID-19 mRNA Vaccine Comirnaty"}]},
	  "occurrenceDateTime":"2021-03-01T10:00:00+00:00","lotNumber":"AB123",
	  "protocolApplied":[{"targetDisease":[{"coding":[{"system":"http://snomed.info/sct","code":"840539006"}]}],"doseNumberPositiveInt":1}]}`,
	`{"resourceType":"Immunization","id":"i2","status":"not-done","patient":{"reference":"Patient/p2"},
	  "vaccineCode":{"coding":[{"system":"http://snomed.info/sct","code":"955691000001108","display":"Fluenz Tetra"}]},
	  "occurrenceDateTime":"2023-10-05"}`,
	`{"resourceType":"Immunization","id":"i3","status":"completed","patient":{"reference":"https://nims.example/fhir/Patient/p1"},
	  "vaccineCode":{"text":"unknown"},"occurrenceDateTime":"2022"}`,
}

func decodeFixture(t testing.TB, docs []string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, d := range docs {
		r, err := fhir.Decode([]byte(d))
		if err != nil {
			t.Fatalf("fixture does not decode: %v\n%s", err, d)
		}
		out = append(out, r.Object)
	}
	return out
}

func parseQuery(t testing.TB, typ, raw string) *Query {
	t.Helper()
	vals, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("url.ParseQuery(%q): %v", raw, err)
	}
	q, err := Parse(typ, vals, ParseOptions{})
	if err != nil {
		t.Fatalf("Parse(%s?%s): %v", typ, raw, err)
	}
	if len(q.Ignored) > 0 {
		t.Fatalf("Parse(%s?%s) ignored %q", typ, raw, q.Ignored)
	}
	return q
}

func TestMatchWithTable(t *testing.T) {
	r := NewMemResolver(decodeFixture(t, tableFixture))
	cases := []struct{ typ, query, want string }{
		{"Patient", "birthdate=1950", "p1"},
		{"Patient", "birthdate=lt1960", "p1"},
		{"Patient", "birthdate=ge1985-01-01", "p2"},
		{"Patient", "birthdate=ne1950-03-15", "p2"},
		{"Patient", "birthdate:missing=true", "p3"},
		{"Patient", "name=sio", "p1"},
		{"Patient", "name=OBRIEN", ""},
		{"Patient", "family=o'b", "p1"},
		{"Patient", "given:exact=Siobhán", "p1"},
		{"Patient", "given:exact=siobhan", ""},
		{"Patient", "family:contains=rie", "p1"},
		{"Patient", "identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009", "p1"},
		{"Patient", "identifier=9434765919", "p2"},
		{"Patient", "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|H123", "p1"},
		{"Patient", "identifier=MR", ""},
		{"Patient", "gender:not=male", "p1 p3"},
		{"Patient", "gender=female,male", "p1 p2"},
		{"Patient", "general-practitioner=Organization/o1", "p1"},
		{"Patient", "general-practitioner:identifier=https://fhir.nhs.uk/Id/ods-organization-code|B82002", "p2"},
		{"Patient", "general-practitioner:missing=true", "p3"},
		{"Patient", "_id=p1,p3", "p1 p3"},
		{"Patient", "_lastUpdated=gt2024-01-01", "p1"},
		{"Patient", "_has:Immunization:patient:status=completed", "p1"},
		{"Patient", "_has:Immunization:patient:vaccine-code:text=fluenz", "p2"},
		{"Immunization", "patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009", "i1"},
		{"Immunization", "patient.general-practitioner:Organization.identifier=https://fhir.nhs.uk/Id/ods-organization-code|A81001", "i1"},
		{"Immunization", "patient=p1", "i1"},
		{"Immunization", "patient=Patient/p1", "i1"},
		{"Immunization", "patient=https://nims.example/fhir/Patient/p1", "i1 i3"},
		{"Immunization", "date=2021-03", "i1"},
		{"Immunization", "date=ge2022", "i2 i3"},
		{"Immunization", "date=sa2022", "i2"},
		{"Immunization", "vaccine-code:text=comirnaty", "i1"},
		{"Immunization", "vaccine-code=http://snomed.info/sct|955691000001108", "i2"},
		{"Immunization", "lot-number=ab", "i1"},
		{"Immunization", "status=completed&date=lt2022", "i1"},
	}
	for _, tc := range cases {
		t.Run(tc.typ+"?"+tc.query, func(t *testing.T) {
			q := parseQuery(t, tc.typ, tc.query)
			if got := joinIDs(matching(q, r.All(tc.typ), r)); got != tc.want {
				t.Errorf("%s?%s = %q, want %q", tc.typ, tc.query, got, tc.want)
			}
		})
	}
}

func TestIncludesAndSortWithTable(t *testing.T) {
	r := NewMemResolver(decodeFixture(t, tableFixture))
	q := parseQuery(t, "Immunization", "_id=i1&_include=Immunization:patient&_include:iterate=Patient:general-practitioner")
	matches := []map[string]any{}
	for _, obj := range r.All("Immunization") {
		if MatchWith(q, obj, r) {
			matches = append(matches, obj)
		}
	}
	if got, trunc := Includes(q, matches, r, 10); refs(got) != "Patient/p1 Organization/o1" || trunc {
		t.Errorf("Includes(%s) = %q, %v; want %q, false", q, refs(got), trunc, "Patient/p1 Organization/o1")
	}
	q = parseQuery(t, "Immunization", "_id=i1&_include=Immunization:*")
	if got, _ := Includes(q, matches, r, 10); refs(got) != "Patient/p1" {
		t.Errorf("Includes(Immunization:*) = %q, want %q", refs(got), "Patient/p1")
	}
	q = parseQuery(t, "Patient", "_id=p1&_revinclude=Immunization:patient")
	p1, _ := r.Resolve("Patient", "p1")
	if got, _ := Includes(q, []map[string]any{p1}, r, 10); refs(got) != "Immunization/i1" {
		t.Errorf("Includes(_revinclude=Immunization:patient) = %q, want %q", refs(got), "Immunization/i1")
	}

	for _, tc := range []struct{ query, want string }{
		{"_sort=birthdate", "p1 p2 p3"},
		{"_sort=-birthdate", "p2 p1 p3"},
		{"_sort=family", "p3 p1 p2"},
		{"_sort=gender,-_lastUpdated", "p1 p2 p3"},
	} {
		q := parseQuery(t, "Patient", tc.query)
		objs := append([]map[string]any(nil), r.All("Patient")...)
		Sort(q.Sort, objs)
		if got := ids(objs); got != tc.want {
			t.Errorf("Patient?%s = %q, want %q", tc.query, got, tc.want)
		}
	}
}
