package sqlite

import (
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// A generated population for the plan tests and BenchmarkSearch: patient n (pat-n) has
// nhsNumber(n), is registered at practice org-(n % practices), and has three
// Immunizations imm-n-0 (COVID), imm-n-1 (FLU) and imm-n-2 (a childhood vaccine).

const practices = 100

// nhsNumber returns a Modulus 11-valid NHS number unique to n (n < 10^8).
func nhsNumber(n int) string {
	for base := 400000000 + n; ; base += 100000000 {
		p := strconv.Itoa(base)
		sum := 0
		for i := range 9 {
			sum += int(p[i]-'0') * (10 - i)
		}
		if check := (11 - sum%11) % 11; check != 10 {
			return p + strconv.Itoa(check)
		}
	}
}

func popPatient(n int) string {
	families := []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Patel", "Ní Bhriain", "O'Neill"}
	return fmt.Sprintf(`{"resourceType":"Patient","identifier":[{"system":%q,"value":%q}],`+
		`"name":[{"family":%q,"given":["Ada"]}],"gender":%q,"birthDate":"%d-%02d-%02d",`+
		`"generalPractitioner":[{"reference":"Organization/org-%d","identifier":{"system":%q,"value":"A%05d"}}]}`,
		fhir.SystemNHSNumber, nhsNumber(n), families[n%len(families)], []string{"male", "female"}[n%2],
		1930+n%90, 1+n%12, 1+n%28, n%practices, fhir.SystemODS, n%practices)
}

func popImmunization(n, k int) string {
	code, date := "840539006", fmt.Sprintf("202%d-%02d-%02dT10:%02d:00+00:00", 1+n%4, 1+n%12, 1+n%28, n%60)
	switch k {
	case 1:
		code, date = "6142004", fmt.Sprintf("202%d-10-%02d", 2+n%4, 1+n%28)
	case 2:
		code, date = []string{"14189004", "240532009", "23511006"}[n%3], fmt.Sprintf("20%02d-%02d-%02d", 5+n%15, 1+n%12, 1+n%28)
	}
	return fmt.Sprintf(`{"resourceType":"Immunization","status":"completed",`+
		`"vaccineCode":{"coding":[{"system":%q,"code":"39114911000001105"}]},"patient":{"reference":"Patient/pat-%d"},`+
		`"occurrenceDateTime":%q,"lotNumber":"LOT%04d","protocolApplied":[{"doseNumberPositiveInt":1,`+
		`"targetDisease":[{"coding":[{"system":%q,"code":%q}]}]}]}`,
		fhir.SystemSNOMED, n, date, n%5000, fhir.SystemSNOMED, code)
}

// populate writes practices Organizations and patients Patients with their
// Immunizations, from 16 writers so that group commit batches them.
func populate(tb testing.TB, db *DB, patients int) {
	tb.Helper()
	put := func(typ, id, js string) error {
		r, err := fhir.Decode([]byte(js))
		if err != nil {
			return err
		}
		r.Type, r.ID = typ, id
		_, err = db.Apply(tb.Context(), store.NewWrite(store.OpUpdate, r, nil))
		return err
	}
	for k := range practices {
		if err := put("Organization", fmt.Sprintf("org-%d", k), fmt.Sprintf(`{"resourceType":"Organization","name":"Practice %d"}`, k)); err != nil {
			tb.Fatal(err)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				n := int(next.Add(1) - 1)
				if n >= patients {
					return
				}
				err := put("Patient", fmt.Sprintf("pat-%d", n), popPatient(n))
				for k := 0; k < 3 && err == nil; k++ {
					err = put("Immunization", fmt.Sprintf("imm-%d-%d", n, k), popImmunization(n, k))
				}
				if err != nil {
					tb.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// parseQuery parses typ?raw as the API does.
func parseQuery(tb testing.TB, typ, raw string) *search.Query {
	tb.Helper()
	vals, err := url.ParseQuery(raw)
	if err != nil {
		tb.Fatal(err)
	}
	q, err := search.Parse(typ, vals, search.ParseOptions{Strict: true, DefaultCount: 50, MaxCount: 1000,
		Now: func() time.Time { return time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		tb.Fatalf("Parse(%s?%s): %v", typ, raw, err)
	}
	return q
}

// searchShapes are issue 3's goal shapes over the population, for patient n.
var searchShapes = []struct {
	name, typ string
	raw       func(n int) string
}{
	{"imm-by-patient", "Immunization", func(n int) string { return "patient=Patient/pat-" + strconv.Itoa(n) }},
	{"patient-by-nhs", "Patient", func(n int) string {
		return "identifier=" + url.QueryEscape(fhir.SystemNHSNumber+"|"+nhsNumber(n))
	}},
	{"chain", "Immunization", func(n int) string {
		return "patient.identifier=" + url.QueryEscape(fhir.SystemNHSNumber+"|"+nhsNumber(n))
	}},
	{"token-date", "Immunization", func(n int) string {
		return "-immunization.target=COVID&date=ge202" + strconv.Itoa(1+n%4) + "-06-01&_count=100"
	}},
	{"count", "Immunization", func(int) string { return "-immunization.target=FLU&_summary=count" }},
	{"include", "Immunization", func(n int) string {
		return "patient=Patient/pat-" + strconv.Itoa(n) + "&_include=Immunization:patient"
	}},
	{"has", "Patient", func(n int) string {
		return "identifier=" + url.QueryEscape(fhir.SystemNHSNumber+"|"+nhsNumber(n)) + "&_has:Immunization:patient:-immunization.target=COVID"
	}},
	{"sort-date-by-patient", "Immunization", func(n int) string {
		return "patient=Patient/pat-" + strconv.Itoa(n) + "&_sort=-date"
	}},
	{"revinclude", "Patient", func(n int) string {
		return "identifier=" + url.QueryEscape(fhir.SystemNHSNumber+"|"+nhsNumber(n)) + "&_revinclude=Immunization:patient"
	}},
}
