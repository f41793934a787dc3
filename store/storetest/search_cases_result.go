package storetest

import (
	"fmt"
	"strings"
)

// Cases about the result rather than the filter: paging (_count small enough that most
// searches take many pages), _total, _summary, _elements, the sort keys with missing
// values, and the common parameters (_id, _lastUpdated, _tag, _security, _profile, _source).
var resultCases = []caseGroup{
	{"Patient/common", "Patient", append([]string{
		"_id=pat-001", "_id=pat-001,pat-023,pat-041", "_id:not=pat-001", "_id:missing=false", "_id=never",
		"_id=pat-001&_id=pat-002", "_id=|pat-001", "_id=https://sys.example|pat-001", "_id=PAT-001",
		"_lastUpdated=ge{lu:Patient/pat-100}", "_lastUpdated=gt{lu:Patient/pat-100}", "_lastUpdated=lt{lu:Patient/pat-100}",
		"_lastUpdated=le{lu:Patient/pat-100}", "_lastUpdated=eq{lu:Patient/pat-100}", "_lastUpdated={lu:Patient/pat-200}",
		"_lastUpdated=ne{lu:Patient/pat-100}", "_lastUpdated=sa{lu:Patient/pat-100}", "_lastUpdated=eb{lu:Patient/pat-100}",
		"_lastUpdated=gt{lu-1ms:Patient/pat-007}&_lastUpdated=lt{lu+1ms:Patient/pat-007}",
		"_lastUpdated={luday:Patient/pat-001}", "_lastUpdated=gt2000", "_lastUpdated=lt2000",
		"_lastUpdated:missing=true", "_lastUpdated=ge{lu:Patient/pat-007},lt{lu:Patient/pat-300}",
		"_tag=imported", "_tag=https://nims.example/tags|imported", "_tag=https://other.example/tags|imported",
		"_tag=https://nims.example/tags|", "_tag=superseded", "_tag:not=imported", "_tag:missing=true",
		"_tag=test,backfill", "_tag=imported&_tag=https://other.example/tags|",
		"_security=R", "_security=http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R", "_security:not=R",
		"_security=http://terminology.hl7.org/CodeSystem/v3-ActCode|HIV", "_security:missing=true",
		"_security:text=restricted", "_security=N",
		"_profile=https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient",
		"_profile=https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient|2.4.0",
		"_profile:below=https://fhir.hl7.org.uk/StructureDefinition", "_profile:below=https://fhir.hl7.org.uk/Structure",
		"_profile:above=https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient/extra",
		"_profile:contains=UKCore", "_profile:missing=true", "_profile:below=https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient",
		"_source=https://supplier-b.example/pds", "_source:below=https://supplier-a.example",
		"_source:below=https://supplier-a.example/gp-system", "_source:above=https://supplier-a.example/gp-system/v2/x",
		"_source:contains=supplier-a", "_source=urn:uuid:5b1e9f2c-3d4a-4b6c-8e7f-9a0b1c2d3e4f",
		"_source:missing=false", "_source:below=https://supplier-ab.example", "_source:contains=SUPPLIER",
		"_profile:contains=ukcore", "_source:contains=_", "_source:above=urn:uuid:5b1e9f2c-3d4a-4b6c-8e7f-9a0b1c2d3e4f",
	}, manyValues()...)},
	{"Patient/sort", "Patient", []string{
		"_sort=family", "_sort=-family", "_sort=birthdate", "_sort=-birthdate", "_sort=gender,-birthdate",
		"_sort=family,given", "_sort=-_lastUpdated", "_sort=_lastUpdated", "_sort=_id", "_sort=-_id",
		"_sort=address-city,family", "_sort=identifier", "_sort=-identifier", "_sort=death-date",
		"_sort=-death-date", "_sort=ethnicity,-family", "_sort=name", "_sort=-name", "_sort=phone",
		"_sort=active", "_sort=-deceased,birthdate", "_sort=address-postalcode", "_sort=-given,_id",
		"_sort=_tag", "_sort=-_profile", "_sort=_source", "_sort=email", "_sort=language", "_sort=-address-use",
		"family=smith&_sort=-birthdate&_count=2", "gender=female&_sort=family,-given&_count=7",
		"_sort=birthdate&birthdate=1960&_count=3", "_sort=-birthdate&birthdate:missing=false&_count=7",
		"_sort=gender&_count=7", "_sort=-active&_count=3", "_sort=-death-date&_count=3", "_sort=family&_count=3&name=macdonald",
		"_sort=-family,given&_count=7", "_sort=given", "_sort=-address-city&_count=7",
	}},
	{"Patient/paging", "Patient", []string{
		"_count=2", "_count=3", "_count=7", "_count=1", "_count=1000", "_count=5000", "gender=male&_count=3",
		"_total=accurate", "_total=accurate&_count=7", "_total=accurate&gender=female&_count=2",
		"_total=accurate&family=zzz", "_total=estimate&_count=3", "_total=none&_count=7",
		"_summary=count", "_summary=count&gender=male", "_summary=count&_has:Immunization:patient:status=not-done",
		"_count=0", "_count=0&birthdate=lt1950", "_summary=true&_count=3", "_summary=data&_count=7",
		"_summary=text&_count=7", "_summary=false&_count=2", "_elements=name,gender&_count=7",
		"_elements=identifier&_total=accurate&_count=3", "_summary=count&_total=accurate",
		"_include=Patient:general-practitioner&_count=7", "_include=Patient:general-practitioner:Organization&_count=3",
		"_include=Patient:organization", "_include=Patient:link", "_include=Patient:*&_count=7",
		"_include=Patient:general-practitioner&_include:iterate=Organization:partof&_count=7",
		"_revinclude=Immunization:patient&_count=7", "_revinclude=Flag:subject&_count=3", "_revinclude=Flag:patient&_count=7",
		"_revinclude=Communication:subject&_count=7", "_revinclude=Group:member", "_revinclude=Immunization:*&_count=3",
		"_revinclude=Communication:subject&_revinclude:iterate=Communication:part-of&_count=7",
		"_revinclude=Immunization:patient&_include:iterate=Immunization:performer&_count=3",
		"_revinclude=Immunization:patient&_revinclude:iterate=Observation:patient&_count=7",
		"_include=Patient:general-practitioner&_revinclude=Immunization:patient&_sort=-birthdate&_count=7",
		"_revinclude=Immunization:patient&_total=accurate&family=smith&_count=2",
		"_revinclude=Immunization:patient&_count=0", "_include:iterate=Patient:link&link:missing=false",
		"_include=Patient:link&_id=pat-010,pat-011", "_revinclude=Flag:subject:Patient&_count=7",
		"_revinclude=Flag:patient&_revinclude=Flag:subject&_count=7", "_revinclude:iterate=Patient:link&_id=pat-011",
		// Past the cap of MaxIncluded: Truncated, and exactly MaxIncluded included.
		"_count=1000&_revinclude=Immunization:patient&_revinclude=Communication:subject&_revinclude=Flag:subject" +
			"&_revinclude=Observation:subject&_include:iterate=Immunization:performer&_include:iterate=Immunization:location" +
			"&_include:iterate=Immunization:manufacturer&_include:iterate=Communication:based-on" +
			"&_include:iterate=Communication:sender&_include:iterate=Flag:author&_include:iterate=Organization:partof",
	}},
	{"Immunization/paging", "Immunization", []string{
		"_count=2&status=not-done", "_count=3&-immunization.target=MMR", "_count=7", "_count=1&patient=pat-010",
		"_total=accurate&_count=7&-immunization.target=COVID", "_summary=count", "_summary=count&-immunization.target=FLU",
		"_count=0&date=2021", "_summary=count&patient.gender=female", "_total=accurate&_sort=-date&_count=3",
		"_summary=count&_include=Immunization:patient",
	}},
}

// manyValues are cases with long OR lists (search.MaxValues is 100): each value is a
// term of the compiled query.
func manyValues() []string {
	var ids, dates []string
	for i := 1; i <= 100; i++ {
		ids = append(ids, fmt.Sprintf("pat-%03d", i*3))
	}
	for y := 1930; y < 2025; y += 3 {
		dates = append(dates, fmt.Sprintf("%d-0%d", y, 1+y%9))
	}
	return []string{
		"_id=" + strings.Join(ids, ","), "_id:not=" + strings.Join(ids, ","),
		"identifier={nhslist:101-160}", "birthdate=" + strings.Join(dates, ","),
		"_id=" + strings.Join(ids, ",") + "&_sort=-birthdate&_count=7",
	}
}
