package synth

import (
	"strconv"

	"github.com/nimsproject/nims/fhir"
)

// Priority groups are Flags: a SNOMED code for the finding or occupation, the HL7 flag
// category, and the programme's own priority category (the system the store tests use).

const prioritySystem = "https://nims.example/priority-category"

// flagIdentifierSystem names a person's Flag of a group "{code}-{NHS number}", as
// programme.ApplyPriorityList does, so that a list loaded later recognises them.
const flagIdentifierSystem = "https://nims.example/Id/priority-group-flag"

type flagKind struct {
	group, groupDisplay       string // priority category
	category, categoryDisplay string // http://terminology.hl7.org/CodeSystem/flag-category
	code, display             string // SNOMED CT
	json                      string // "category" and "code", built once
}

const (
	flagClinicalRisk = iota
	flagImmunosuppressed
	flagPregnant
	flagHealthCare
	flagSocialCare
	flagCarer
	flagCareHome
	maxFlags
)

var flagKinds = [maxFlags]flagKind{
	flagClinicalRisk:     {"clinical-risk", "Clinical risk group", "clinical", "Clinical", "78648007", "At risk for infection", ""},
	flagImmunosuppressed: {"clinical-risk", "Clinical risk group", "clinical", "Clinical", "1240581000000104", "Severely immunosuppressed", ""},
	flagPregnant:         {"pregnant", "Pregnant", "clinical", "Clinical", "77386006", "Patient currently pregnant", ""},
	flagHealthCare:       {"health-care-worker", "Health care worker", "admin", "Administrative", "223366009", "Healthcare professional", ""},
	flagSocialCare:       {"social-care-worker", "Social care worker", "admin", "Administrative", "106328005", "Social worker", ""},
	flagCarer:            {"unpaid-carer", "Unpaid carer", "admin", "Administrative", "133932002", "Caregiver", ""},
	flagCareHome:         {"care-home-resident", "Care home resident", "admin", "Administrative", "248171000000108", "Lives in care home", ""},
}

func init() {
	for i := range flagKinds {
		k := &flagKinds[i]
		k.json = `,"category":[` + concept("http://terminology.hl7.org/CodeSystem/flag-category", k.category, k.categoryDisplay) +
			`,` + concept(prioritySystem, k.group, k.groupDisplay) + `],"code":` + concept(fhir.SystemSNOMED, k.code, k.display)
	}
}

// flagRec is one flag of a person: its kind and period (end 0: open).
type flagRec struct {
	kind       int
	start, end int
}

func (p *person) addFlag(kind, start, end int) {
	p.flags[p.nFlags] = flagRec{kind, start, end}
	p.nFlags++
}

// flag returns the person's flag of kind, if any.
func (p *person) flag(kind int) (flagRec, bool) {
	for _, f := range p.flags[:p.nFlags] {
		if f.kind == kind {
			return f, true
		}
	}
	return flagRec{}, false
}

// sexRate scales a rate for a group whose members are femaleShare women.
func (p *person) sexRate(rate, femaleShare float64) float64 {
	if p.female {
		return rate * femaleShare / 0.5
	}
	return rate * (1 - femaleShare) / 0.5
}

// before is a start date up to years before ref, not before the day after from.
func (p *person) before(ref, years, from int) int {
	return max(from, ref-p.r.intn(max(years, 0)*365+1))
}

// drawFlags decides the person's priority groups on the reference day.
func (w *world) drawFlags(p *person) {
	r, ref, age := &p.r, w.ref, p.age
	if age < 65 && ref-p.birth >= 183 && r.chance(clinicalRisk.at(age)) {
		kind := flagClinicalRisk
		if r.chance(immunosuppressedShare) {
			kind = flagImmunosuppressed
		}
		p.addFlag(kind, p.before(ref, min(age, 20), p.birth+183), 0)
	}
	if p.female && age >= 16 && age <= 44 && r.chance(fertility.at(age)*34/52) {
		gestation := r.between(42, 280)
		conception := ref - gestation
		booked := conception + 42 + r.intn(min(gestation-42, 42)+1)
		p.addFlag(flagPregnant, booked, conception+280)
	}
	u := r.float()
	hcw, scw := p.sexRate(healthCareWorkers.at(age), hcwFemale), p.sexRate(socialCareWorkers.at(age), scwFemale)
	switch {
	case u < hcw:
		p.addFlag(flagHealthCare, p.before(ref, min(age-18, 25), p.birth), 0)
	case u < hcw+scw:
		p.addFlag(flagSocialCare, p.before(ref, min(age-18, 25), p.birth), 0)
	}
	if r.chance(p.sexRate(carers.at(age), carerFemale)) {
		p.addFlag(flagCarer, p.before(ref, min(age-5, 15), p.birth), 0)
	}
	if r.chance(careHome.at(age)) {
		p.addFlag(flagCareHome, p.before(ref, 4, p.birth), 0)
	}
}

// writeFlags writes the person's Flags; a dead person's are inactive, ended at death.
func (g *gen) writeFlags(p *person) {
	for _, f := range p.flags[:p.nFlags] {
		id := "flag-" + strconv.Itoa(p.n) + "-" + strconv.Itoa(f.kind)
		b := g.begin()
		b = append(b, `{"resourceType":"Flag","id":"`...)
		b = append(b, id...)
		b = append(b, `","identifier":[{"system":"`+flagIdentifierSystem+`","value":"`...)
		b = append(b, flagKinds[f.kind].code...)
		b = append(b, '-')
		b = append(b, p.nhs[:]...)
		b = append(b, `"}]`...)
		status, end := `,"status":"active"`, f.end
		start := f.start
		if p.death != 0 {
			status, end = `,"status":"inactive"`, p.death
			start = min(start, p.death)
		}
		b = append(b, status...)
		b = append(b, flagKinds[f.kind].json...)
		b = append(b, `,"subject":{"reference":"Patient/`...)
		b = append(b, p.id...)
		b = append(b, `"},"period":{"start":"`...)
		b = appendDate(b, start)
		if end != 0 {
			b = append(b, `","end":"`...)
			b = appendDate(b, end)
		}
		b = append(b, `"}}`...)
		g.end(b, "Flag", id)
	}
}
