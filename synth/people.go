package synth

import (
	"math"
	"strconv"

	"github.com/nimsproject/nims/fhir"
)

// person is one registered patient while their records are written.
type person struct {
	n          int
	id         string // pat-n
	nhs        [10]byte
	female     bool
	birth, age int // age in years on the reference day
	death      int // day of death; 0 while alive
	eth        int // index into ethTable
	practice   int
	restricted bool
	lean       float64 // leaning towards vaccination, shared by all their programmes
	flags      [maxFlags]flagRec
	nFlags     int
	doses      [maxDoses]dose
	nDoses     int
	r          rng
}

var (
	// pyramidCum picks a (band, sex) cell: index band*2+sex.
	pyramidCum = func() []float64 {
		w := make([]float64, 0, 2*len(pyramid))
		for _, band := range pyramid {
			w = append(w, band[0], band[1])
		}
		return cumulative(w)
	}()
	// ethTable is ethnicities followed by notStated; ethCum[0] picks outside London,
	// ethCum[1] in London. The table's England shares are met overall: the rest of
	// England is England less London, weighted by London's share of the population.
	ethTable   = append(append([]ethnicity(nil), ethnicities...), notStated)
	ethCum     [2][]float64
	ethConcept []string
)

func init() {
	londonPop, total := 0, 0
	for _, c := range icbs {
		total += c.pop
		if c.region == london {
			londonPop += c.pop
		}
	}
	f := float64(londonPop) / float64(total)
	rest, inLondon := make([]float64, len(ethTable)), make([]float64, len(ethTable))
	for i, e := range ethTable {
		if e.code == notStated.code {
			rest[i], inLondon[i] = e.england, e.london
			continue
		}
		scale := 1 - notStated.england/100
		rest[i] = max(0, (e.england-f*e.london)/(1-f)) * scale
		inLondon[i] = e.london * scale
	}
	ethCum = [2][]float64{cumulative(rest), cumulative(inLondon)}
	for _, e := range ethTable {
		ethConcept = append(ethConcept, concept(fhir.SystemEthnicCategoryEngland, e.code, e.display))
	}
}

// draw makes person n, registered at practice k: everything about them but their records.
func (w *world) draw(p *person, n, k int) {
	*p = person{n: n, id: "pat-" + strconv.Itoa(n), practice: k, r: newRNG(w.cfg.Seed, uint64(n))}
	r := &p.r
	nhsNumber(&p.nhs, n, w.cfg.Seed)
	cell := r.pick(pyramidCum)
	band := cell / 2
	p.female = cell%2 == 1
	age := band*5 + r.intn(5)
	if band == len(pyramid)-1 { // 90 and over: fewer at each year of age
		age = 90 + int(12*(1-math.Sqrt(r.float())))
	}
	p.birth = r.between(addYears(w.ref, -(age+1))+1, min(addYears(w.ref, -age), w.ref-1))
	p.age = ageOn(p.birth, w.ref)
	inLondon := 0
	if icbs[w.practices[k].icb].region == london {
		inLondon = 1
	}
	p.eth = r.pick(ethCum[inLondon])
	if r.chance(mortality.at(p.age)) && p.birth+1 < w.ref {
		p.death = r.between(max(p.birth+1, w.ref-365), w.ref-1)
	}
	p.restricted = r.chance(restrictedShare)
	p.lean = r.float()
}

// decide reports whether the person takes up an offer whose uptake is rate: usually
// their own leaning decides, sometimes chance, so that each programme's uptake is rate
// and the same people tend to take up every programme.
func (p *person) decide(rate float64) bool {
	x := p.lean
	if !p.r.chance(propensityWeight) {
		x = p.r.float()
	}
	return x < rate
}

var (
	restrictedMeta = `,"meta":{"security":[` + string(coding(nil, fhir.SystemConfidentiality, "R", "restricted")) + `]}`
	verifiedNHS    = `{"extension":[{"url":"` + fhir.ExtNHSNumberVerificationStatus + `","valueCodeableConcept":` +
		concept(fhir.SystemNHSNumberVerificationStatusEngland, "01", "Number present and verified") +
		`}],"system":"` + fhir.SystemNHSNumber + `","value":"`
)

// patient writes the Patient.
func (g *gen) patient(p *person) {
	r, pr := &p.r, &g.w.practices[p.practice]
	e := &ethTable[p.eth]
	pool := &namePools[e.names]
	sex := 0
	if p.female {
		sex = 1
	}
	b := g.begin()
	b = append(b, `{"resourceType":"Patient","id":"`...)
	b = append(b, p.id...)
	b = append(b, '"')
	if p.restricted {
		b = append(b, restrictedMeta...)
	}
	b = append(b, `,"extension":[{"url":"`+fhir.ExtEthnicCategory+`","valueCodeableConcept":`...)
	b = append(b, ethConcept[p.eth]...)
	b = append(b, `}],"identifier":[`...)
	b = append(b, verifiedNHS...)
	b = append(b, p.nhs[:]...)
	b = append(b, `"}],"name":[{"use":"official","family":`...)
	b = appendQuoted(b, pool.family[r.intn(len(pool.family))])
	b = append(b, `,"given":[`...)
	b = appendQuoted(b, pool.given[sex][r.intn(len(pool.given[sex]))])
	b = append(b, "]}]"...)
	if p.age >= 16 && r.chance(mobileShare) {
		// Ofcom keeps 07700 900000-900999 for drama: numbers that ring no one.
		n := r.intn(1000)
		b = append(b, `,"telecom":[{"system":"phone","value":"07700 900`...)
		b = append(b, byte('0'+n/100), byte('0'+n/10%10), byte('0'+n%10))
		b = append(b, `","use":"mobile"}]`...)
	}
	if p.female {
		b = append(b, `,"gender":"female","birthDate":"`...)
	} else {
		b = append(b, `,"gender":"male","birthDate":"`...)
	}
	b = appendDate(b, p.birth)
	if p.death != 0 {
		b = append(b, `","deceasedDateTime":"`...)
		b = appendDate(b, p.death)
	}
	b = append(b, `","address":[{"use":"home","line":["`...)
	b = strconv.AppendInt(b, int64(1+r.intn(200)), 10)
	b = append(b, ' ')
	b = append(b, streets[r.intn(len(streets))]...)
	b = append(b, `"],"city":`...)
	b = appendQuoted(b, pr.town)
	b = append(b, `,"postalCode":"`...)
	b = postcode(b, r, pr.district)
	b = append(b, `"}],"generalPractitioner":`...)
	b = append(b, pr.gpRef...)
	b = append(b, '}')
	g.end(b, "Patient", p.id)
}
