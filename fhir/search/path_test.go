package search

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/nimsproject/nims/fhir"
)

// pathDecode decodes a resource as the server does (numbers as json.Number).
func pathDecode(t testing.TB, s string) map[string]any {
	t.Helper()
	r, err := fhir.Decode([]byte(s))
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return r.Object
}

func TestCompilePath(t *testing.T) {
	good := []string{
		"Patient.name.family",
		"Resource.meta.lastUpdated",
		"(Patient.deceased as dateTime)",
		"Patient.deceased as dateTime",
		"Group.characteristic.value.ofType(CodeableConcept)",
		"Group.characteristic.value.as(boolean)",
		"Organization.name | Organization.alias",
		"Flag.subject.where(resolve() is Patient)",
		"Patient.telecom.where(system='email')",
		"Patient.extension.where(url='https://a.b/c|1.0').value",
	}
	for _, s := range good {
		if _, err := compilePath(s); err != nil {
			t.Errorf("compilePath(%q): %v", s, err)
		}
	}
	bad := []string{
		"", "patient.name", "Patient..name", "Patient.name.first()", "Patient.deceased.exists() and Patient.deceased != false",
		"Patient.telecom.where(system=email)", "Patient.name.where(", "Patient.x as", "Patient.name-x",
	}
	for _, s := range bad {
		if _, err := compilePath(s); err == nil {
			t.Errorf("compilePath(%q) succeeded; want an error", s)
		}
	}
}

func TestPathEval(t *testing.T) {
	obj := pathDecode(t, `{"resourceType":"Group","id":"g",
		"characteristic":[
			{"code":{"text":"a"},"valueCodeableConcept":{"coding":[{"system":"s","code":"c"}]},"exclude":false},
			{"code":{"text":"b"},"valueBoolean":true,"exclude":true},
			{"code":{"text":"c"},"valueQuantity":{"value":3},"exclude":false}],
		"member":[{"entity":{"reference":"Patient/1"}},{"entity":{"reference":"http://x.org/fhir/Patient/2/_history/3"}},
			{"entity":{"reference":"Device/3"}},{"entity":{"type":"Patient","identifier":{"value":"n"}}},
			{"entity":{"identifier":{"value":"m"}}},{"entity":{"reference":"#c1"}}]}`)
	tests := []struct {
		expr string
		want []string // JSON of each item
	}{
		{"Group.id", []string{`"g"`}},
		{"Group.characteristic.code.text", []string{`"a"`, `"b"`, `"c"`}},
		{"Group.characteristic.value as boolean", []string{`true`}},
		{"(Group.characteristic.value as CodeableConcept)", []string{`{"coding":[{"code":"c","system":"s"}]}`}},
		{"Group.characteristic.value.ofType(Quantity)", []string{`{"value":3}`}},
		{"Group.characteristic.exclude", []string{`false`, `true`, `false`}},
		{"Group.characteristic.where(exclude='x').code", nil},
		{"Group.name | Group.id", []string{`"g"`}},
		{"Patient.id", nil},
		{"Resource.id", []string{`"g"`}},
		{"Group.member.entity.where(resolve() is Patient).reference", []string{`"Patient/1"`, `"http://x.org/fhir/Patient/2/_history/3"`}},
		{"Group.member.entity.where(resolve() is Patient).identifier.value", []string{`"n"`}},
	}
	for _, tc := range tests {
		p, err := compilePath(tc.expr)
		if err != nil {
			t.Fatalf("compilePath(%q): %v", tc.expr, err)
		}
		var got []string
		for _, it := range p.eval(obj) {
			b, _ := json.Marshal(it.v)
			got = append(got, string(b))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("eval(%q) = %v, want %v", tc.expr, got, tc.want)
		}
	}
}

// pathExtract runs one path through the extractor of a parameter type, as the table does.
func pathExtract(t *testing.T, kind ParamType, expr, resource string) []Entry {
	t.Helper()
	p, err := compilePath(expr)
	if err != nil {
		t.Fatal(err)
	}
	return entriesFor[kind]("p", p.eval(pathDecode(t, resource)))
}

