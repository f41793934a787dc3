package storetest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/nimsproject/nims/fhir"
)

// Immunizations: several per patient, of the programme's vaccine types (target diseases
// as the NHS disease mapping defines them, combination vaccines included), given or not,
// at times on both sides of midnight and of the clock changes, written with every zone
// form; with performers, sites, manufacturers, reactions; a few as UK Core records with a
// contained Patient.

type vaccine struct {
	typ      string   // the NHS vaccine type; "" for a disease set that is none
	diseases []string // SNOMED target diseases
	product  [2]string
	proc     string // SNOMED procedure, for UK Core records
	lot      string
	from, to string // when such vaccinations are given
}

var vaccines = []vaccine{
	{"COVID", []string{"840539006"}, [2]string{"39114911000001105", "COVID-19 mRNA Vaccine Comirnaty 30micrograms/0.3ml dose concentrate"}, "1324681000000101", "FK", "2020-12-08", "2024-12-31"},
	{"COVID", []string{"840539006"}, [2]string{"43207411000001105", "COVID-19 Vaccine Spikevax (Moderna) 0.1mg/0.5ml dose"}, "1324691000000104", "ms", "2021-04-07", "2024-12-31"},
	{"FLU", []string{"6142004"}, [2]string{"34765811000001105", "Influenza Tetra MYL vaccine suspension for injection"}, "884861000000100", "QJ", "2020-09-01", "2025-01-31"},
	{"FLU", []string{"6142004"}, [2]string{"868241000000109", "Fluenz Tetra (Live attenuated influenza) nasal spray"}, "822851000000102", "nz", "2020-09-01", "2025-01-31"},
	{"MMR", []string{"14189004", "36989005", "36653000"}, [2]string{"13968211000001108", "M-M-RVAXPRO vaccine powder and solvent"}, "38598009", "T0", "2010-01-01", "2025-01-01"},
	{"MMRV", []string{"14189004", "36989005", "36653000", "38907003"}, [2]string{"432636005", "ProQuad measles, mumps, rubella and varicella vaccine"}, "432636005", "PQ", "2015-01-01", "2025-01-01"},
	{"6IN1", []string{"398102009", "397430003", "709410003", "27836007", "76902006", "66071002"}, [2]string{"414619005", "Infanrix hexa vaccine"}, "414619005", "HX", "2018-01-01", "2025-01-01"},
	{"", []string{"14189004"}, [2]string{"871751006", "Measles vaccine (monovalent)"}, "871751006", "MV", "2012-01-01", "2020-01-01"},
}

// edgeTimes are the first vaccinations' occurrences: midnight, the clock changes of 2021
// (BST began 28 March 01:00 UTC and ended 31 October 01:00 UTC), year ends, 29 February,
// partial dates.
var edgeTimes = []string{
	"2021-03-27T23:59:59+00:00", "2021-03-28T00:30:00+00:00", "2021-03-28T02:30:00+01:00",
	"2021-03-28", "2021-10-30T23:30:00Z", "2021-10-31T01:30:00+01:00", "2021-10-31T01:30:00+00:00",
	"2021-10-31", "2021-06-30T23:30:00+00:00", "2021-07-01T00:15:00+01:00", "2021-07-01",
	"2021-06-30T22:59:59Z", "2021-12-31T23:59:59.999+00:00", "2022-01-01T00:00:00+00:00",
	"2021-12-31T23:30:00-05:00", "2024-02-29", "2024-02-29T12:00:00Z", "2021-07", "2021",
	"2022-03-27T00:59:00Z", "2022-03-27T01:00:00Z", "2023-10-29T00:59:59+01:00", "2023-10-29T01:00:00+00:00",
}

func (g *gen) immunizationsOf(p *genResource) {
	n := g.weighted(3, 15, 30, 30, 15, 7)
	for range n {
		g.immSeq++
		id := fmt.Sprintf("imm-%04d", g.immSeq)
		if g.ukCoreLeft > 0 && g.immSeq%17 == 3 {
			g.ukCoreLeft--
			g.add("Immunization", id, g.ukCoreImmunization(p))
			continue
		}
		im := g.immunization(p)
		switch {
		case g.immSeq%37 == 0:
			g.add("Immunization", id, im, nil)
		case g.immSeq%11 == 0:
			v1 := clone(im)
			v1["lotNumber"] = "OLDLOT1"
			v1["status"] = "entered-in-error"
			v1["occurrenceDateTime"] = "1999-01-01"
			delete(v1, "occurrenceString")
			g.add("Immunization", id, v1, im)
		default:
			g.add("Immunization", id, im)
		}
	}
}

