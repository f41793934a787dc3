package synth

import (
	"strconv"
	"strings"

	"github.com/nimsproject/nims/fhir"
)

// The vaccines given, as the Immunization JSON fragments that say what they are, and
// the writer of an Immunization. Codes and their provenance are listed in docs/SEED.md.

type vaccine struct {
	procedure    string // CodeableConcept: the vaccination procedure
	product      string // CodeableConcept: vaccineCode
	manufacturer string
	sites        [2]string // CodeableConcepts; the first is used seven times in ten
	route        string
	dose         string // doseQuantity
	diseases     string // protocolApplied.targetDisease, from the NHS vaccine type
	lot          string // lot number prefix
	shelf        int    // days from the week a lot is used to its expiry
}

const immIdentifierSystem = "https://nims.example/Id/seed-immunization"

var (
	sct      = fhir.SystemSNOMED
	armLeft  = concept(sct, "368208006", "Left upper arm structure")
	armRight = concept(sct, "368209003", "Right upper arm structure")
	thigh    = concept(sct, "61396006", "Structure of left thigh")
	nose     = concept(sct, "279549004", "Nasal cavity structure")
	im       = concept(sct, "78421000", "Intramuscular route")
	sc       = concept(sct, "34206005", "Subcutaneous route")
	nasal    = concept(sct, "46713006", "Nasal route")

	pharmacistFlu = concept(sct, "955691000000108", "Seasonal influenza vaccination given by pharmacist")
)

func ml(v string) string {
	return `{"value":` + v + `,"unit":"milliliter","system":"` + fhir.SystemUCUM + `","code":"ml"}`
}