func TestTokenEntries(t *testing.T) {
	tests := []struct {
		name, expr, resource string
		want                 []Entry
	}{
		{"code", "Patient.gender", `{"resourceType":"Patient","gender":"male"}`, []Entry{{Param: "p", Code: "male"}}},
		{"boolean", "Patient.active", `{"resourceType":"Patient","active":false}`, []Entry{{Param: "p", Code: "false"}}},
		{"Coding", "AuditEvent.type", `{"resourceType":"AuditEvent","type":{"system":"s","code":"rest","display":"RESTful Opération"}}`,
			[]Entry{{Param: "p", System: "s", Code: "rest", Text: "restful operation"}}},
		{"CodeableConcept", "Immunization.vaccineCode",
			`{"resourceType":"Immunization","vaccineCode":{"coding":[{"system":"a","code":"1"},{"system":"b","code":"2","display":"Two"}],"text":"Fluvax (Influenza)"}}`,
			[]Entry{{Param: "p", System: "a", Code: "1"}, {Param: "p", System: "b", Code: "2", Text: "two"}, {Param: "p", Text: "fluvax (influenza)"}}},
		{"CodeableConcept, text only", "Immunization.vaccineCode", `{"resourceType":"Immunization","vaccineCode":{"text":"Flu"}}`,
			[]Entry{{Param: "p", Text: "flu"}}},
		{"Identifier with type", "Patient.identifier",
			`{"resourceType":"Patient","identifier":[{"type":{"coding":[{"system":"v2","code":"MR"}],"text":"Medical record"},"system":"urn:x","value":"123"}]}`,
			[]Entry{{Param: "p", System: "urn:x", Code: "123", Text: "medical record"}, {Param: "p" + OfTypeSuffix, System: "v2", Code: "MR", Text: "123"}}},
		{"Identifier without system", "Flag.identifier", `{"resourceType":"Flag","identifier":[{"value":"12345"}]}`,
			[]Entry{{Param: "p", Code: "12345"}}},
		{"ContactPoint", "Patient.telecom", `{"resourceType":"Patient","telecom":[{"system":"phone","value":"0113 496 0000"},{"use":"home"}]}`,
			[]Entry{{Param: "p", Code: "0113 496 0000"}}},
		{"ContactPoint where", "Patient.telecom.where(system='email')",
			`{"resourceType":"Patient","telecom":[{"system":"phone","value":"1"},{"system":"email","value":"a@b.uk"}]}`,
			[]Entry{{Param: "p", Code: "a@b.uk"}}},
		{"extension value", "Patient.extension.where(url='" + fhir.ExtEthnicCategory + "').value",
			`{"resourceType":"Patient","extension":[{"url":"other","valueCode":"x"},{"url":"` + fhir.ExtEthnicCategory +
				`","valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland","code":"A"}]}}]}`,
			[]Entry{{Param: "p", System: "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland", Code: "A"}}},
		{"absent", "Patient.gender", `{"resourceType":"Patient"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := pathExtract(t, TypeToken, tc.expr, tc.resource); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("token %s = %+v, want %+v", tc.expr, got, tc.want)
			}
		})
	}
}

func TestStringEntries(t *testing.T) {
	got := pathExtract(t, TypeString, "Patient.name", `{"resourceType":"Patient","name":[
		{"text":"Dr Siobhán  Ó’Brien","family":"Ó’Brien","given":["Siobhán","Mary"],"prefix":["Dr"]}]}`)
	want := []Entry{
		{Param: "p", Text: "dr siobhan o'brien", Code: "Dr Siobhán  Ó’Brien"},
		{Param: "p", Text: "o'brien", Code: "Ó’Brien"},
		{Param: "p", Text: "siobhan", Code: "Siobhán"},
		{Param: "p", Text: "mary", Code: "Mary"},
		{Param: "p", Text: "dr", Code: "Dr"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("string name = %+v\nwant %+v", got, want)
	}
	got = pathExtract(t, TypeString, "Patient.address", `{"resourceType":"Patient","address":[{"line":["1 High St","Flat 2"],"city":"Leeds","postalCode":"LS1 4AP","country":"GB","use":"home"}]}`)
	var texts []string
	for _, e := range got {
		texts = append(texts, e.Text)
	}
	if strings.Join(texts, ",") != "1 high st,flat 2,leeds,ls1 4ap,gb" {
		t.Errorf("string address = %v", texts)
	}
}

func TestDateEntries(t *testing.T) {
	ms := utcMs
	tests := []struct {
		name, expr, resource string
		want                 []Entry
	}{
		{"date", "Patient.birthDate", `{"resourceType":"Patient","birthDate":"1974-12-25"}`,
			[]Entry{{Param: "p", Low: ms("1974-12-25T00:00:00Z"), High: ms("1974-12-26T00:00:00Z")}}},
		{"choice dateTime", "Immunization.occurrence", `{"resourceType":"Immunization","occurrenceDateTime":"2021-07-01T10:00:00+01:00"}`,
			[]Entry{{Param: "p", Low: ms("2021-07-01T09:00:00Z"), High: ms("2021-07-01T09:00:01Z")}}},
		{"choice string", "Immunization.occurrence", `{"resourceType":"Immunization","occurrenceString":"last spring"}`, nil},
		{"Period", "Flag.period", `{"resourceType":"Flag","period":{"start":"2015-01-17","end":"2016-12-01"}}`,
			[]Entry{{Param: "p", Low: ms("2015-01-17T00:00:00Z"), High: ms("2016-12-02T00:00:00Z")}}},
		{"open Period", "Flag.period", `{"resourceType":"Flag","period":{"start":"2021-01-01T00:00:00Z"}}`,
			[]Entry{{Param: "p", Low: ms("2021-01-01T00:00:00Z"), High: 1<<63 - 1}}},
		{"Timing", "CarePlan.activity.detail.scheduled", `{"resourceType":"CarePlan","activity":[{"detail":{"scheduledTiming":{"event":["2021-01-01","2021-02-01"]}}}]}`,
			[]Entry{{Param: "p", Low: ms("2021-01-01T00:00:00Z"), High: ms("2021-01-02T00:00:00Z")}, {Param: "p", Low: ms("2021-02-01T00:00:00Z"), High: ms("2021-02-02T00:00:00Z")}}},
		{"as dateTime", "(Patient.deceased as dateTime)", `{"resourceType":"Patient","deceasedBoolean":true}`, nil},
		{"invalid", "Patient.birthDate", `{"resourceType":"Patient","birthDate":"1974-02-30"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := pathExtract(t, TypeDate, tc.expr, tc.resource); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("date %s = %+v, want %+v", tc.expr, got, tc.want)
			}
		})
	}
}