func (g *gen) vaccine() vaccine {
	return vaccines[g.weighted(25, 15, 18, 12, 10, 5, 8, 2)]
}

func (g *gen) occurrence(v vaccine, im obj) {
	if g.immSeq <= len(edgeTimes) {
		im["occurrenceDateTime"] = edgeTimes[g.immSeq-1]
		return
	}
	if g.chance(0.03) {
		im["occurrenceString"] = pick(g, []string{"last spring", "at school, year 8"})
		return
	}
	t := g.between(day(v.from), day(v.to))
	im["occurrenceDateTime"] = dateTime(t, g.weighted(50, 10, 20, 6, 5, 2, 3, 4)%7)
}

func (g *gen) immunization(p *genResource) obj {
	v := g.vaccine()
	im := obj{"status": "completed", "vaccineCode": concept(coding(fhir.SystemSNOMED, v.product[0], v.product[1]))}
	if g.chance(0.1) {
		im["vaccineCode"].(obj)["text"] = v.product[1]
	}
	switch g.weighted(85, 10, 5) {
	case 1:
		im["status"] = "not-done"
		r := pick(g, []struct{ code, display string }{{"IMMUNE", "immunity"}, {"MEDPREC", "medical precaution"}, {"PATOBJ", "patient objection"}, {"OSTOCK", "product out of stock"}})
		im["statusReason"] = concept(coding(actReason, r.code, r.display))
	case 2:
		im["status"] = "entered-in-error"
	}
	g.patientRef(p, im)
	g.occurrence(v, im)
	if g.chance(0.7) {
		im["recorded"] = "2025-01-15T09:00:00+00:00"
	}
	im["primarySource"] = g.chance(0.8)
	if g.chance(0.85) {
		im["lotNumber"] = fmt.Sprintf("%s%04d", v.lot, g.intn(10000))
	}
	if g.chance(0.7) {
		im["doseQuantity"] = obj{"value": json.Number(pick(g, []string{"0.3", "0.5", "0.25", "0.1", "0.2", "0.50"})), "unit": "ml", "system": fhir.SystemUCUM, "code": "mL"}
	}
	g.performers(p, im)
	switch g.weighted(60, 10, 30) {
	case 0:
		im["location"] = ref("Location", pick(g, g.locations).id)
	case 1:
		im["location"] = obj{"identifier": ident(fhir.SystemODS, "X99999")}
	}
	if g.chance(0.4) {
		im["manufacturer"] = ref("Organization", pick(g, g.mfrs).id)
	}
	if g.chance(0.05) {
		g.obsSeq++
		obsID := fmt.Sprintf("obs-%03d", g.obsSeq)
		g.add("Observation", obsID, obj{"status": "final", "code": concept(coding(fhir.SystemSNOMED, pick(g, []string{"422587007", "271807003", "68962001"}), "")),
			"subject": ref("Patient", p.id), "identifier": arr{ident("https://nims.example/observation", obsID)}})
		im["reaction"] = arr{obj{"date": pick(g, []string{"2021-05-02", "2022-01-10T08:00:00Z", "2023-11"}), "detail": ref("Observation", obsID), "reported": true}}
	}
	if g.chance(0.2) {
		im["reasonCode"] = arr{concept(coding(fhir.SystemSNOMED, pick(g, []string{"281657000", "713404003", "171279008"}), ""))}
	}
	if v.typ != "" || g.chance(0.5) {
		im["protocolApplied"] = g.protocols(v)
	}
	im["identifier"] = arr{ident(supplierSystem, fmt.Sprintf("V%06d", g.immSeq*7))}
	if m := g.meta("", 0.08, 0.1, 0.1); m != nil {
		im["meta"] = m
	}
	return im
}

func (g *gen) protocols(v vaccine) arr {
	var ds arr
	for _, d := range v.diseases {
		ds = append(ds, concept(coding(fhir.SystemSNOMED, d, fhir.DiseaseName(d))))
	}
	pa := obj{"targetDisease": ds}
	if g.chance(0.9) {
		pa["doseNumberPositiveInt"] = json.Number(fmt.Sprint(1 + g.intn(3)))
	} else {
		pa["doseNumberString"] = "Booster"
	}
	if g.chance(0.5) {
		pa["series"] = pick(g, []string{"Primary series", "Booster", "primary", "Autumn 2023 booster"})
	}
	out := arr{pa}
	if g.chance(0.05) { // a second protocol: -immunization.target reads the first only
		out = append(out, obj{"targetDisease": arr{concept(coding(fhir.SystemSNOMED, "6142004", "Influenza"))}, "doseNumberPositiveInt": json.Number("1")})
	}
	return out
}

