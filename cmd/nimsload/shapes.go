package main

import (
	"net/url"
	"sort"
	"strconv"
)

// searchShapes are the query shapes of issue 3's goals, over the population nimsload gen
// writes; each picks patient n at random.
var searchShapes = map[string]func(n int) string{
	"imm-by-patient": func(n int) string { return "Immunization?patient=Patient/pat-" + strconv.Itoa(n) },
	"patient-by-nhs": func(n int) string {
		return "Patient?identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|"+NHSNumber(n))
	},
	"chain": func(n int) string {
		return "Immunization?patient.identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|"+NHSNumber(n))
	},
	"token-date": func(n int) string {
		return "Immunization?-immunization.target=COVID&date=ge202" + strconv.Itoa(1+n%4) + "-06-01&_count=100"
	},
	"count": func(int) string { return "Immunization?-immunization.target=FLU&_summary=count" },
	"include": func(n int) string {
		return "Immunization?patient=Patient/pat-" + strconv.Itoa(n) + "&_include=Immunization:patient"
	},
	"has": func(n int) string {
		return "Patient?identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|"+NHSNumber(n)) +
			"&_has:Immunization:patient:-immunization.target=COVID"
	},
}

func shapeNames() []string {
	var names []string
	for n := range searchShapes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
