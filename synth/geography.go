package synth

import (
	"math"
	"slices"
	"strconv"

	"github.com/nimsproject/nims/fhir"
)

const (
	odsSystem = fhir.SystemODS
	// listSize is the average number of patients a practice registers.
	listSize = 9500
)

// practice is one GP practice: its place in the hierarchy, its code and address, and
// the people registered there (persons first .. first+count-1).
type practice struct {
	icb          int
	ods, name    string
	district     string // postcode district, e.g. LS6
	town         string
	first, count int
	pharmacies   [2]string // nearby community pharmacies (ODS codes), performers of some vaccinations
	// JSON, built once: Patient.generalPractitioner, and Immunization performer actors.
	gpRef, performer  string
	pharmacyPerformer [2]string
}

// world is the fixed frame every person is drawn into.
type world struct {
	cfg       Config
	ref       int // the reference day
	season    season
	practices []practice
	starts    []int // starts[k] = practices[k].first, for finding a person's practice
}

// newWorld lays out practices for cfg.Patients people: about one per listSize people
// and at least one per ICB, shared among ICBs in proportion to their populations, and
// the people shared the same way, then among each ICB's practices by list size.
func newWorld(cfg Config) *world {
	w := &world{cfg: cfg, ref: dayOfTime(cfg.RefDate)}
	w.season = newSeason(w.ref)
	r := newRNG(cfg.Seed, 1<<62)
	pops := make([]float64, len(icbs))
	for i, c := range icbs {
		pops[i] = float64(c.pop)
	}
	nPractices := max(len(icbs), int(math.Round(float64(cfg.Patients)/listSize)))
	perICB := apportion(nPractices-len(icbs), pops)
	people := apportion(cfg.Patients, pops)
	serial := map[byte]int{}
	for i := range icbs {
		weights := make([]float64, perICB[i]+1)
		for k := range weights {
			weights[k] = math.Exp(0.45 * r.normal()) // list sizes vary about threefold either way
		}
		for _, count := range apportion(people[i], weights) {
			w.practices = append(w.practices, w.newPractice(&r, i, count, serial))
		}
	}
	first := 0
	for k := range w.practices {
		w.practices[k].first = first
		w.starts = append(w.starts, first)
		first += w.practices[k].count
	}
	return w
}

// newPractice makes the next practice of ICB i, with count people: its code, name,
// district and the JSON its patients' records will point at it with.
func (w *world) newPractice(r *rng, i, count int, serial map[byte]int) practice {
	c := &icbs[i]
	p := practice{icb: i, count: count}
	letters := regions[c.region].letters
	letter := letters[r.intn(len(letters))]
	p.ods = string(letter) + strconv.Itoa(81001+serial[letter])
	serial[letter]++
	p.name = practiceFirst[r.intn(len(practiceFirst))] + " " + practiceKind[r.intn(len(practiceKind))]
	a := pickArea(r, c.areas)
	p.district = a.area + strconv.Itoa(r.between(a.lo, a.hi))
	p.town = a.town
	for j := range p.pharmacies {
		x := len(w.practices)*2 + j
		p.pharmacies[j] = "F" + string(rune('A'+x%26)) + strconv.Itoa(100+x/26%900)
		p.pharmacyPerformer[j] = `{"type":"Organization","identifier":` + string(odsIdentifier(nil, p.pharmacies[j])) + `,"display":"Community pharmacy"}`
	}
	ref := `{"reference":"Organization/org-` + p.ods + `","type":"Organization","identifier":` + string(odsIdentifier(nil, p.ods))
	p.gpRef = "[" + ref + "}]"
	p.performer = ref + `,"display":` + string(appendQuoted(nil, p.name)) + "}"
	return p
}

// pickArea picks one of an ICB's postcode runs, in proportion to how many districts it has.
func pickArea(r *rng, areas []postArea) postArea {
	total := 0
	for _, a := range areas {
		total += a.hi - a.lo + 1
	}
	x := r.intn(total)
	for _, a := range areas {
		if x -= a.hi - a.lo + 1; x < 0 {
			return a
		}
	}
	return areas[len(areas)-1]
}

// practiceOf returns the index of the practice person n is registered at.
func (w *world) practiceOf(n int) int {
	k, found := slices.BinarySearch(w.starts, n)
	if !found {
		k--
	}
	for w.practices[k].count == 0 { // empty practices share their start with the next one
		k++
	}
	return k
}

// apportion splits total into integer parts proportional to weights, by largest remainder.
func apportion(total int, weights []float64) []int {
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	out := make([]int, len(weights))
	rem := make([]float64, len(weights))
	given := 0
	for i, w := range weights {
		exact := float64(total) * w / sum
		out[i] = int(exact)
		rem[i] = exact - float64(out[i])
		given += out[i]
	}
	for ; given < total; given++ {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		out[best]++
		rem[best] = -1
	}
	return out
}

// postcode appends a full postcode in district: the district, a space, a sector digit
// and two unit letters.
func postcode(b []byte, r *rng, district string) []byte {
	b = append(b, district...)
	return append(b, ' ', byte('0'+r.intn(10)), inwardLetters[r.intn(len(inwardLetters))], inwardLetters[r.intn(len(inwardLetters))])
}

// organizations emits the regions, the ICBs (partOf their region) and the practices
// (partOf their ICB), in that order.
func (w *world) organizations(emit func(Resource) error) error {
	var b []byte
	org := func(ods, name, typeCode, typeDisplay, parent string, addr func([]byte) []byte) error {
		b = append(b[:0], `{"resourceType":"Organization","id":`...)
		b = appendQuoted(b, "org-"+ods)
		b = append(b, `,"identifier":[`...)
		b = odsIdentifier(b, ods)
		b = append(b, `],"active":true,"type":[`...)
		b = append(b, concept("http://terminology.hl7.org/CodeSystem/organization-type", typeCode, typeDisplay)...)
		b = append(b, `],"name":`...)
		b = appendQuoted(b, name)
		if addr != nil {
			b = append(b, `,"address":[`...)
			b = addr(b)
			b = append(b, ']')
		}
		if parent != "" {
			b = append(b, `,"partOf":{"reference":`...)
			b = appendQuoted(b, "Organization/org-"+parent)
			b = append(b, `,"identifier":`...)
			b = odsIdentifier(b, parent)
			b = append(b, '}')
		}
		b = append(b, '}')
		return emit(Resource{Type: "Organization", ID: "org-" + ods, JSON: slices.Clone(b)})
	}
	for _, g := range regions {
		if err := org(g.ods, "NHS England "+g.name, "govt", "Government", "", nil); err != nil {
			return err
		}
	}
	for _, c := range icbs {
		if err := org(c.ods, c.name, "govt", "Government", regions[c.region].ods, nil); err != nil {
			return err
		}
	}
	for k, p := range w.practices {
		r := newRNG(w.cfg.Seed, 1<<61+uint64(k))
		addr := func(b []byte) []byte {
			b = append(b, `{"use":"work","line":["`...)
			b = strconv.AppendInt(b, int64(1+r.intn(150)), 10)
			b = append(b, ' ')
			b = append(b, streets[r.intn(len(streets))]...)
			b = append(b, `"],"city":`...)
			b = appendQuoted(b, p.town)
			b = append(b, `,"postalCode":"`...)
			b = postcode(b, &r, p.district)
			return append(b, `","country":"GB"}`...)
		}
		if err := org(p.ods, p.name, "prov", "Healthcare Provider", icbs[p.icb].ods, addr); err != nil {
			return err
		}
	}
	return nil
}
