package storetest

// The table of the differential test: URL query strings per resource type, in groups by
// feature, each checked against search.Match over the generated dataset. Placeholders
// in braces are filled from the dataset as stored (see searchData.expand). Cases state a
// query only; what it must return is whatever Match says, so a case can be added without
// working out its answer by hand.

// caseGroup is a group of cases on one resource type.
type caseGroup struct {
	name    string
	typ     string
	queries []string
}

// searchCaseGroups is the whole table. Paging is exercised everywhere: the default page
// is 50, and many cases ask for 2, 3 or 7.
var searchCaseGroups = concatGroups(patientCases, immunizationCases, programmeCases, organizationCases, resultCases)

func concatGroups(parts ...[]caseGroup) []caseGroup {
	var out []caseGroup
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var patientCases = []caseGroup{
	{"Patient/string", "Patient", []string{
		"family=smith", "family=SMITH", "family=smi", "family=Smith-", "family=o'b", "family=o",
		"family=%C3%B3'bri", "family=muller", "family=mueller", "family=M%C3%9CLLER", "family=garcia",
		"family=nguyen", "family=lukasik", "family=odegard", "family=bronte", "family=strauss",
		"family=STRAUSS", "family=aesir", "family=celik", "family=dvorak", "family=le%20roux",
		"family=le", "family=de%20la", "family=van%20der%20berg", "family=ni%20bhriain", "family=evans",
		"family=formername", "family=deletedbefore", "family=mac,mc", "family=smith&family=smith-jones",
		"family:exact=Smith", "family:exact=SMITH", "family:exact=smith", "family:exact=M%C3%BCller",
		"family:exact=Muller", "family:exact=Smi", "family:exact=Smith,Jones",
		"family:contains=on", "family:contains=ALD", "family:contains=%C3%BC", "family:contains=-jo",
		"family:contains=%20", "family:contains=zzz", "family:missing=true", "family:missing=false",
		"given=zoe", "given=jos", "given=JOHN", "given=mary", "given=mary-jane", "given=ann",
		"given:exact=Ann", "given:exact=Zo%C3%AB", "given:contains=oe", "given=siobhan", "given=lucja",
		"given=emile", "given=bjorn", "given:missing=true",
		"name=smith", "name=anne%20mac", "name=mr", "name=dr", "name:exact=Dr", "name:contains=son",
		"name=macdonald,mcdonald", "name=smith&given=john", "name=zzz", "name=%20%20Smith%20",
		"phonetic=smith", "phonetic=bronte",
		"address=leeds", "address=LS1", "address=ls", "address:contains=high%20street",
		"address:contains=eglise", "address:contains=nandu", "address=united", "address=gb",
		"address-city=leeds", "address-city:exact=LEEDS", "address-city=newcastle",
		"address-city=saint,bury", "address-city:contains=upon", "address-postalcode=LS",
		"address-postalcode=ls1", "address-postalcode:contains=%201", "address-postalcode=ZZ9",
		"address-country=gb", "address-country:exact=England", "address-state:missing=true",
		"address-state=west", "address:missing=true", "address-city:missing=true", "address=oldtown",
		// Values a compiler to SQL can get wrong: LIKE wildcards, an empty normalised value,
		// an escaped comma, other scripts, a dotted capital I, a typographic apostrophe.
		"family=%20", "family:contains=_", "family=%25", "name:contains=%25", "address:contains=_b",
		"address:contains=50%25", "address=flat%205_", "address=flat%205%25", `name=macdonald\,%20fatima`,
		"name=macdonald,fatima", "given=%CE%B5%CE%BB", "given=%CE%95%CE%9B%CE%88%CE%9D%CE%97",
		"family=%D0%B4%D0%BC%D0%B8", "given=ilkay", "given=%C4%B0LKAY", "given=%E7%8E%8B",
		"family=o%E2%80%99b", "family:exact=O%E2%80%99Brien", "family:exact=O'Brien", "given:contains=%CE%BB%CE%B5",
	}},
	{"Patient/token", "Patient", []string{
		"gender=male", "gender=female,other", "gender=unknown", "gender:not=male", "gender:not=male,female",
		"gender:missing=true", "gender:missing=false", "gender=http://hl7.org/fhir/administrative-gender|male",
		"gender=|male", "gender=female&gender:not=female",
		"identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs:pat-001}", "identifier={nhs:pat-001}",
		"identifier=|{nhs:pat-001}", "identifier=https://fhir.nhs.uk/Id/nhs-number|",
		"identifier=https://trust.example/mrn|", "identifier=|H00155", "identifier=H00155",
		"identifier={nhs:pat-001},{nhs:pat-002},{nhs:pat-003}", "identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs:pat-007}",
		"identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs:pat-023}", "identifier={nhs:pat-082}",
		"identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|H00155",
		"identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|h00155",
		"identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|NH|H00155",
		"identifier:text=hospital", "identifier:text=hosp%20num", "identifier:not=https://fhir.nhs.uk/Id/nhs-number|",
		"identifier:missing=true", "identifier:missing=false",
		`identifier=https://nims.example/odd|A\,1`, `identifier=https://nims.example/odd|B\|2`,
		`identifier=https://nims.example/odd|C\$3`, `identifier=https://nims.example/odd|D\\4`,
		`identifier=https://nims.example/odd|E\,\|\$5`, `identifier=A\,1,B\|2`, `identifier=A,1`,
		`identifier=https://nims.example/odd|A\,1,https://nims.example/odd|C\$3`, `identifier=C$3`,
		"active=true", "active=false", "active:missing=true", "active:not=true",
		"deceased=true", "deceased=false", "deceased:not=true", "deceased:missing=true",
		"email=patient001@example.org", "email=PATIENT001@example.org", "email:missing=true",
		"phone=07700%20900017", "phone:missing=false", "telecom=07700%20900034,patient002@example.org",
		"telecom=0000%20000%200000", "language=cy", "language=urn:ietf:bcp:47|pl", "language:missing=false",
		"ethnicity=A", "ethnicity=https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland|A",
		"ethnicity=https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland|99",
		"ethnicity:text=british", "ethnicity:text=irish", "ethnicity:text=not", "ethnicity:not=A",
		"ethnicity:missing=true", "ethnicity=https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland|",
		"ethnicity=A,B,C", "address-use=home", "address-use=old", "address-use:missing=true",
		"address-use:not=home", "identifier=h00155",
		"identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|H00155,http://terminology.hl7.org/CodeSystem/v2-0203|MR|H00341",
	}},
	{"Patient/date", "Patient", []string{
		"birthdate=1960-06-15", "birthdate=1960-06", "birthdate=1960", "birthdate=eq1960",
		"birthdate=ne1960", "birthdate=gt1960-06-15", "birthdate=ge1960-06-15", "birthdate=lt1960-06-15",
		"birthdate=le1960-06-15", "birthdate=sa1960-06", "birthdate=eb1960-06", "birthdate=gt1960",
		"birthdate=lt1950", "birthdate=le1950-01-01", "birthdate=ge2020-02-29", "birthdate=ap1960-06-15",
		"birthdate=ap1950", "birthdate=ap2000-01-01", "birthdate=ap2025-06", "birthdate=2020-02-29",
		"birthdate=1960-06-15T12:00", "birthdate=gt1960-06-15T12:00:00Z", "birthdate=lt1960-06-15T23:30:00%2B01:00",
		"birthdate=lt1960-06-15T23:30:00+01:00", "birthdate=ge1960-06-14&birthdate=le1960-06-16",
		"birthdate=1950,1960", "birthdate=lt1930,gt2020", "birthdate:missing=true", "birthdate:missing=false",
		"birthdate=eb1925", "birthdate=1901-01-01", "birthdate=sa2024-12-31", "birthdate=ne1960-06-15",
		"birthdate=le1949-12", "birthdate=ge1949-12-31T23:59:59.999Z",
		"death-date=2023", "death-date=lt2022", "death-date:missing=false", "death-date=ge2024-03-30T23:30:00Z",
		"death-date=2024-03-31", "death-date=2024-03-30", "death-date=2022-11-15", "death-date=ne2022-11",
		"age=65", "age=ge65", "age=gt65", "age=lt65", "age=le65", "age=ge65&age=lt75", "age=0",
		"age=ge100", "age=5&gender=male",
	}},
	{"Patient/reference", "Patient", []string{
		"general-practitioner=Organization/org-prac-01", "general-practitioner=org-prac-01",
		"general-practitioner:Organization=org-prac-04", "general-practitioner=Practitioner/prac-07",
		"general-practitioner:Practitioner=prac-02", "general-practitioner=https://nims.example/fhir/Organization/org-prac-06",
		"general-practitioner=https://other.example/fhir/Organization/org-prac-06",
		"general-practitioner=Organization/org-prac-06", "general-practitioner=Organization/org-prac-24",
		"general-practitioner:identifier=https://fhir.nhs.uk/Id/ods-organization-code|{ods:org-prac-07}",
		"general-practitioner:identifier={ods:org-prac-03}", "general-practitioner:identifier=https://fhir.nhs.uk/Id/ods-organization-code|",
		"general-practitioner:missing=true", "general-practitioner:missing=false",
		"general-practitioner=Organization/org-prac-01,Organization/org-prac-02,Practitioner/prac-04",
		"general-practitioner:text=dr%20o'neill", "general-practitioner:text=riverside", "general-practitioner:text=health",
		"organization=Organization/org-icb-1", "organization=org-icb-2", "organization:missing=false",
		"link=Patient/pat-011", "link=pat-023", "link:missing=false", "link:Patient=pat-013",
		"general-practitioner=Organization/org-prac-01&general-practitioner:missing=false",
		"general-practitioner:Organization=https://nims.example/fhir/Organization/org-prac-06",
		"general-practitioner:Practitioner=https://nims.example/fhir/Organization/org-prac-06",
		"general-practitioner=https://nims.example/fhir/Organization/org-prac-06/_history/3",
	}},
	{"Patient/chain", "Patient", []string{
		"general-practitioner:Organization.identifier={ods:org-prac-05}",
		"general-practitioner:Organization.name=riverside", "general-practitioner:Organization.name=the",
		"general-practitioner:Organization.partof.identifier=https://fhir.nhs.uk/Id/ods-organization-code|QWO",
		"general-practitioner:Organization.partof.partof.name=nhs%20england%20london",
		"general-practitioner:Organization.partof:Organization.partof:Organization.identifier=Y63",
		"general-practitioner:Organization.active=false", "general-practitioner:Practitioner.family=smith",
		"general-practitioner:Practitioner.active=false", "general-practitioner:Organization.address-city=leeds",
		"organization.name=west", "organization.partof.identifier=Y56", "link:Patient.family=smith",
		"link:Patient.birthdate=lt2000", "general-practitioner:Organization._id=org-prac-24",
		"general-practitioner:Organization.identifier={ods:org-prac-07}&gender=female",
		"general-practitioner:Organization.name=old%20mill", "general-practitioner:Practitioner._id=prac-15",
		"general-practitioner:Organization.partof.name=west,greater",
		"general-practitioner:Organization.partof.identifier=QWO&general-practitioner:Organization.name=riverside",
		"general-practitioner:Organization.partof:missing=true", "general-practitioner:Organization.address-city:missing=true",
		"link:Patient.general-practitioner:missing=false",
	}},
	{"Patient/has", "Patient", []string{
		"_has:Immunization:patient:vaccine-code=http://snomed.info/sct|39114911000001105",
		"_has:Immunization:patient:status=not-done", "_has:Immunization:patient:-immunization.target=MMR",
		"_has:Immunization:patient:-immunization.target=MMRV,6IN1", "_has:Immunization:patient:target-disease=14189004",
		"_has:Immunization:patient:date=ge2024", "_has:Immunization:patient:date=2021-07-01",
		"_has:Flag:patient:code=http://snomed.info/sct|713404003", "_has:Flag:subject:status=active",
		"_has:Communication:subject:category=reminder", "_has:Communication:recipient:medium=SMSWRIT",
		"_has:Group:member:actual=true", "_has:Group:member:_has:Communication:based-on:status=completed",
		"_has:Immunization:patient:performer:Practitioner.family=smith",
		"_has:Immunization:patient:location.identifier=RR801",
		"_has:Immunization:patient:vaccine-code=http://snomed.info/sct|39114911000001105&_has:Immunization:patient:status=not-done",
		"_has:Immunization:patient:lot-number=oldlot", "_has:Immunization:patient:status=entered-in-error&gender=female",
		"_has:Immunization:patient:reaction:missing=false", "_has:Observation:subject:identifier=https://nims.example/observation|",
		"_has:Immunization:patient:status:not=completed", "_has:Immunization:patient:patient.gender=female",
		"_has:Immunization:patient:_id=imm-0001,imm-0002,imm-0010", "_has:Flag:patient:date:missing=true",
		"_has:Immunization:patient:_lastUpdated=gt2000", "_has:Immunization:patient:_security=R",
	}},
}
