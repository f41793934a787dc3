package fhir

import (
	"slices"
	"strings"
	"testing"
)

// valPatient and valImmunization wrap members into otherwise valid resources.
func valPatient(members string) string {
	return `{"resourceType":"Patient","id":"p1"` + members + `}`
}

func valImmunization(members string) string {
	return `{"resourceType":"Immunization","id":"i1","status":"completed",` +
		`"vaccineCode":{"coding":[{"system":"http://snomed.info/sct","code":"39114911000001105"}]},` +
		`"patient":{"reference":"Patient/p1"},"occurrenceDateTime":"2021-01-10T10:00:00+00:00"` + members + `}`
}

const valExt = `{"url":"http://example.org/x","valueString":"a"}`

func TestValidateValid(t *testing.T) {
	cases := []struct{ name, body string }{
		{"minimal patient", valPatient(``)},
		{"minimal immunization", valImmunization(``)},
		{"extension-only birthDate", valPatient(`,"_birthDate":{"extension":[` + valExt + `]}`)},
		{"birthDate and its extension", valPatient(`,"birthDate":"1970","_birthDate":{"id":"b"}`)},
		{"given with aligned nulls", valPatient(`,"name":[{"given":["a",null],"_given":[null,{"extension":[` + valExt + `]}]}]`)},
		{"dates of every precision", valPatient(`,"birthDate":"2024-02-29","deceasedDateTime":"2023-02"`)},
		{"leap second and fraction", valImmunization(`,"recorded":"2016-12-31T23:59:60.123-05:00"`)},
		{"local and container references", `{"resourceType":"Immunization","id":"i1","status":"completed",` +
			`"contained":[{"resourceType":"Patient","id":"p","link":[{"other":{"reference":"#"},"type":"seealso"}]}],` +
			`"vaccineCode":{"text":"x"},"patient":{"reference":"#p"},"occurrenceString":"last spring"}`},
		{"reference forms", valImmunization(`,"location":{"reference":"Location?identifier=x|1"},` +
			`"manufacturer":{"reference":"https://example.org/fhir/Organization/1"},` +
			`"encounter":{"reference":"Encounter/e1/_history/2","type":"Encounter"},` +
			`"reasonReference":[{"reference":"urn:uuid:0b9c2c8e-4c87-4d5e-9b0e-1a2b3c4d5e6f"},{"reference":"urn:oid:1.2.3"}]`)},
		{"nested extension", valPatient(`,"extension":[{"url":"http://example.org/a","extension":[` + valExt + `]}]`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { valAssert(t, tc.name, []byte(tc.body)) })
	}
}

func TestValidateInvalid(t *testing.T) {
	cases := []struct {
		name string
		body string
		want []string // code@expression, each of which must be reported
	}{
		{"unknown element", valPatient(`,"foo":1`), []string{"structure@Patient.foo"}},
		{"unknown companion", valPatient(`,"_name":{"id":"x"}`), []string{"structure@Patient._name"}},
		{"disallowed choice variant", valPatient(`,"deceasedDate":"2020-01-01"`), []string{"structure@Patient.deceasedDate"}},
		{"unknown resource type", `{"resourceType":"Foo"}`, []string{"not-supported@resourceType"}},
		{"invalid id", `{"resourceType":"Patient","id":"a b"}`, []string{"value@Patient.id"}},
		{"no 30 February", valPatient(`,"birthDate":"2023-02-30"`), []string{"value@Patient.birthDate"}},
		{"month 13", valPatient(`,"birthDate":"2023-13-01"`), []string{"value@Patient.birthDate"}},
		{"date with time", valPatient(`,"birthDate":"2023-01-01T00:00:00Z"`), []string{"value@Patient.birthDate"}},
		{"time without zone", valImmunization(`,"recorded":"2021-01-01T10:00:00"`), []string{"value@Immunization.recorded"}},
		{"time without seconds", valImmunization(`,"recorded":"2021-01-01T10:00Z"`), []string{"value@Immunization.recorded"}},
		{"hour 24", valImmunization(`,"recorded":"2021-01-01T24:00:00Z"`), []string{"value@Immunization.recorded"}},
		{"instant without time", valPatient(`,"meta":{"lastUpdated":"2021-01-01"}`), []string{"value@Patient.meta.lastUpdated"}},
		{"decimal as string", valImmunization(`,"doseQuantity":{"value":"0.5"}`), []string{"structure@Immunization.doseQuantity.value"}},
		{"string as number", valPatient(`,"birthDate":1970`), []string{"structure@Patient.birthDate"}},
		{"boolean as string", valPatient(`,"active":"true"`), []string{"structure@Patient.active"}},
		{"integer as decimal", valImmunization(`,"protocolApplied":[{"doseNumberPositiveInt":1.5}]`),
			[]string{"value@Immunization.protocolApplied[0].doseNumber"}},
		{"positiveInt zero", valImmunization(`,"protocolApplied":[{"doseNumberPositiveInt":0}]`),
			[]string{"value@Immunization.protocolApplied[0].doseNumber"}},
		{"integer over 32 bits", `{"resourceType":"Patient","multipleBirthInteger":4294967296}`, []string{"value@Patient.multipleBirth"}},
		{"wrong gender", valPatient(`,"gender":"mail"`), []string{"code-invalid@Patient.gender"}},
		{"status not in value set", strings.Replace(valImmunization(``), `"completed"`, `"done"`, 1), []string{"code-invalid@Immunization.status"}},
		{"coding outside required value set", `{"resourceType":"Condition","subject":{"reference":"Patient/p1"},` +
			`"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"gone"}]}}`,
			[]string{"code-invalid@Condition.clinicalStatus.coding[0].code"}},
		{"code with double space", valPatient(`,"gender":"fe  male"`), []string{"value@Patient.gender"}},
		{"two value[x]", valPatient(`,"extension":[{"url":"http://example.org/x","valueString":"a","valueBoolean":true}]`),
			[]string{"structure@Patient.extension[0].value"}},
		{"value and nested extension", valPatient(`,"extension":[{"url":"http://example.org/x","valueString":"a","extension":[` + valExt + `]}]`),
			[]string{"invariant@Patient.extension[0]"}},
		{"extension without url", valPatient(`,"extension":[{"valueString":"a"}]`), []string{"required@Patient.extension[0].url"}},
		{"array for single primitive", valPatient(`,"gender":["male"]`), []string{"structure@Patient.gender"}},
		{"array for single object", valPatient(`,"maritalStatus":[{"text":"x"}]`), []string{"structure@Patient.maritalStatus"}},
		{"object for array", valPatient(`,"name":{"family":"x"}`), []string{"structure@Patient.name"}},
		{"string for array", valPatient(`,"name":[{"given":"x"}]`), []string{"structure@Patient.name[0].given"}},
		{"missing required", `{"resourceType":"Immunization"}`, []string{"required@Immunization.status",
			"required@Immunization.vaccineCode", "required@Immunization.patient", "required@Immunization.occurrence"}},
		{"reference without id", valImmunization(`,"location":{"reference":"Location/"}`), []string{"value@Immunization.location.reference"}},
		{"reference with space", valImmunization(`,"location":{"reference":"Location/a b"}`), []string{"value@Immunization.location.reference"}},
		{"reference to unknown type", valImmunization(`,"location":{"reference":"Foo/1"}`), []string{"value@Immunization.location.reference"}},
		{"reference to missing contained", valImmunization(`,"location":{"reference":"#loc"}`), []string{"value@Immunization.location.reference"}},
		{"upper-case urn:uuid", valImmunization(`,"location":{"reference":"urn:uuid:0B9C2C8E-4C87-4D5E-9B0E-1A2B3C4D5E6F"}`),
			[]string{"value@Immunization.location.reference"}},
		{"Reference.type not a resource", valImmunization(`,"location":{"reference":"Location/1","type":"Place"}`),
			[]string{"code-invalid@Immunization.location.type"}},
		{"empty string", valPatient(`,"name":[{"family":""}]`), []string{"value@Patient.name[0].family"}},
		{"whitespace string", valPatient(`,"name":[{"family":"  "}]`), []string{"value@Patient.name[0].family"}},
		{"empty array", valPatient(`,"name":[]`), []string{"structure@Patient.name"}},
		{"empty object", valPatient(`,"maritalStatus":{}`), []string{"structure@Patient.maritalStatus"}},
		{"null", valPatient(`,"gender":null`), []string{"structure@Patient.gender"}},
		{"null in array", valPatient(`,"name":[{"given":["a",null]}]`), []string{"structure@Patient.name[0].given[1]"}},
		{"null in complex array", valPatient(`,"name":[null]`), []string{"structure@Patient.name[0]"}},
		{"companion length", valPatient(`,"name":[{"given":["a"],"_given":[null,{"id":"x"}]}]`), []string{"structure@Patient.name[0].given"}},
		{"companion unknown member", valPatient(`,"_birthDate":{"foo":1}`), []string{"structure@Patient.birthDate.foo"}},
		{"companion not an object", valPatient(`,"birthDate":"1970","_birthDate":"x"`), []string{"structure@Patient.birthDate"}},
		{"contained with error", valImmunization(`,"contained":[{"resourceType":"Patient","id":"c","birthDate":"2023-02-30"}]`),
			[]string{"value@Immunization.contained[0].birthDate"}},
		{"contained without id", valImmunization(`,"contained":[{"resourceType":"Patient","active":true}]`),
			[]string{"required@Immunization.contained[0]"}},
		{"contained with version", valImmunization(`,"contained":[{"resourceType":"Patient","id":"c","meta":{"versionId":"1"}}]`),
			[]string{"invariant@Immunization.contained[0]"}},
		{"bundle entry", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","gender":"x"}}]}`,
			[]string{"code-invalid@Bundle.entry[0].resource.gender"}},
		{"several at once", valPatient(`,"foo":1,"gender":"mail","birthDate":"1970-02-30","name":[{"family":""}]`),
			[]string{"structure@Patient.foo", "code-invalid@Patient.gender", "value@Patient.birthDate", "value@Patient.name[0].family"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Decode([]byte(tc.body))
			if err != nil {
				t.Fatalf("Decode(%s) error = %v", tc.body, err)
			}
			err = Validate(r)
			if err == nil {
				t.Fatalf("Validate(%s) = nil, want issues %v", tc.body, tc.want)
			}
			if k := KindOf(err); k != KindInvalid {
				t.Errorf("KindOf(Validate(%s)) = %v, want invalid", tc.body, k)
			}
			got := valCodes(err)
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("Validate(%s) issues = %v, want %s among them", tc.body, valIssues(err), w)
				}
			}
		})
	}
}

func TestValidateTruncates(t *testing.T) {
	var b strings.Builder
	for i := range 300 {
		b.WriteString(`,"x` + strings.Repeat("y", i) + `":1`)
	}
	err := Validate(valDecode(t, valPatient(b.String())))
	is := err.(*Error).Issues
	if len(is) != maxIssues+1 || is[maxIssues].Code != "too-costly" {
		t.Errorf("Validate(300 unknown members) gave %d issues, last %q; want %d ending in too-costly",
			len(is), is[len(is)-1].Code, maxIssues+1)
	}
}

func valDecode(t *testing.T, body string) *Resource {
	t.Helper()
	r, err := Decode([]byte(body))
	if err != nil {
		t.Fatalf("Decode(%s) error = %v", body, err)
	}
	return r
}

// valCodes lists the issues of err as code@expression.
func valCodes(err error) []string {
	var out []string
	if fe, ok := err.(*Error); ok {
		for _, i := range fe.Issues {
			out = append(out, i.Code+"@"+strings.Join(i.Expression, ","))
		}
	}
	return out
}
