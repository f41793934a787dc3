package conformance

import (
	"slices"
	"strings"
	"sync"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
)

// The search part of the CapabilityStatement, from the parameter table that Parse, Match
// and the store run on: the statement lists exactly what a search accepts.
//
// The programme's own parameters have no SearchParameter resource on this server: their
// definition is the documentation below, which the statement carries in
// searchParam.documentation (and the parameter has no definition URL).

// programmeDocs documents the parameters R4 does not define, or whose meaning here goes
// beyond the official definition, by "Type.name".
var programmeDocs = map[string]string{
	"Immunization.-immunization.target": "NHS Immunisation API: the vaccine type, read from the SNOMED target diseases of " +
		"protocolApplied[0] (e.g. -immunization.target=COVID,FLU). Values are case-sensitive; unknown ones are ignored " +
		"with a warning OperationOutcome entry, and all unknown is a 400. One of: " + strings.Join(fhir.VaccineTypes(), ", ") + ".",
	"Immunization.target-disease": "As R4, and with system http://snomed.info/sct the vaccinations that protect against " +
		"the disease, combination vaccines included (measles 14189004 finds MMR and MMRV records). Values that are not " +
		"SNOMED codes are ignored with a warning; all of them invalid is a 400.",
	"Immunization.-date.from": "NHS Immunisation API: vaccinations on or after this day (YYYY-MM-DD, inclusive, one value), " +
		"the same as date=geYYYY-MM-DD; later than -date.to is a 400.",
	"Immunization.-date.to": "NHS Immunisation API: vaccinations on or before this day (YYYY-MM-DD, inclusive, one value), " +
		"the same as date=leYYYY-MM-DD.",
	"Immunization.patient": "As R4. The NHS Immunisation API's search is the chain " +
		"patient.identifier=https://fhir.nhs.uk/Id/nhs-number|{NHS number}, the number checked (Mod 11).",
	"Patient.ethnicity": "Programme parameter: the UK Core ethnic category, a token on the value of the extension " +
		fhir.ExtEthnicCategory + ", e.g. ethnicity=https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland|A.",
	"Patient.age": "Programme parameter, for cohorts: the age in whole years today (Europe/London), with eq, gt, ge, lt " +
		"or le (age=ge65&age=lt75). It is applied as the birthdate range it means, which the self link shows.",
	"Patient.general-practitioner": "As R4. The registered GP practice by ODS code: " +
		"general-practitioner:identifier=" + fhir.SystemODS + "|A81001.",
	"Flag.code":     "Programme parameter (R4 defines none for Flag): the Flag's code, e.g. the SNOMED code of a priority group or risk factor.",
	"Flag.status":   "Programme parameter (R4 defines none for Flag): active, inactive or entered-in-error.",
	"Flag.category": "Programme parameter (R4 defines none for Flag): the Flag's category, e.g. clinical or health-care worker.",
}

// aliases are parameters the parser rewrites into table parameters, so that they have no
// row of their own: -date.from and -date.to are date=ge/le, age is a birthdate range.
var aliases = map[string][]SearchParam{
	"Immunization": {{Name: "-date.from", Type: "date"}, {Name: "-date.to", Type: "date"}},
	"Patient":      {{Name: "age", Type: "number"}},
}

// SearchParams returns the search parameters of resource type typ, sorted by name: every
// parameter of the table that Parse accepts (composite and special ones it refuses are
// left out), and the parser's aliases.
func SearchParams(typ string) []SearchParam {
	var out []SearchParam
	for _, p := range search.AllParams(typ) {
		if p.Type == search.TypeComposite || p.Type == search.TypeSpecial {
			continue
		}
		out = append(out, SearchParam{Name: p.Name, Type: p.Type.String(), Definition: p.Definition, Documentation: programmeDocs[typ+"."+p.Name]})
	}
	for _, a := range aliases[typ] {
		a.Documentation = programmeDocs[typ+"."+a.Name]
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b SearchParam) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// SearchIncludes returns the _include values a search of typ accepts: Type:* and
// Type:param for each of its reference parameters.
func SearchIncludes(typ string) []string {
	var out []string
	for _, p := range search.AllParams(typ) {
		if p.Type == search.TypeReference {
			out = append(out, typ+":"+p.Name)
		}
	}
	if len(out) > 0 {
		out = append([]string{typ + ":*"}, out...)
	}
	return out
}

// SearchRevIncludes returns the _revinclude values a search of typ accepts: Type:param
// for every reference parameter, of any type, that may refer to typ.
func SearchRevIncludes(typ string) []string {
	return revIncludes()[typ]
}

var revIncludes = sync.OnceValue(func() map[string][]string {
	out := map[string][]string{}
	for _, from := range fhir.ResourceTypes() {
		for _, p := range search.AllParams(from) {
			if p.Type != search.TypeReference {
				continue
			}
			for _, to := range p.Targets {
				out[to] = append(out[to], from+":"+p.Name)
			}
		}
	}
	return out
})
