package sqlite

import (
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir/search"
)

// BenchmarkSearch measures issue 3's goal shapes (searchShapes) one search at a time on a
// population of NIMS_BENCH_PATIENTS patients (default 20,000), each with three
// Immunizations, and reports the median and 99th percentile latency. Run with
//
//	go test -run '^$' -bench Search -benchtime 2000x ./store/sqlite/
func BenchmarkSearch(b *testing.B) {
	patients := 20000
	if v, err := strconv.Atoi(os.Getenv("NIMS_BENCH_PATIENTS")); err == nil && v > 0 {
		patients = v
	}
	db := openTest(b, b.TempDir(), Options{})
	start := time.Now()
	populate(b, db, patients)
	b.Logf("%d patients and %d immunizations written in %s", patients, 3*patients, time.Since(start).Round(time.Second))
	for _, shape := range searchShapes {
		b.Run(shape.name, func(b *testing.B) {
			qs := make([]*search.Query, 1000)
			for i := range qs {
				qs[i] = parseQuery(b, shape.typ, shape.raw((i*7919)%patients))
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
