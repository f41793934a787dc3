package mongo

import (
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// BenchmarkSearch measures the shapes of store/sqlite's BenchmarkSearch (searchShapes,
// over the same generated population: popPatient and popImmunization below are that
// benchmark's generator) and a string prefix, one search at a time, on
// NIMS_BENCH_PATIENTS patients (default 1,000) with three Immunizations each and 100
// practices, and reports the median and 99th percentile latency. Run with
//
//	MONGO_URI=… go test -run '^$' -bench Search -benchtime 200x ./store/mongo/
//
// The population is seeded straight into the current documents (seedCurrent), as a
// Reindex would leave them, not through Apply: the benchmark is of searches, and a
// FerretDB takes minutes to apply a few thousand writes.
//
// FerretDB v1.24 evaluates every filter by reading the whole collection (docs/SCALE.md),
// so on it the figures measure the scans, not the indexes: 1,000 patients (4,100
// resources) on the project's 2-core machine, p50 / p99 in ms:
//
//	imm-by-patient        see the report of the run that added this benchmark
//
// Compare with store/sqlite on MongoDB itself (MONGO_URI of a mongod), where the filters
// are index ranges.
func BenchmarkSearch(b *testing.B) {
	patients := 1000
	if v, err := strconv.Atoi(os.Getenv("NIMS_BENCH_PATIENTS")); err == nil && v > 0 {
		patients = v
	}
	db := openTest(b, Options{})
	start := time.Now()
	seedPopulation(b, db, patients)
	b.Logf("%d patients and %d immunizations seeded in %s", patients, 3*patients, time.Since(start).Round(time.Millisecond))
	for _, shape := range benchShapes {
		b.Run(shape.name, func(b *testing.B) {
			qs := make([]*search.Query, 100)
			for i := range qs {
				qs[i] = benchQuery(b, shape.typ, shape.raw((i*7919)%patients))
			}
			lat := make([]time.Duration, 0, b.N)
			i := 0
			for b.Loop() {
				t0 := time.Now()
				res, err := db.Search(b.Context(), qs[i%len(qs)])
				lat = append(lat, time.Since(t0))
				i++
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Records) == 0 && res.Total <= 0 {
					b.Fatalf("%s found nothing", shape.name)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// benchShapes are store/sqlite's searchShapes, and a string prefix.
var benchShapes = []struct {
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
	{"string-prefix", "Patient", func(n int) string {
		return "family=" + url.QueryEscape(popFamilies[n%len(popFamilies)][:3]) + "&birthdate=" + strconv.Itoa(1930+n%90)
	}},
}

// benchQuery parses typ?raw as the API does.
func benchQuery(tb testing.TB, typ, raw string) *search.Query {
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

// The population of store/sqlite's benchmarks (population_test.go there): patient n
// (pat-n) has nhsNumber(n), is registered at practice org-(n % benchPractices), and has
// three Immunizations imm-n-0 (COVID), imm-n-1 (FLU) and imm-n-2 (a childhood vaccine).

const benchPractices = 100

var popFamilies = []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Patel", "Ní Bhriain", "O'Neill"}

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
	return fmt.Sprintf(`{"resourceType":"Patient","identifier":[{"system":%q,"value":%q}],`+
		`"name":[{"family":%q,"given":["Ada"]}],"gender":%q,"birthDate":"%d-%02d-%02d",`+
		`"generalPractitioner":[{"reference":"Organization/org-%d","identifier":{"system":%q,"value":"A%05d"}}]}`,
		fhir.SystemNHSNumber, nhsNumber(n), popFamilies[n%len(popFamilies)], []string{"male", "female"}[n%2],
		1930+n%90, 1+n%12, 1+n%28, n%benchPractices, fhir.SystemODS, n%benchPractices)
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

// seedPopulation writes the practices, patients and immunizations as current documents.
func seedPopulation(tb testing.TB, db *DB, patients int) {
	tb.Helper()
	var docs []any
	add := func(id, js string) {
		docs = append(docs, seedDoc(tb, db, id, js))
		if len(docs) == 500 {
			seedCurrent(tb, db, docs)
			docs = docs[:0]
		}
	}
	for k := range benchPractices {
		add(fmt.Sprintf("org-%d", k), fmt.Sprintf(`{"resourceType":"Organization","name":"Practice %d"}`, k))
	}
	for n := range patients {
		add(fmt.Sprintf("pat-%d", n), popPatient(n))
		for k := range 3 {
			add(fmt.Sprintf("imm-%d-%d", n, k), popImmunization(n, k))
		}
	}
	seedCurrent(tb, db, docs)
}

// seedDoc is the current document of version 1 of a resource, with its index entries.
func seedDoc(tb testing.TB, db *DB, id, js string) any {
	r, err := fhir.Decode([]byte(js))
	if err != nil {
		tb.Fatal(err)
	}
	lu := db.now()
	stamped, err := fhir.Stamp(r.JSON, id, 1, lu)
	if err != nil {
		tb.Fatal(err)
	}
	sr, err := fhir.Decode(stamped)
	if err != nil {
		tb.Fatal(err)
	}
	v := versionDoc{Type: r.Type, RID: id, V: 1, LU: lu.UnixMilli(), JSON: stamped, How: 10*int32(store.OpCreate) + 1, Seq: 1}
	return currentOf(&v, indexFields(r.Type, search.ExtractAll(r.Type, sr.Object)))
}

func seedCurrent(tb testing.TB, db *DB, docs []any) {
	if len(docs) == 0 {
		return
	}
	if _, err := db.resources.InsertMany(tb.Context(), docs); err != nil {
		tb.Fatal(err)
	}
}
