package synth

import "strconv"

// Who was offered which vaccination, and when they had it. The seasonal programmes are
// the last complete season before the reference day (with the default reference day,
// flu 2025 to 2026 and COVID-19 autumn 2025): the seed is the state of the country
// before the campaign the programme team is about to run.

// season holds the days the programmes run between; year is the autumn it starts.
type season struct {
	year                                  int
	label                                 string // "2025/26"
	childStart, adultStart, end           int    // flu
	schoolStart, schoolEnd                int
	covidStart, covidEnd                  int
	age2From, age2To                      int // birth dates of the cohorts offered flu by age
	primaryFrom, primaryTo                int
	secondaryFrom, secondaryTo            int
	rsvStart, rsvCatchUpEnd, sixInOneFrom int
}

func newSeason(ref int) season {
	y, _, _ := civil(ref)
	y-- // the season that ended on 31 March of this year …
	if ref <= dayOf(y+1, 3, 31) {
		y-- // … or of the year before, when that has not yet come
	}
	return season{
		year: y, label: strconv.Itoa(y) + "/" + strconv.Itoa((y+1)%100),
		childStart: dayOf(y, 9, 1), adultStart: dayOf(y, 10, 1), end: dayOf(y+1, 3, 31),
		schoolStart: dayOf(y, 9, 15), schoolEnd: dayOf(y, 12, 15),
		covidStart: dayOf(y, 10, 1), covidEnd: dayOf(y+1, 1, 31),
		age2From: dayOf(y-4, 9, 1), age2To: dayOf(y-2, 8, 31),
		primaryFrom: dayOf(y-12, 9, 1), primaryTo: dayOf(y-4, 8, 31),
		secondaryFrom: dayOf(y-16, 9, 1), secondaryTo: dayOf(y-12, 8, 31),
		// The RSV programme began on 1 September 2024; those who turned 80 in its
		// first year could catch up until 31 August 2025. The 6-in-1 vaccine is given to
		// babies born from 1 August 2017.
		rsvStart: dayOf(2024, 9, 1), rsvCatchUpEnd: dayOf(2025, 8, 31), sixInOneFrom: dayOf(2017, 8, 1),
	}
}

// within draws a day from start on, mostly soon after (exponential with mean days),
// spread evenly over the window when the draw would pass end.
func (p *person) within(start, end int, mean float64) int {
	d := start + p.r.expDays(mean)
	if d > end {
		d = p.r.between(start, end)
	}
	return d
}

// delay is how late a scheduled dose is: usually days, sometimes months.
func (p *person) delay(typical float64, lateShare, lateMean float64) int {
	d := p.r.expDays(typical)
	if p.r.chance(lateShare) {
		d += p.r.expDays(lateMean)
	}
	return d
}

// vaccinate decides the person's vaccinations.
func (w *world) vaccinate(p *person) {
	s := &w.season
	w.childhood(p, s)
	w.rsv(p, s)
	w.flu(p, s)
	w.covid(p, s)
}

func (w *world) childhood(p *person, s *season) {
	if p.birth >= s.sixInOneFrom {
		day := p.birth + 56
		for k, rate := range [3]float64{childDose1, childNextDose, childLastDose} {
			if k > 0 {
				day += 28
			}
			day += p.delay(5, 0.08, 60)
			if k == 0 && !p.decide(rate) || k > 0 && !p.r.chance(rate) {
				break
			}
			w.addDose(p, dose{v: &sixInOne, day: day, number: k + 1})
		}
	}
	if p.birth > addYears(w.ref, -19) && p.decide(mmr1) {
		w.addDose(p, dose{v: &mmrFirst, day: addYears(p.birth, 1) + p.delay(10, 0.1, 150), number: 1})
		if p.r.chance(mmr2GivenMMR1) {
			w.addDose(p, dose{v: &mmrSecond, day: p.birth + 1218 + p.delay(20, 0.15, 300), number: 2})
		}
	}
}

func (w *world) rsv(p *person, s *season) {
	if b80 := addYears(p.birth, 80); b80 > s.rsvStart {
		start, end := max(s.rsvStart, addYears(p.birth, 75)), min(w.ref-1, max(b80-1, s.rsvCatchUpEnd))
		if start <= end && p.decide(rsvOlder) {
			w.addDose(p, dose{v: &rsv, day: p.within(start, end, 75), number: 1})
		}
	}
	if f, ok := p.flag(flagPregnant); ok {
		from, to := f.end-280+196, min(w.ref-1, f.end-14) // from 28 weeks
		if from <= to && p.decide(rsvPregnant) {
			w.addDose(p, dose{v: &rsv, day: p.within(from, to, 14), number: 1})
		}
	}
}

