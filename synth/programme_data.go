package synth

// How common each priority group is, how many people die in a year, and how many of
// those eligible took each vaccination. Every figure and its source is in docs/SEED.md.

// byAge is a rate that changes with age: rates[i] applies from ages[i] up to the next
// age (the last to any age); below ages[0] the rate is 0.
type byAge struct {
	ages  []int
	rates []float64
}

func (a byAge) at(age int) float64 {
	p := 0.0
	for i, from := range a.ages {
		if age >= from {
			p = a.rates[i]
		}
	}
	return p
}

var (
	// mortality is the share dying in a year (ONS deaths registered in England, 2022,
	// over the mid-2022 population).
	mortality = byAge{[]int{0, 1, 15, 45, 65, 75, 85}, []float64{0.0035, 0.0001, 0.0007, 0.0035, 0.013, 0.05, 0.16}}

	// clinicalRisk is the share of people (6 months to 64) in a flu/COVID clinical risk
	// group; 65 and over are eligible by age and not flagged.
	clinicalRisk = byAge{[]int{0, 2, 5, 16, 25, 35, 45, 55, 65}, []float64{0.02, 0.04, 0.06, 0.10, 0.13, 0.16, 0.22, 0.31, 0}}
	// immunosuppressedShare of the clinically at risk are severely immunosuppressed (the
	// only at-risk group the autumn 2025 COVID-19 programme kept).
	immunosuppressedShare = 0.08

	// fertility is the age-specific fertility rate (live births per woman per year,
	// England and Wales 2022). A woman is pregnant and booked (6 to 40 weeks) for
	// 34/52 of the year per birth.
	fertility = byAge{[]int{16, 20, 25, 30, 35, 40, 45}, []float64{0.010, 0.041, 0.076, 0.097, 0.060, 0.015, 0}}

	// healthCareWorkers and socialCareWorkers are shares of 18-66 year olds; the female
	// share of each workforce sets the sex difference.
	healthCareWorkers = byAge{[]int{18, 67}, []float64{0.045, 0}}
	hcwFemale         = 0.77
	socialCareWorkers = byAge{[]int{18, 67}, []float64{0.032, 0}}
	scwFemale         = 0.80

	// carers is the share providing unpaid care (Census 2021, England, aged 5 and over).
	carers      = byAge{[]int{5, 18, 25, 35, 50, 65, 75}, []float64{0.013, 0.045, 0.055, 0.10, 0.16, 0.12, 0.07}}
	carerFemale = 0.59

	// careHome is the share living in a care home.
	careHome = byAge{[]int{18, 65, 75, 85, 90}, []float64{0.001, 0.006, 0.026, 0.08, 0.18}}

	// restrictedShare of records are restricted (PDS sensitive flag).
	restrictedShare = 0.0015
	// mobileShare of people 16 and over have a mobile number on their record.
	mobileShare = 0.88
)

// Uptake: the share of those eligible who were vaccinated.
const (
	// Flu, 2025 to 2026 season.
	fluOver65        = 0.749
	fluAtRisk        = 0.400
	fluPregnant      = 0.370
	fluAge2to3       = 0.430
	fluPrimary       = 0.530
	fluSecondary     = 0.430
	fluHealthCare    = 0.375
	fluSocialCare    = 0.200
	fluCarer         = 0.350
	fluCareHome      = 0.800
	fluPharmacyShare = 0.35 // of adult doses, given in a community pharmacy

	// COVID-19, autumn 2025.
	covidOver75        = 0.58
	covidCareHome      = 0.68
	covidImmunosupp    = 0.27
	covidPharmacyShare = 0.45

	// RSV since September 2024.
	rsvOlder    = 0.62
	rsvPregnant = 0.45

	// Childhood: the 6-in-1 doses (each later one given the one before) and MMR.
	childDose1    = 0.955
	childNextDose = 0.975
	childLastDose = 0.98
	mmr1          = 0.92
	mmr2GivenMMR1 = 0.91

	// propensityWeight is how often a person's own leaning decides, rather than chance.
	propensityWeight = 0.6
)
