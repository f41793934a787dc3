package search

import (
	"testing"

	"github.com/nimsproject/nims/fhir"
)

// Reference, uri, chain and _has cases of TestParse.

var referenceCases = []parseCase{
	{name: "reference Type/id", typ: "Immunization", query: "patient=Patient/123", want: "patient=Patient/123",
		check: wantValue(Value{Raw: "Patient/123", RefType: "Patient", RefID: "123"})},
	{name: "reference id with one target", typ: "Immunization", query: "patient=123", want: "patient=Patient/123",
		check: wantValue(Value{Raw: "123", RefType: "Patient", RefID: "123"})},
	{name: "reference id with several targets", typ: "Encounter", query: "subject=123", want: "subject=123",
		check: wantValue(Value{Raw: "123", RefID: "123"})},
	{name: "reference type modifier", typ: "Encounter", query: "subject:Patient=123", want: "subject:Patient=123",
		check: func(t *testing.T, q *Query) {
			wantFilter(ModType, "Patient", 1)(t, q)
			if v := value(t, q, 0); v.RefType != "Patient" || v.RefID != "123" {
				t.Errorf("value = %+v, want Patient/123", v)
			}
		}},
	{name: "reference type modifier and Type/id", typ: "Encounter", query: "subject:Patient=Patient/123", want: "subject:Patient=123"},
	{name: "reference absolute url", typ: "Immunization", query: "patient=https://other.example/fhir/Patient/1",
		want:  "patient=https://other.example/fhir/Patient/1",
		check: wantValue(Value{Raw: "https://other.example/fhir/Patient/1", URL: "https://other.example/fhir/Patient/1"})},
	{name: "reference urn", typ: "Immunization", query: "patient=urn:uuid:0b9e5e0a-8f7c-4f7e-9c8e-6d1f0f6f1a11",
		want: "patient=urn:uuid:0b9e5e0a-8f7c-4f7e-9c8e-6d1f0f6f1a11"},
	{name: "reference identifier", typ: "Immunization", query: "patient:identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009",
		want:  "patient:identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009",
		check: wantValue(Value{Raw: "https://fhir.nhs.uk/Id/nhs-number|9000000009", System: fhir.SystemNHSNumber, Code: "9000000009"})},
	{name: "reference identifier bad nhs number", typ: "Immunization", query: "patient:identifier=https://fhir.nhs.uk/Id/nhs-number|9000000001",
		code: "invalid", diag: "Search parameter patient:identifier must be a valid NHS number."},
	{name: "reference missing", typ: "Immunization", query: "patient:missing=true", want: "patient:missing=true"},
	{name: "reference text", typ: "Immunization", query: "performer:text=Dr Who", want: "performer:text=Dr Who",
		check: wantValue(Value{Raw: "Dr Who", Text: "dr who"})},
	{name: "reference any type", typ: "AuditEvent", query: "entity=Immunization/1,2", want: "entity=Immunization/1,2",
		check: func(t *testing.T, q *Query) {
			if v := value(t, q, 1); v.RefType != "" || v.RefID != "2" {
				t.Errorf("value = %+v, want id 2 of any type", v)
			}
		}},
	{name: "reference wrong type", typ: "Immunization", query: "patient=Group/1", code: "invalid", diag: "patient cannot refer to a Group"},
	{name: "reference type modifier mismatch", typ: "Encounter", query: "subject:Patient=Group/1", code: "invalid", diag: "cannot refer to a Group"},
	{name: "reference type modifier not a target", typ: "Encounter", query: "subject:Medication=1", code: "invalid", diag: "does not refer to Medication"},
	{name: "reference not a type", typ: "Immunization", query: "patient=Nonsense/1", code: "invalid", diag: "is not Type/id"},
	{name: "reference bad id", typ: "Immunization", query: "patient=Patient/a b", code: "invalid", diag: "is not a valid resource id"},
	{name: "reference bad bare id", typ: "Immunization", query: "patient=a_b", code: "invalid", diag: "is not a valid resource id"},
	{name: "reference versioned", typ: "Immunization", query: "patient=Patient/1/_history/2", code: "not-supported", diag: "version-specific"},
	{name: "reference above", typ: "Immunization", query: "patient:above=Patient/1", code: "not-supported", diag: ":above"},
	{name: "reference exact", typ: "Immunization", query: "patient:exact=Patient/1", code: "invalid", diag: "does not apply to a reference"},
}

