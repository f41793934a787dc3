package search

import (
	"testing"
	"time"
)

const benchPatient = `{"resourceType":"Patient","id":"p1","meta":{"lastUpdated":"2024-05-01T10:00:00Z","versionId":"3"},
  "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009",
    "extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
      "valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland","code":"01"}]}}]}],
  "name":[{"use":"official","family":"O'Brien","given":["Siobhán","Mary"],"prefix":["Mrs"]},{"use":"maiden","family":"Kelly"}],
  "telecom":[{"system":"phone","value":"01632 960587","use":"home"},{"system":"email","value":"s.obrien@example.org"}],
  "gender":"female","birthDate":"1950-03-15",
  "address":[{"use":"home","line":["1 Trevelyan Square","Boar Lane"],"city":"Leeds","postalCode":"LS1 6AE","country":"GB"}],
  "generalPractitioner":[{"type":"Organization","identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"Y12345"}}]}`

// BenchmarkMatchPatient measures Match of one Patient against typical queries through the
// real table: each iteration extracts the entries it needs, as Match always does.
func BenchmarkMatchPatient(b *testing.B) {
	obj := decodeFixture(b, []string{benchPatient})[0]
	m := Matcher{Now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, bc := range []struct{ name, query string }{
		{"nhs-number", "identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009"},
		{"family+birthdate+gender", "family=o%27bri&birthdate=ge1950&gender=female"},
		{"name:contains+address", "name:contains=mary&address-postalcode=ls1"},
		{"gp:identifier+not", "general-practitioner:identifier=https://fhir.nhs.uk/Id/ods-organization-code|Y12345&gender:not=male"},
		{"no match", "family=smith"},
	} {
		q := parseQuery(b, "Patient", bc.query)
		if bc.name != "no match" && !m.Match(q, obj) {
			b.Fatalf("Patient?%s does not match the benchmark patient", bc.query)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Match(q, obj)
			}
		})
	}
}
