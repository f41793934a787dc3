package synth

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
)

type testPatient struct {
	Identifier []struct{ Value string }
	Gender     string
	BirthDate  string
	Deceased   string `json:"deceasedDateTime"`
	Extension  []struct {
		ValueCodeableConcept struct{ Coding []struct{ Code string } }
	}
	GeneralPractitioner []struct{ Reference string }
	Telecom             []struct{ Value string }
}

func decodePatient(t testing.TB, js []byte) testPatient {
	var p testPatient
	if err := json.Unmarshal(js, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// population is what the proportion checks count.
type population struct {
	people, over65, under5, female, dead, whiteBritish   int
	inRegion                                             map[string]int
	londonWhiteBritish                                   int
	women16to44, pregnant, over5, carers, over85, homes  int
	flu65, over65AtSeasonEnd                             int
	aged5to9, mmr1At5, mmr2At5, aged2to4, sixInOneAt2to4 int
	resources                                            int
}

func count(t *testing.T, cfg Config) population {
	ref := dayOfTime(DefaultRefDate)
	seasonEnd := dayOf(2026, 3, 31)
	pop := population{inRegion: map[string]int{}}
	parent := map[string]string{}
	type who struct {
		birth  int
		region string
		dead   bool
	}
	people := map[string]who{}
	imms := map[string]map[string]int{} // patient -> vaccine type -> doses
	for _, r := range generate(t, cfg) {
		pop.resources++
		var m map[string]any
		if err := json.Unmarshal(r.JSON, &m); err != nil {
			t.Fatal(err)
		}
		switch r.Type {
		case "Organization":
			if p, ok := m["partOf"].(map[string]any); ok {
				parent["Organization/"+r.ID] = p["reference"].(string)
			}
		case "Patient":
			p := decodePatient(t, r.JSON)
			tm, _ := time.Parse(time.DateOnly, p.BirthDate)
			birth := dayOfTime(tm)
			age := ageOn(birth, ref)
			region := parent[parent[p.GeneralPractitioner[0].Reference]]
			people["Patient/"+r.ID] = who{birth, region, p.Deceased != ""}
			pop.people++
			pop.inRegion[region]++
			eth := p.Extension[0].ValueCodeableConcept.Coding[0].Code
			if eth == "A" {
				pop.whiteBritish++
				if region == "Organization/org-Y56" {
					pop.londonWhiteBritish++
				}
			}
			if age >= 65 {
				pop.over65++
			}
			if age < 5 {
				pop.under5++
			}
			if age >= 5 {
				pop.over5++
			}
			if age >= 85 {
				pop.over85++
			}
			if p.Gender == "female" {
				pop.female++
				if age >= 16 && age <= 44 {
					pop.women16to44++
				}
			}
			if p.Deceased != "" {
				pop.dead++
			}
			if ageOn(birth, seasonEnd) >= 65 && p.Deceased == "" {
				pop.over65AtSeasonEnd++
			}
			switch {
			case age >= 5 && age <= 9:
				pop.aged5to9++
			case age >= 2 && age <= 4:
				pop.aged2to4++
			}
		case "Flag":
			code := m["code"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"]
			subject := people[m["subject"].(map[string]any)["reference"].(string)]
			switch code {
			case "77386006":
				pop.pregnant++
			case "133932002":
				pop.carers++
			case "248171000000108":
				if ageOn(subject.birth, ref) >= 85 {
					pop.homes++
				}
			}
		case "Immunization":
			patient := m["patient"].(map[string]any)["reference"].(string)
			var codes []string
			for _, d := range m["protocolApplied"].([]any)[0].(map[string]any)["targetDisease"].([]any) {
				codes = append(codes, d.(map[string]any)["coding"].([]any)[0].(map[string]any)["code"].(string))
			}
			typ, _ := fhir.VaccineTypeOf(codes)
			if imms[patient] == nil {
				imms[patient] = map[string]int{}
			}
			imms[patient][typ]++
		}
	}
	for id, w := range people {
		switch age := ageOn(w.birth, ref); {
		case age >= 5 && age <= 9:
			if imms[id]["MMR"] >= 1 {
				pop.mmr1At5++
			}
			if imms[id]["MMR"] >= 2 {
				pop.mmr2At5++
			}
		case age >= 2 && age <= 4:
			if imms[id]["6IN1"] == 3 {
				pop.sixInOneAt2to4++
			}
		}
		if ageOn(w.birth, seasonEnd) >= 65 && !w.dead && imms[id]["FLU"] > 0 {
			pop.flu65++
		}
	}
	return pop
}

// The population has England's shape, within what sampling 20,000 people allows.
func TestProportions(t *testing.T) {
	pop := count(t, Config{Patients: 20000, Seed: 11})
	pct := func(n, of int) float64 { return 100 * float64(n) / float64(of) }
	for _, c := range []struct {
		what      string
		got, want float64
		tolerance float64
	}{
		{"aged 65 and over", pct(pop.over65, pop.people), 18.5, 1.0},
		{"aged under 5", pct(pop.under5, pop.people), 5.5, 0.6},
		{"female", pct(pop.female, pop.people), 50.7, 1.5},
		{"died in the last year", pct(pop.dead, pop.people), 0.95, 0.4},
		{"White British (A)", pct(pop.whiteBritish, pop.people), 73.5 * 0.98, 1.5},
		{"White British in London", pct(pop.londonWhiteBritish, pop.inRegion["Organization/org-Y56"]), 36.8 * 0.98, 3},
		{"registered in London", pct(pop.inRegion["Organization/org-Y56"], pop.people), 15.6, 1.0},
		{"registered in North East and Yorkshire", pct(pop.inRegion["Organization/org-Y63"], pop.people), 15.0, 1.0},
		{"women 16-44 pregnant", pct(pop.pregnant, pop.women16to44), 3.5, 1.0},
		{"unpaid carers among 5 and over", pct(pop.carers, pop.over5), 8.9, 1.0},
		{"in a care home among 85 and over", pct(pop.homes, pop.over85), 11.5, 4},
		{"flu uptake, 65 and over", pct(pop.flu65, pop.over65AtSeasonEnd), 74.9, 3},
		{"MMR1 at 5-9 years", pct(pop.mmr1At5, pop.aged5to9), 92, 3},
		{"MMR2 at 5-9 years", pct(pop.mmr2At5, pop.aged5to9), 83.7, 3.5},
		{"three 6-in-1 doses at 2-4 years", pct(pop.sixInOneAt2to4, pop.aged2to4), 91, 4},
	} {
		t.Logf("%s: %.2f%% (want %.2f%%)", c.what, c.got, c.want)
		if math.Abs(c.got-c.want) > c.tolerance {
			t.Errorf("%s: %.2f%%, want %.2f%% ± %.1f", c.what, c.got, c.want, c.tolerance)
		}
	}
	perPerson := float64(pop.resources) / float64(pop.people)
	t.Logf("%.2f resources per person", perPerson)
	if perPerson < 2 || perPerson > 4 {
		t.Errorf("%.2f resources per person; want 2 to 4", perPerson)
	}
	if _, ok := pop.inRegion[""]; ok || len(pop.inRegion) != 7 {
		t.Errorf("people by region %v; want all in the 7 regions", pop.inRegion)
	}
}

// BenchmarkGenerate makes a million people and all their records; emit only counts.
// go test -run '^$' -bench Generate -benchtime 1x ./synth/
func BenchmarkGenerate(b *testing.B) {
	const people = 1_000_000
	for b.Loop() {
		var resources, bytes int
		err := Generate(Config{Patients: people, Seed: 1}, func(r Resource) error {
			resources++
			bytes += len(r.JSON)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(bytes))
		b.ReportMetric(float64(resources)/people, "resources/person")
		b.ReportMetric(float64(bytes)/float64(resources), "bytes/resource")
	}
}