// patientRef refers to the patient: relative, absolute, versioned, by identifier only,
// or a contained copy (which the patient parameter does not find).
func (g *gen) patientRef(p *genResource, im obj) {
	switch g.weighted(82, 5, 4, 4, 5) {
	case 0:
		im["patient"] = ref("Patient", p.id)
	case 1:
		im["patient"] = obj{"reference": absBase + "Patient/" + p.id}
	case 2:
		im["patient"] = obj{"reference": "Patient/" + p.id + "/_history/1"}
	case 3:
		im["patient"] = obj{"identifier": g.nhsIdentOf(p), "display": "Patient " + p.id}
	case 4:
		cp := obj{"resourceType": "Patient", "id": "pat"}
		if id := g.nhsIdentOf(p); id != nil {
			cp["identifier"] = arr{id}
		}
		if n, ok := p.versions[0]["name"]; ok {
			cp["name"] = n
		}
		im["contained"] = arr{cp}
		im["patient"] = obj{"reference": "#pat"}
	}
}

// nhsIdentOf returns the patient's NHS number identifier, or a local one.
func (g *gen) nhsIdentOf(p *genResource) obj {
	for _, v := range p.versions {
		if v == nil {
			continue
		}
		ids, _ := v["identifier"].(arr)
		for _, x := range ids {
			if x.(obj)["system"] == fhir.SystemNHSNumber {
				return clone(x.(obj))
			}
		}
	}
	return ident(mrnSystem, "UNKNOWN-"+p.id)
}

func (g *gen) performers(p *genResource, im obj) {
	var ps arr
	if g.chance(0.7) {
		ps = append(ps, obj{"actor": ref("Practitioner", pick(g, g.practs).id)})
	}
	switch g.weighted(50, 15, 35) {
	case 0:
		prac := pick(g, g.practices)
		ps = append(ps, obj{"actor": obj{"reference": "Organization/" + prac.id, "type": "Organization", "display": prac.versions[0]["name"]}})
	case 1:
		ps = append(ps, obj{"actor": obj{"identifier": ident(fhir.SystemODS, "RR801"), "type": "Organization"}})
	}
	if ps != nil {
		im["performer"] = ps
	}
}

// ukCoreImmunization is a record as the NHS Immunisation API takes it: UK Core profile,
// contained Patient, one business identifier, the vaccination procedure, UK offsets.
func (g *gen) ukCoreImmunization(p *genResource) obj {
	v := vaccines[g.intn(5)]
	g.ukCoreSeq++
	t := g.between(day("2023-09-01"), day("2024-12-01"))
	cp := obj{"resourceType": "Patient", "id": "Pat1", "identifier": arr{g.nhsIdentOf(p)},
		"name":   arr{obj{"family": pick(g, families), "given": arr{pick(g, givens)}}},
		"gender": pick(g, []string{"male", "female"}), "birthDate": "1957-03-0" + fmt.Sprint(1+g.intn(9)),
		"address": arr{obj{"postalCode": g.postcode("LS")}}}
	if cp["identifier"].(arr)[0].(obj)["system"] != fhir.SystemNHSNumber {
		delete(cp, "identifier")
	}
	prac := pick(g, g.practices)
	ods := prac.versions[0]["identifier"].(arr)[0].(obj)["value"].(string)
	im := obj{
		"meta":      obj{"profile": arr{fhir.ProfileUKCoreImmunization}},
		"contained": arr{cp},
		"extension": arr{obj{"url": fhir.ExtVaccinationProcedure,
			"valueCodeableConcept": concept(coding(fhir.SystemSNOMED, v.proc, "Vaccination procedure"))}},
		"identifier":         arr{ident("https://supplierABC/identifiers/vacc", fmt.Sprintf("ukc-%03d", g.ukCoreSeq))},
		"status":             "completed",
		"vaccineCode":        concept(coding(fhir.SystemSNOMED, v.product[0], v.product[1])),
		"patient":            obj{"reference": "#Pat1"},
		"occurrenceDateTime": t.In(londonZone).Format("2006-01-02T15:04:05-07:00"),
		"recorded":           t.Add(time.Hour).UTC().Format("2006-01-02T15:04:05+00:00"),
		"primarySource":      true,
		"location":           obj{"identifier": ident(fhir.SystemODS, "RR801")},
		"performer":          arr{obj{"actor": obj{"type": "Organization", "identifier": ident(fhir.SystemODS, ods)}}},
		"lotNumber":          fmt.Sprintf("%s%04d", v.lot, g.intn(10000)),
		"protocolApplied":    arr{obj{"targetDisease": g.protocols(v)[0].(obj)["targetDisease"], "doseNumberPositiveInt": json.Number("1")}},
	}
	return im
}