// flu offers the season's flu vaccine at the highest uptake of the groups the person
// is in, and picks the vaccine for their age.
func (w *world) flu(p *person, s *season) {
	rate, from, school := 0.0, 0, false
	offer := func(r float64, start int) {
		if r > rate && start <= s.end {
			rate, from = r, start
		}
	}
	if ageOn(p.birth, s.end) >= 65 {
		offer(fluOver65, s.adultStart)
	}
	switch b := p.birth; {
	case b >= s.age2From && b <= s.age2To:
		offer(fluAge2to3, s.childStart)
	case b >= s.primaryFrom && b <= s.primaryTo:
		offer(fluPrimary, s.schoolStart)
		school = rate > 0
	case b >= s.secondaryFrom && b <= s.secondaryTo:
		offer(fluSecondary, s.schoolStart)
		school = rate > 0
	}
	groups := [...]struct {
		kind  int
		rate  float64
		start int
	}{
		{flagClinicalRisk, fluAtRisk, s.adultStart}, {flagImmunosuppressed, fluAtRisk, s.adultStart},
		{flagPregnant, fluPregnant, s.childStart}, {flagHealthCare, fluHealthCare, s.adultStart},
		{flagSocialCare, fluSocialCare, s.adultStart}, {flagCarer, fluCarer, s.adultStart},
		{flagCareHome, fluCareHome, s.adultStart},
	}
	for _, g := range groups {
		if f, ok := p.flag(g.kind); ok {
			before := rate
			offer(g.rate, max(g.start, f.start))
			if rate != before {
				school = false
			}
		}
	}
	if rate == 0 || !p.decide(rate) {
		return
	}
	d := dose{day: p.within(from, s.end, 25), number: 1, series: "Flu " + s.label}
	if school {
		d.day, d.where = p.r.between(s.schoolStart, s.schoolEnd), atSchool
		switch (d.day + 4) % 7 { // schools vaccinate on weekdays: a weekend moves to Monday
		case 6:
			d.day += 2
		case 0:
			d.day++
		}
	}
	switch age := ageOn(p.birth, d.day); {
	case age < 2:
		d.v = &fluInfant
	case age < 18:
		d.v = &fluNasal
	case age >= 65:
		d.v = &fluOlder
	case p.r.chance(0.5):
		d.v = &fluAdultSanofi
	default:
		d.v = &fluAdultPfizer
	}
	if _, inHome := p.flag(flagCareHome); d.where == atPractice && !inHome && ageOn(p.birth, d.day) >= 18 && p.r.chance(fluPharmacyShare) {
		d.where, d.procedure = atPharmacy, pharmacistFlu
	}
	w.addDose(p, d)
}

// covid offers the autumn COVID-19 vaccine to those 75 and over, care home residents
// and the severely immunosuppressed.
func (w *world) covid(p *person, s *season) {
	rate, from := 0.0, 0
	offer := func(r float64, start int) {
		if r > rate && start <= s.covidEnd {
			rate, from = r, start
		}
	}
	if ageOn(p.birth, s.covidEnd) >= 75 {
		offer(covidOver75, s.covidStart)
	}
	_, inHome := p.flag(flagCareHome)
	if f, ok := p.flag(flagCareHome); ok {
		offer(covidCareHome, max(s.covidStart, f.start))
	}
	if f, ok := p.flag(flagImmunosuppressed); ok {
		offer(covidImmunosupp, max(s.covidStart, f.start, p.birth+183))
	}
	if rate == 0 || !p.decide(rate) {
		return
	}
	d := dose{day: p.within(from, s.covidEnd, 22), number: 1, series: "COVID-19 autumn " + strconv.Itoa(s.year)}
	switch age := ageOn(p.birth, d.day); {
	case age < 5:
		d.v = &covidInfant
	case age < 12:
		d.v = &covidChild
	case p.r.chance(0.7):
		d.v = &covidComirnty
	default:
		d.v = &covidSpikevax
	}
	if !inHome && ageOn(p.birth, d.day) >= 18 && p.r.chance(covidPharmacyShare) {
		d.where = atPharmacy
	}
	w.addDose(p, d)
}