var uriCases = []parseCase{
	{name: "uri", typ: "Patient", query: "_profile=https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient",
		want:  "_profile=https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient",
		check: wantValue(Value{Raw: "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient", Code: "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"})},
	{name: "uri below", typ: "Patient", query: "_profile:below=https://fhir.hl7.org.uk", want: "_profile:below=https://fhir.hl7.org.uk"},
	{name: "uri above", typ: "Patient", query: "_profile:above=https://fhir.hl7.org.uk/a/b", want: "_profile:above=https://fhir.hl7.org.uk/a/b"},
	{name: "uri contains", typ: "Patient", query: "_source:contains=nims", want: "_source:contains=nims"},
	{name: "uri escaped comma", typ: "Patient", query: `_source=urn:a\,b`, want: `_source=urn:a\,b`},
	{name: "uri exact", typ: "Patient", query: "_profile:exact=x", code: "invalid", diag: "does not apply to a uri"},
}

var chainCases = []parseCase{
	{name: "chain patient.identifier", typ: "Immunization", query: "patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009",
		want: "patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009",
		check: func(t *testing.T, q *Query) {
			f := q.Filters[0]
			if f.Param != LookupParam("Immunization", "patient") || f.TargetType != "Patient" || f.Chain == nil ||
				f.Chain.Param != LookupParam("Patient", "identifier") || len(f.Values) != 0 {
				t.Errorf("filter = %+v, want patient → Patient.identifier", f)
			}
		}},
	{name: "chain bad nhs number", typ: "Immunization", query: "patient.identifier=https://fhir.nhs.uk/Id/nhs-number|1234567890",
		code: "invalid", diag: "Search parameter patient.identifier must be a valid NHS number."},
	{name: "chain three links", typ: "Immunization", query: "patient.organization.partof.name=NHS", want: "patient.organization.partof.name=NHS",
		check: func(t *testing.T, q *Query) {
			f := q.Filters[0]
			if f.Chain == nil || f.Chain.Chain == nil || f.Chain.Chain.Chain == nil || f.Chain.Chain.TargetType != "Organization" {
				t.Errorf("filter = %+v, want three links", f)
			}
		}},
	{name: "chain explicit type", typ: "Encounter", query: "subject:Patient.birthdate=ge2000", want: "subject:Patient.birthdate=ge2000",
		check: wantFilter(ModNone, "Patient", 1)},
	{name: "chain type from the next parameter", typ: "Encounter", query: "subject.birthdate=ge2000", want: "subject:Patient.birthdate=ge2000"},
	{name: "chain one target drops the type", typ: "Immunization", query: "patient:Patient.gender=male", want: "patient.gender=male"},
	{name: "chain leaf modifier", typ: "Encounter", query: "subject:Patient.name:exact=Smith", want: "subject:Patient.name:exact=Smith"},
	{name: "chain gp by ods", typ: "Immunization",
		query: "patient.general-practitioner:Organization.identifier=https://fhir.nhs.uk/Id/ods-organization-code|A12345",
		want:  "patient.general-practitioner:Organization.identifier=https://fhir.nhs.uk/Id/ods-organization-code|A12345"},
	{name: "chain ambiguous", typ: "Immunization", query: "patient.general-practitioner.identifier=https://fhir.nhs.uk/Id/ods-organization-code|A12345",
		code: "invalid", diag: "is ambiguous"},
	{name: "chain any-type ambiguous", typ: "AuditEvent", query: "entity.identifier=x", code: "invalid", diag: "name the type"},
	{name: "chain any-type explicit", typ: "AuditEvent", query: "entity:Patient.identifier=x", want: "entity:Patient.identifier=x"},
	{name: "chain not a target", typ: "Immunization", query: "patient:Group.name=x", code: "invalid", diag: `does not refer to "Group"`},
	{name: "chain from a string", typ: "Patient", query: "name.family=x", code: "invalid", diag: "only a reference parameter can be chained"},
	{name: "chain unknown link lenient", typ: "Immunization", query: "patient.nonsense=1", want: "", ignored: []string{`"patient.nonsense"`}},
	{name: "chain unknown link strict", typ: "Immunization", query: "patient.nonsense=1", strict: true, code: "not-supported", diag: `"patient.nonsense"`},
	{name: "chain too deep", typ: "Organization", query: "partof.partof.partof.partof.partof.partof.partof.partof.partof.name=x",
		code: "not-supported", diag: "more than 8 links"},
	{name: "chain missing on leaf", typ: "Immunization", query: "patient.birthdate:missing=true", want: "patient.birthdate:missing=true"},
}

