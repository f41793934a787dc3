package fhir

import (
	"slices"
	"testing"
)

func TestBusinessKeys(t *testing.T) {
	for _, c := range []struct {
		name, js string
		want     []string
	}{
		{"NHS number", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}]}`,
			[]string{"Patient\x1fhttps://fhir.nhs.uk/Id/nhs-number\x1f9000000009"}},
		{"a superseded number (use old) claims nothing", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000017"},{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009","use":"old"}]}`,
			[]string{"Patient\x1fhttps://fhir.nhs.uk/Id/nhs-number\x1f9000000017"}},
		{"other systems claim nothing", `{"resourceType":"Patient","identifier":[{"system":"https://trust.example/mrn","value":"1"}]}`, nil},
		{"UK Core record: first identifier only", `{"resourceType":"Immunization","meta":{"profile":["` + ProfileUKCoreImmunization + `"]},"identifier":[{"system":"https://s.example","value":"a"},{"system":"https://s.example","value":"b"}]}`,
			[]string{"Immunization\x1fhttps://s.example\x1fa"}},
		{"other records claim nothing", `{"resourceType":"Immunization","identifier":[{"system":"https://s.example","value":"a"}]}`, nil},
	} {
		r, err := Decode([]byte(c.js))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, k := range BusinessKeys(r, DefaultUniqueRules) {
			got = append(got, k.Key)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: keys %q, want %q", c.name, got, c.want)
		}
	}
}
