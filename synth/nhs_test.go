package synth

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
)

// Person numbers map to distinct valid NHS numbers: the 999 range first, then 998.
func TestNHSNumbers(t *testing.T) {
	const n = perRange + 60000
	nums := make([]uint64, 0, n)
	var d [10]byte
	for i := range n {
		nhsNumber(&d, i, 42)
		s := string(d[:])
		if !fhir.ValidNHSNumber(s) {
			t.Fatalf("nhsNumber(%d) = %s: fails Modulus 11", i, s)
		}
		if want := strconv.Itoa(999 - i/perRange); s[:3] != want {
			t.Fatalf("nhsNumber(%d) = %s: want prefix %s", i, s, want)
		}
		v, _ := strconv.ParseUint(s, 10, 64)
		nums = append(nums, v)
	}
	slices.Sort(nums)
	for i := 1; i < len(nums); i++ {
		if nums[i] == nums[i-1] {
			t.Fatalf("NHS number %d given twice", nums[i])
		}
	}
	nhsNumber(&d, MaxPatients-1, 42)
	if s := string(d[:]); !fhir.ValidNHSNumber(s) || s[:3] != "900" {
		t.Errorf("last person's number %s", s)
	}
}

// The Patients of a population carry valid, distinct 999 numbers.
func TestPatientNHSNumbers(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range generate(t, Config{Patients: 3000, Seed: 9}) {
		if r.Type != "Patient" {
			continue
		}
		p := decodePatient(t, r.JSON)
		nhs := p.Identifier[0].Value
		if !fhir.ValidNHSNumber(nhs) || nhs[:3] != "999" || seen[nhs] {
			t.Fatalf("%s: NHS number %s invalid, outside 999 or repeated", r.ID, nhs)
		}
		seen[nhs] = true
	}
	if len(seen) != 3000 {
		t.Errorf("%d Patients, want 3000", len(seen))
	}
}

func TestCivilDates(t *testing.T) {
	for z := -40000; z < 40000; z += 13 {
		y, m, d := civil(z)
		tm := time.Unix(int64(z)*86400, 0).UTC()
		if tm.Year() != y || int(tm.Month()) != m || tm.Day() != d || dayOf(y, m, d) != z {
			t.Fatalf("civil(%d) = %d-%d-%d, time says %s", z, y, m, d, tm.Format(time.DateOnly))
		}
	}
	for _, tc := range []struct {
		date   string
		summer bool
	}{{"2025-10-25", true}, {"2025-10-26", false}, {"2026-03-28", false}, {"2026-03-29", true}, {"2024-07-01", true}, {"2025-01-15", false}} {
		tm, _ := time.Parse(time.DateOnly, tc.date)
		if got := britishSummer(dayOfTime(tm)); got != tc.summer {
			t.Errorf("britishSummer(%s) = %v, want %v", tc.date, got, tc.summer)
		}
	}
	birth := dayOf(2000, 2, 29)
	if a := ageOn(birth, dayOf(2026, 2, 28)); a != 25 {
		t.Errorf("born 2000-02-29, on 2026-02-28 aged %d, want 25", a)
	}
	if a := ageOn(birth, dayOf(2026, 3, 1)); a != 26 {
		t.Errorf("born 2000-02-29, on 2026-03-01 aged %d, want 26", a)
	}
}