func TestReferenceEntries(t *testing.T) {
	tests := []struct {
		name, ref string
		want      []Entry
	}{
		{"local", `{"reference":"Patient/123","display":"Peter Chalmers"}`, []Entry{{Param: "p", RefType: "Patient", RefID: "123", Text: "peter chalmers"}}},
		{"versioned", `{"reference":"Patient/123/_history/4"}`, []Entry{{Param: "p", RefType: "Patient", RefID: "123"}}},
		{"absolute", `{"reference":"https://other.example/fhir/Patient/9"}`, []Entry{{Param: "p", URL: "https://other.example/fhir/Patient/9"}}},
		{"urn", `{"reference":"urn:uuid:9b3d6a1e-7b5c-4b3a-9f0e-2c1d7e8f9a0b"}`, []Entry{{Param: "p", URL: "urn:uuid:9b3d6a1e-7b5c-4b3a-9f0e-2c1d7e8f9a0b"}}},
		{"contained", `{"reference":"#Pat1"}`, nil},
		{"identifier only", `{"type":"Organization","identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"},"display":"The Surgery"}`,
			[]Entry{{Param: "p", System: "https://fhir.nhs.uk/Id/ods-organization-code", Code: "A81001", Text: "the surgery"}}},
		{"reference and identifier", `{"reference":"Organization/o1","identifier":{"system":"ods","value":"A81001"}}`,
			[]Entry{{Param: "p", RefType: "Organization", RefID: "o1"}, {Param: "p", System: "ods", Code: "A81001"}}},
		{"display only", `{"display":"Serum Potassium Observation"}`, nil},
		{"not a type", `{"reference":"Nonsense/1"}`, nil},
		{"bad id", `{"reference":"Patient/a b"}`, nil},
		{"bad history", `{"reference":"Patient/1/_other/2"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := pathExtract(t, TypeReference, "Patient.generalPractitioner", `{"resourceType":"Patient","generalPractitioner":[`+tc.ref+`]}`)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("reference %s = %+v, want %+v", tc.ref, got, tc.want)
			}
		})
	}
	got := pathExtract(t, TypeReference, "Communication.instantiatesCanonical",
		`{"resourceType":"Communication","instantiatesCanonical":["http://x.org/PlanDefinition/p|2.0"]}`)
	want := []Entry{{Param: "p", URL: "http://x.org/PlanDefinition/p|2.0"}, {Param: "p", URL: "http://x.org/PlanDefinition/p"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("canonical = %+v, want %+v", got, want)
	}
}

func TestQuantityAndNumberEntries(t *testing.T) {
	got := pathExtract(t, TypeQuantity, "Immunization.doseQuantity",
		`{"resourceType":"Immunization","doseQuantity":{"value":0.3,"unit":"milliliter","system":"http://unitsofmeasure.org","code":"ml"}}`)
	want := []Entry{
		{Param: "p", Number: 0.3, NumLow: 0.25, NumHigh: 0.35, System: "http://unitsofmeasure.org", Code: "ml"},
		{Param: "p", Number: 0.3, NumLow: 0.25, NumHigh: 0.35, Code: "milliliter"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("quantity = %+v, want %+v", got, want)
	}
	got = pathExtract(t, TypeNumber, "Patient.extension.value",
		`{"resourceType":"Patient","extension":[{"url":"a","valueInteger":3},{"url":"b","valueString":"booster"}]}`)
	want = []Entry{{Param: "p", Number: 3, NumLow: 2.5, NumHigh: 3.5}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("number = %+v, want %+v", got, want)
	}
	// A float64, from a decoder without UseNumber, reads as its shortest form.
	items := []pathItem{{v: 1.5}, {v: "x"}}
	if got := numberEntries("p", items); len(got) != 1 || got[0].NumLow != 1.45 || got[0].NumHigh != 1.55 {
		t.Errorf("number of float64 1.5 = %+v", got)
	}
}

func TestURIEntries(t *testing.T) {
	got := pathExtract(t, TypeURI, "Resource.meta.profile",
		`{"resourceType":"Immunization","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Immunization"]}}`)
	want := []Entry{{Param: "p", Code: "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Immunization"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("uri = %+v, want %+v", got, want)
	}
}
