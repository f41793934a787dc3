package search

import (
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/nimsproject/nims/fhir"
)

// tblLoad decodes a file of the repository's testdata as the server does.
func tblLoad(t testing.TB, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := fhir.Decode(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r.Object
}

func tblExample(t testing.TB, name string) map[string]any {
	return tblLoad(t, filepath.Join("..", "..", "testdata", "r4-examples", name+".json"))
}

// tblHasEntry reports whether the parameter of typ gives want for obj (compared field by
// field, Param included; an :of-type entry comes from its parameter).
func tblHasEntry(t *testing.T, typ string, obj map[string]any, want Entry) {
	t.Helper()
	name, _ := tblCutOfType(want.Param)
	p := LookupParam(typ, name)
	if p == nil {
		t.Fatalf("no %s.%s", typ, name)
	}
	got := p.Extract(obj)
	if !slices.Contains(got, want) {
		t.Errorf("%s.%s of %s = %+v; want among them %+v", typ, want.Param, obj["id"], got, want)
	}
}

func tblDay(s string) (int64, int64) {
	lo, hi, ok := DateRange(s)
	if !ok {
		panic(s)
	}
	return lo, hi
}

func TestExtractPatientExample(t *testing.T) {
	obj := tblExample(t, "Patient-example")
	lo, hi := tblDay("1974-12-25")
	for _, want := range []Entry{
		{Param: "_id", Code: "example"},
		{Param: "family", Text: "chalmers", Code: "Chalmers"},
		{Param: "family", Text: "windsor", Code: "Windsor"},
		{Param: "given", Text: "jim", Code: "Jim"},
		{Param: "name", Text: "peter", Code: "Peter"},
		{Param: "birthdate", Low: lo, High: hi},
		{Param: "gender", Code: "male"},
		{Param: "active", Code: "true"},
		{Param: "deceased", Code: "false"},
		{Param: "identifier", System: "urn:oid:1.2.36.146.595.217.0.1", Code: "12345"},
		{Param: "identifier" + OfTypeSuffix, System: "http://terminology.hl7.org/CodeSystem/v2-0203", Code: "MR", Text: "12345"},
		{Param: "organization", RefType: "Organization", RefID: "1"},
		{Param: "phone", Code: "(03) 5555 6473"},
		{Param: "telecom", Code: "(03) 3410 5613"},
		{Param: "address-city", Text: "pleasantville", Code: "PleasantVille"},
		{Param: "address-postalcode", Text: "3999", Code: "3999"},
		{Param: "address-use", Code: "home"},
	} {
		tblHasEntry(t, "Patient", obj, want)
	}
	// The contact's name (du Marché, Bénédicte) is not the patient's.
	for _, e := range LookupParam("Patient", "name").Extract(obj) {
		if e.Text == "du marche" || e.Text == "benedicte" {
			t.Errorf("name indexes the contact's name: %+v", e)
		}
	}
	if got := LookupParam("Patient", "death-date").Extract(obj); got != nil {
		t.Errorf("death-date of a living patient = %+v", got)
	}
}

func TestExtractPatientGPAndDeath(t *testing.T) {
	tblHasEntry(t, "Patient", tblExample(t, "Patient-glossy"), Entry{Param: "general-practitioner", RefType: "Practitioner", RefID: "example", Text: "dr adam careful"})
	tblHasEntry(t, "Patient", tblExample(t, "Patient-pat1"), Entry{Param: "link", RefType: "Patient", RefID: "pat2"})
	dead := tblExample(t, "Patient-pat3")
	lo, hi, _ := DateRange("2015-02-14T13:42:00+10:00")
	tblHasEntry(t, "Patient", dead, Entry{Param: "death-date", Low: lo, High: hi})
	tblHasEntry(t, "Patient", dead, Entry{Param: "deceased", Code: "true"})

	// The registered practice by ODS code, and the ethnic category, as NIMS holds them.
	obj := pathDecode(t, `{"resourceType":"Patient","id":"p1",
		"extension":[{"url":"`+fhir.ExtEthnicCategory+`","valueCodeableConcept":{"coding":[
			{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland","code":"A","display":"White - British"}]}}],
		"generalPractitioner":[{"type":"Organization","identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"}}]}`)
	tblHasEntry(t, "Patient", obj, Entry{Param: "general-practitioner", System: "https://fhir.nhs.uk/Id/ods-organization-code", Code: "A81001"})
	tblHasEntry(t, "Patient", obj, Entry{Param: "ethnicity", System: "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland", Code: "A", Text: "white - british"})
}

func TestExtractImmunizationExample(t *testing.T) {
	obj := tblExample(t, "Immunization-example")
	lo, hi := tblDay("2013-01-10")
	for _, want := range []Entry{
		{Param: "vaccine-code", System: "urn:oid:1.2.36.1.2001.1005.17", Code: "FLUVAX"},
		{Param: "vaccine-code", Text: "fluvax (influenza)"},
		{Param: "date", Low: lo, High: hi},
		{Param: "patient", RefType: "Patient", RefID: "example"},
		{Param: "lot-number", Text: "aajn11k", Code: "AAJN11K"},
		{Param: "status", Code: "completed"},
		{Param: "identifier", System: "urn:ietf:rfc:3986", Code: "urn:oid:1.3.6.1.4.1.21367.2005.3.7.1234"},
		{Param: "location", RefType: "Location", RefID: "1"},
		{Param: "manufacturer", RefType: "Organization", RefID: "hl7"},
		{Param: "performer", RefType: "Practitioner", RefID: "example"},
		{Param: "reason-code", System: "http://snomed.info/sct", Code: "429060002"},
	} {
		tblHasEntry(t, "Immunization", obj, want)
	}
	if got := LookupParam("Immunization", "-immunization.target").Extract(obj); got != nil {
		t.Errorf("-immunization.target without target diseases = %+v", got)
	}

	proto := tblExample(t, "Immunization-protocol")
	tblHasEntry(t, "Immunization", proto, Entry{Param: "target-disease", System: "http://snomed.info/sct", Code: "40468003"})
	tblHasEntry(t, "Immunization", proto, Entry{Param: "target-disease", System: "http://snomed.info/sct", Code: "66071002"})
	tblHasEntry(t, "Immunization", proto, Entry{Param: "series", Text: "2-dose", Code: "2-dose"})
	// protocolApplied[0] is hepatitis A (40468003), which is no NHS vaccine type.
	if got := LookupParam("Immunization", "-immunization.target").Extract(proto); got != nil {
		t.Errorf("-immunization.target of hepatitis A = %+v", got)
	}
	tblHasEntry(t, "Immunization", tblExample(t, "Immunization-notGiven"),
		Entry{Param: "status-reason", System: "http://terminology.hl7.org/CodeSystem/v3-ActReason", Code: "MEDPREC", Text: "medical precaution"})
}

func TestExtractUKCoreImmunization(t *testing.T) {
	obj := tblLoad(t, filepath.Join("..", "testdata", "ukcore-immunization-covid.json"))
	lo, hi, _ := DateRange("2024-10-15T10:30:00+01:00")
	for _, want := range []Entry{
		{Param: "-immunization.target", Code: "COVID"},
		{Param: "target-disease", System: fhir.SystemSNOMED, Code: "840539006", Text: "disease caused by severe acute respiratory syndrome coronavirus 2"},
		{Param: "date", Low: lo, High: hi},
		{Param: "performer", System: "https://fhir.nhs.uk/Id/ods-organization-code", Code: "RX809", Text: "leeds vaccination centre"},
		{Param: "location", System: "https://fhir.nhs.uk/Id/ods-organization-code", Code: "X99999"},
		{Param: "_profile", Code: "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Immunization"},
	} {
		tblHasEntry(t, "Immunization", obj, want)
	}
	// The patient is a contained resource ("#Pat1"): no reference entry, but its NHS
	// number as an identifier entry, which patient.identifier matches.
	got := LookupParam("Immunization", "patient").Extract(obj)
	want := []Entry{{Param: "patient", System: fhir.SystemNHSNumber, Code: "9000000009"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("patient of a contained reference = %+v, want %+v", got, want)
	}
	for raw, match := range map[string]bool{
		"patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009": true,
		"patient.identifier=9000000009":                                   true,
		"patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000017": false,
		"patient:identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009": true,
		"patient.identifier:not=9000000017":                               false, // a modifier: through stored Patients only
		"patient.name=smith":                                              false,
	} {
		vals, _ := url.ParseQuery(raw)
		q, err := Parse("Immunization", vals, ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := Match(q, obj); got != match {
			t.Errorf("Match(%s) = %v, want %v", raw, got, match)
		}
	}
}

func TestExtractFlagCommunicationOrganization(t *testing.T) {
	flag := tblExample(t, "Flag-example")
	lo, _ := tblDay("2015-01-17")
	_, hi := tblDay("2016-12-01")
	for _, want := range []Entry{
		{Param: "date", Low: lo, High: hi},
		{Param: "patient", RefType: "Patient", RefID: "example", Text: "peter patient"},
		{Param: "subject", RefType: "Patient", RefID: "example", Text: "peter patient"},
		{Param: "author", RefType: "Practitioner", RefID: "example", Text: "nancy nurse"},
		{Param: "identifier", Code: "12345"},
		{Param: "status", Code: "inactive"},
		{Param: "category", System: "http://terminology.hl7.org/CodeSystem/flag-category", Code: "safety", Text: "safety"},
		{Param: "code", System: "http://example.org/local", Code: "bigdog", Text: "big dog"},
	} {
		tblHasEntry(t, "Flag", flag, want)
	}

	comm := tblExample(t, "Communication-example")
	lo, hi, _ = DateRange("2014-12-12T18:01:10-08:00")
	for _, want := range []Entry{
		{Param: "sent", Low: lo, High: hi},
		{Param: "medium", System: "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode", Code: "WRITTEN", Text: "written"},
		{Param: "patient", RefType: "Patient", RefID: "example"},
		{Param: "sender", RefType: "Device", RefID: "f001"},
		{Param: "recipient", RefType: "Practitioner", RefID: "example"},
		{Param: "instantiates-uri", Code: "http://example.org/hyperkalemia"},
		{Param: "identifier", System: "urn:oid:1.3.4.5.6.7", Code: "2345678901", Text: "paging system"},
	} {
		tblHasEntry(t, "Communication", comm, want)
	}
	if got := LookupParam("Communication", "part-of").Extract(comm); got != nil {
		t.Errorf("part-of with a display only = %+v", got)
	}

	org := tblExample(t, "Organization-1")
	tblHasEntry(t, "Organization", org, Entry{Param: "name", Text: "gastroenterology", Code: "Gastroenterology"})
	tblHasEntry(t, "Organization", org, Entry{Param: "identifier", System: "http://www.acme.org.au/units", Code: "Gastro"})
}

// Every official example extracts without surprise: each entry carries the parameter's
// name (or its :of-type twin) and the fields of its type.
func TestExtractAllExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "r4-examples", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		obj := tblLoad(t, f)
		typ := obj["resourceType"].(string)
		entries := ExtractAll(typ, obj)
		if len(entries) == 0 {
			t.Errorf("%s: no entries", f)
		}
		for _, e := range entries {
			name := e.Param
			if n, ok := tblCutOfType(name); ok {
				name = n
			}
			p := LookupParam(typ, name)
			if p == nil {
				t.Errorf("%s: entry of unknown parameter %q", f, e.Param)
				continue
			}
			if p.Type == TypeDate && e.Low >= e.High {
				t.Errorf("%s: %s: empty range %+v", f, e.Param, e)
			}
		}
		if !reflect.DeepEqual(entries, ExtractAll(typ, obj)) {
			t.Errorf("%s: ExtractAll is not deterministic", f)
		}
	}
}

func tblCutOfType(name string) (string, bool) {
	if len(name) > len(OfTypeSuffix) && name[len(name)-len(OfTypeSuffix):] == OfTypeSuffix {
		return name[:len(name)-len(OfTypeSuffix)], true
	}
	return name, false
}

func BenchmarkExtractAllPatient(b *testing.B) {
	obj := tblExample(b, "Patient-example")
	b.ReportAllocs()
	for b.Loop() {
		ExtractAll("Patient", obj)
	}
}

func BenchmarkExtractAllImmunization(b *testing.B) {
	obj := tblLoad(b, filepath.Join("..", "testdata", "ukcore-immunization-covid.json"))
	b.ReportAllocs()
	for b.Loop() {
		ExtractAll("Immunization", obj)
	}
}
