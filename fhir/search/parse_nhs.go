package search

import (
	"slices"
	"strings"

	"github.com/nimsproject/nims/fhir"
)

// The NHS Immunisation API's search parameters on Immunization
// (reference/nhs-england.md §1.4), with its diagnostics. Each becomes an ordinary Filter,
// so that the backends and Match know nothing of them and Encode writes the plain FHIR
// form: -date.from=2021-01-01 is date=ge2021-01-01, target-disease is the
// -immunization.target types that protect against the disease.

// programmeParser handles a programme parameter; false hands the key to the generic
// parser (a modifier the programme form does not define).
type programmeParser func(p *parser, key, mod string, hasMod bool, vals []string) bool

// programmeParams are, by resource type, the parameters Parse rewrites.
var programmeParams map[string]map[string]programmeParser

func init() {
	programmeParams = map[string]map[string]programmeParser{
		"Immunization": {
			"-date.from":           (*parser).dateBound,
			"-date.to":             (*parser).dateBound,
			"-immunization.target": (*parser).vaccineTargets,
			"target-disease":       (*parser).targetDisease,
		},
		"Patient": {"age": (*parser).age},
	}
}

// dateBound reads -date.from or -date.to: one YYYY-MM-DD, inclusive, on the
// vaccination's date.
func (p *parser) dateBound(key, mod string, hasMod bool, vals []string) bool {
	name, _, _ := strings.Cut(key, ":")
	if hasMod {
		p.fail(invalidf("Search parameter %s takes no modifier.", name))
		return true
	}
	if len(vals) > 1 {
		p.fail(invalidf("Search parameter %s may have one value at most.", name))
		return true
	}
	date := LookupParam(p.typ, "date")
	if date == nil {
		p.fail(unsupportedf("Search parameter %s is not supported by this server.", name))
		return true
	}
	v := vals[0]
	low, high, ok := DateRange(v)
	if !ok || !isDay(v) {
		p.fail(invalidf("Search parameter %s must be in format: YYYY-MM-DD", name))
		return true
	}
	val := Value{Raw: v, Prefix: PrefixGe, Low: low, High: high}
	if name == "-date.to" {
		val.Prefix = PrefixLe
		p.dateTo = &val
	} else {
		p.dateFrom = &val
	}
	p.q.Filters = append(p.q.Filters, Filter{Param: date, Values: []Value{val}})
	return true
}

// isDay reports whether s has the shape YYYY-MM-DD (DateRange checks the calendar).
func isDay(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if i != 4 && i != 7 && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// vaccineTargets reads -immunization.target (and :not): vaccine types, case-sensitive.
// Some unknown types are dropped with a warning; all unknown is a 400, as in the NHS API.
func (p *parser) vaccineTargets(key, mod string, hasMod bool, vals []string) bool {
	prm := LookupParam(p.typ, "-immunization.target")
	if prm == nil || hasMod && mod != "not" {
		return false
	}
	f := Filter{Param: prm}
	if hasMod {
		f.Modifier = ModNot
	}
	for _, raw := range vals {
		var bad []string
		f.Values = nil
		for _, part := range splitUnescaped(raw, ',') {
			t := unescape(part)
			switch {
			case !slices.Contains(fhir.VaccineTypes(), t):
				bad = append(bad, t)
			case !slices.ContainsFunc(f.Values, func(v Value) bool { return v.Code == t }):
				f.Values = append(f.Values, Value{Raw: t, Code: t, AnySystem: true})
			}
		}
		if len(f.Values) == 0 {
			p.fail(invalidf("-immunization.target must be one or more of the following: %s", strings.Join(fhir.VaccineTypes(), ", ")))
			continue
		}
		if len(bad) > 0 {
			p.warn("Your search included invalid -immunization.target value(s) that were ignored: %s", echoList(bad))
		}
		p.q.Filters = append(p.q.Filters, f)
	}
	return true
}

// targetDisease reads target-disease=http://snomed.info/sct|code,…: the vaccinations
// that protect against any of the diseases, combination vaccines included (measles finds
// MMR and MMRV), as a filter on the vaccine types. A code the types do not cover can
// match no record (a record's diseases always make up a type), which the plain
// target-disease filter then says.
func (p *parser) targetDisease(key, mod string, hasMod bool, vals []string) bool {
	target, disease := LookupParam(p.typ, "-immunization.target"), LookupParam(p.typ, "target-disease")
	if hasMod || target == nil || disease == nil {
		return false
	}
	for _, raw := range vals {
		var codes, types []string
		for _, part := range splitUnescaped(raw, ',') {
			code, ok := snomedToken(part)
			if !ok {
				p.warn("Search parameter target-disease value %s is not a valid SNOMED code and was ignored.", echo(unescape(part)))
				continue
			}
			if slices.Contains(codes, code) {
				continue
			}
			codes = append(codes, code)
			covered := fhir.VaccineTypesProtectingAgainst(code)
			if len(covered) == 0 {
				p.warn("This service does not contain any vaccination types with the target disease requested: %s.", code)
			}
			for _, t := range covered {
				if !slices.Contains(types, t) {
					types = append(types, t)
				}
			}
		}
		if len(codes) == 0 {
			p.fail(invalidf("Search parameter target-disease must be one or more valid SNOMED codes from the supported target disease list."))
			continue
		}
		f := Filter{Param: target}
		if len(types) == 0 {
			f.Param = disease
			for _, c := range codes {
				f.Values = append(f.Values, Value{Raw: fhir.SystemSNOMED + "|" + c, System: fhir.SystemSNOMED, Code: c})
			}
		}
		slices.Sort(types)
		for _, t := range types {
			f.Values = append(f.Values, Value{Raw: t, Code: t, AnySystem: true})
		}
		p.q.Filters = append(p.q.Filters, f)
	}
	return true
}

// snomedToken reads http://snomed.info/sct|code or a bare code.
func snomedToken(part string) (string, bool) {
	ps := splitUnescaped(part, '|')
	var code string
	switch {
	case len(ps) == 1:
		code = ps[0]
	case len(ps) == 2 && unescape(ps[0]) == fhir.SystemSNOMED:
		code = ps[1]
	default:
		return "", false
	}
	return code, fhir.ValidSNOMEDCode(code)
}

// echoList quotes up to a few client values for a warning.
func echoList(vals []string) string {
	const most = 5
	var out []string
	for i, v := range vals {
		if i == most {
			out = append(out, "…")
			break
		}
		out = append(out, echo(v))
	}
	return strings.Join(out, ", ")
}