// targetDiseases is the targetDisease array of an NHS vaccine type.
func targetDiseases(typ string) string {
	var parts []string
	for _, code := range fhir.DiseasesOf(typ) {
		parts = append(parts, concept(sct, code, fhir.DiseaseName(code)))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func text(s string) string { return `{"text":` + string(appendQuoted(nil, s)) + `}` }

var (
	fluNasal = vaccine{concept(sct, "884861000000100", "First intranasal seasonal influenza vaccination"),
		text("Fluenz nasal spray suspension (live attenuated influenza vaccine)"), "AstraZeneca UK Ltd",
		[2]string{nose, nose}, nasal, ml("0.2"), targetDiseases("FLU"), "FZ", 120}
	fluInfant = vaccine{concept(sct, "985151000000100", "First inactivated seasonal influenza vaccination"),
		concept(sct, "34680411000001107", "Quadrivalent influenza vaccine (split virion, inactivated) (Sanofi Pasteur)"), "Sanofi Pasteur",
		[2]string{thigh, thigh}, im, ml("0.5"), targetDiseases("FLU"), "QV", 240}
	fluAdultSanofi = vaccine{concept(sct, "822851000000102", "Seasonal influenza vaccination"),
		concept(sct, "34680411000001107", "Quadrivalent influenza vaccine (split virion, inactivated) (Sanofi Pasteur)"), "Sanofi Pasteur",
		[2]string{armLeft, armRight}, im, ml("0.5"), targetDiseases("FLU"), "QV", 240}
	fluAdultPfizer = vaccine{concept(sct, "822851000000102", "Seasonal influenza vaccination"),
		concept(sct, "11278411000001109", "Influenza vaccine (split virion, inactivated) 0.5ml pre-filled syringe (Pfizer)"), "Pfizer Ltd",
		[2]string{armLeft, armRight}, im, ml("0.5"), targetDiseases("FLU"), "PF", 240}
	fluOlder = vaccine{concept(sct, "822851000000102", "Seasonal influenza vaccination"),
		concept(sct, "39566211000001103", "Supemtek Quadrivalent influenza vaccine (recombinant) (Sanofi)"), "Sanofi Pasteur",
		[2]string{armLeft, armRight}, im, ml("0.5"), targetDiseases("FLU"), "SU", 240}

	covidProc     = concept(sct, "1362591000000103", "Immunisation course to maintain protection against SARS-CoV-2")
	covidComirnty = vaccine{covidProc, concept(sct, "43111411000001101", "Comirnaty JN.1 COVID-19 mRNA vaccine 30micrograms/0.3ml (Pfizer)"), "Pfizer Ltd",
		[2]string{armLeft, armRight}, im, ml("0.3"), targetDiseases("COVID"), "HK", 180}
	covidSpikevax = vaccine{covidProc, concept(sct, "42985911000001104", "Spikevax JN.1 COVID-19 mRNA vaccine (Moderna)"), "Moderna Biotech UK Ltd",
		[2]string{armLeft, armRight}, im, ml("0.5"), targetDiseases("COVID"), "MJ", 180}
	covidChild = vaccine{covidProc, concept(sct, "43112711000001100", "Comirnaty JN.1 Children 5-11 years COVID-19 mRNA vaccine (Pfizer)"), "Pfizer Ltd",
		[2]string{armLeft, armRight}, im, ml("0.3"), targetDiseases("COVID"), "HC", 180}
	covidInfant = vaccine{covidProc, concept(sct, "43113211000001101", "Comirnaty JN.1 Children 6 months-4 years COVID-19 mRNA vaccine (Pfizer)"), "Pfizer Ltd",
		[2]string{thigh, thigh}, im, ml("0.3"), targetDiseases("COVID"), "HI", 180}

	rsv = vaccine{concept(sct, "1303503001", "Respiratory syncytial virus vaccination"),
		concept(sct, "42605811000001109", "Abrysvo respiratory syncytial virus vaccine (Pfizer)"), "Pfizer Ltd",
		[2]string{armLeft, armRight}, im, ml("0.5"), targetDiseases("RSV"), "RV", 300}

	mmrProduct = concept(sct, "13968211000001108", "M-M-RvaxPro vaccine powder and solvent for suspension for injection (MSD)")
	mmrFirst   = vaccine{concept(sct, "38598009", "Measles, mumps and rubella vaccination"), mmrProduct, "Merck Sharp & Dohme (UK) Ltd",
		[2]string{thigh, armLeft}, sc, ml("0.5"), targetDiseases("MMR"), "MR", 300}
	mmrSecond = vaccine{concept(sct, "170433008", "Second measles, mumps and rubella vaccination"), mmrProduct, "Merck Sharp & Dohme (UK) Ltd",
		[2]string{armLeft, armRight}, sc, ml("0.5"), targetDiseases("MMR"), "MR", 300}
	sixInOne = vaccine{concept(sct, "127785005", "Administration of substance to produce immunity, either active or passive"),
		text("Infanrix hexa (DTaP/IPV/Hib/HepB) vaccine"), "GlaxoSmithKline UK Ltd",
		[2]string{thigh, thigh}, im, ml("0.5"), targetDiseases("6IN1"), "IH", 300}
)

// Where a dose was given.
const (
	atPractice = iota
	atPharmacy
	atSchool
)

// dose is one vaccination of a person, before it is written.
type dose struct {
	v           *vaccine
	day, minute int
	number      int
	where       int
	procedure   string // overrides v.procedure when set
	series      string
}

const maxDoses = 8

// addDose keeps d if it was given before the reference day and while the person lived.
func (w *world) addDose(p *person, d dose) {
	if d.day >= w.ref || d.day < p.birth || p.death != 0 && d.day >= p.death || p.nDoses == maxDoses {
		return
	}
	d.minute = 8*60 + 30 + p.r.intn(570) // 08:30 to 17:59
	p.doses[p.nDoses] = d
	p.nDoses++
}

// immunization writes dose k of person p.
func (g *gen) immunization(p *person, k int, d *dose) {
	r, pr := &p.r, &g.w.practices[p.practice]
	v := d.v
	id := "imm-" + strconv.Itoa(p.n) + "-" + strconv.Itoa(k)
	proc := v.procedure
	if d.procedure != "" {
		proc = d.procedure
	}
	b := g.begin()
	b = append(b, `{"resourceType":"Immunization","id":"`...)
	b = append(b, id...)
	b = append(b, `","extension":[{"url":"`+fhir.ExtVaccinationProcedure+`","valueCodeableConcept":`...)
	b = append(b, proc...)
	b = append(b, `}],"identifier":[{"system":"`+immIdentifierSystem+`","value":"`...)
	b = append(b, id...)
	b = append(b, `"}],"status":"completed","vaccineCode":`...)
	b = append(b, v.product...)
	b = append(b, `,"patient":{"reference":"Patient/`...)
	b = append(b, p.id...)
	b = append(b, `"},"occurrenceDateTime":"`...)
	b = appendDateTime(b, d.day, d.minute)
	b = append(b, `","recorded":"`...)
	b = appendDateTime(b, d.day, min(d.minute+5+r.intn(120), 23*60+59))
	b = append(b, `","primarySource":true,"manufacturer":{"display":`...)
	b = appendQuoted(b, v.manufacturer)
	b = append(b, `},"location":{"identifier":`...)
	performer, place := pr.performer, d.day/7*7
	switch d.where {
	case atPharmacy:
		ph := r.intn(len(pr.pharmacies))
		b = odsIdentifier(b, pr.pharmacies[ph])
		performer = pr.pharmacyPerformer[ph]
		place += 7919 * (ph + 1)
	case atSchool:
		b = append(b, `{"system":"`+fhir.SystemSchoolURN+`","value":"`...)
		b = strconv.AppendInt(b, int64(100000+(p.practice*7+r.intn(5))%900000), 10)
		b = append(b, `"}`...)
	default:
		b = odsIdentifier(b, pr.ods)
	}
	// A lot is shared by the doses one place gives in one week.
	b = append(b, `},"lotNumber":"`...)
	b = append(b, v.lot...)
	b = strconv.AppendInt(b, int64(1000+(p.practice*37+place)%9000), 10)
	b = append(b, `","expirationDate":"`...)
	b = appendDate(b, d.day/7*7+v.shelf)
	b = append(b, `","site":`...)
	if r.chance(0.7) {
		b = append(b, v.sites[0]...)
	} else {
		b = append(b, v.sites[1]...)
	}
	b = append(b, `,"route":`...)
	b = append(b, v.route...)
	b = append(b, `,"doseQuantity":`...)
	b = append(b, v.dose...)
	b = append(b, `,"performer":[{"actor":`...)
	b = append(b, performer...)
	b = append(b, `}],"protocolApplied":[{`...)
	if d.series != "" {
		b = append(b, `"series":`...)
		b = appendQuoted(b, d.series)
		b = append(b, ',')
	}
	b = append(b, `"targetDisease":`...)
	b = append(b, v.diseases...)
	b = append(b, `,"doseNumberPositiveInt":`...)
	b = strconv.AppendInt(b, int64(d.number), 10)
	b = append(b, `}]}`...)
	g.end(b, "Immunization", id)
}