var hasCases = []parseCase{
	{name: "has", typ: "Patient", query: "_has:Immunization:patient:vaccine-code=http://snomed.info/sct|1",
		want: "_has:Immunization:patient:vaccine-code=http://snomed.info/sct|1",
		check: func(t *testing.T, q *Query) {
			f := q.Filters[0]
			if f.Param != nil || f.Has == nil || f.Has.Type != "Immunization" || f.Has.RefParam != LookupParam("Immunization", "patient") ||
				f.Has.Filter.Param != LookupParam("Immunization", "vaccine-code") || len(f.Has.Filter.Values) != 1 {
				t.Errorf("filter = %+v, want _has Immunization.patient vaccine-code", f)
			}
		}},
	{name: "has with modifier", typ: "Patient", query: "_has:Immunization:patient:status:not=completed",
		want: "_has:Immunization:patient:status:not=completed"},
	{name: "has nested", typ: "Organization", query: "_has:Patient:organization:_has:Immunization:patient:status=completed",
		want: "_has:Patient:organization:_has:Immunization:patient:status=completed",
		check: func(t *testing.T, q *Query) {
			h := q.Filters[0].Has
			if h == nil || h.Filter.Has == nil || h.Filter.Has.Type != "Immunization" {
				t.Errorf("filter = %+v, want nested _has", q.Filters[0])
			}
		}},
	{name: "has then chain", typ: "Patient", query: "_has:Immunization:patient:performer:Organization.name=Leeds",
		want: "_has:Immunization:patient:performer:Organization.name=Leeds"},
	{name: "chain then has", typ: "Immunization", query: "patient._has:Flag:patient:code=x", want: "patient._has:Flag:patient:code=x"},
	{name: "has not a reference", typ: "Patient", query: "_has:Immunization:status:status=completed", code: "invalid", diag: "is not a reference parameter"},
	{name: "has does not refer", typ: "Organization", query: "_has:Immunization:patient:status=completed", code: "invalid", diag: "does not refer to Organization"},
	{name: "has not a type", typ: "Patient", query: "_has:Nonsense:patient:x=1", code: "invalid", diag: "is not a resource type"},
	{name: "has short", typ: "Patient", query: "_has:Immunization:patient=1", code: "invalid", diag: "_has:Type:reference-parameter:parameter=value"},
	{name: "has unknown reference lenient", typ: "Patient", query: "_has:Immunization:nonsense:status=x", want: "", ignored: []string{"_has:Immunization:nonsense:status"}},
	{name: "has unknown parameter strict", typ: "Patient", query: "_has:Immunization:patient:nonsense=x", strict: true, code: "not-supported", diag: "is not supported for Patient"},
}
