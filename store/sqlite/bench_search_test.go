package sqlite

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// BenchmarkSearch measures issue 3's goal shapes (searchShapes) one search at a time on a
// population of NIMS_BENCH_PATIENTS patients (default 20,000), each with three
// Immunizations, and reports the median and 99th percentile latency. Run with
//
//	go test -run '^$' -bench Search -benchtime 2000x ./store/sqlite/
//
// On the project's 2-core machine (shared, so runs vary by up to 2x), p50 / p99 in µs:
//
//	                      20,000 patients       100,000 patients
//	imm-by-patient          54–85 / 210–420        181 / 1,157
//	patient-by-nhs          44–69 / 260–380         79 /   654
//	chain                   76–97 / 250–370        114 /   780
//	token-date (100)    2,300–2,700 / 9–11 ms    3,920 /  13 ms
//	count (FLU)         2,700–3,500 / 6 ms      16,000 /  30 ms
//	include               121–159 / 350–650        248 /   796
//	has                    59–98 / 150–220         130 /   428
//
// The cache of current versions holds all of the first population and a fraction of
// the second, hence its slower reads by patient.
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

// BenchmarkCreateIndexed is BenchmarkCreate with every index entry of the table: durable
// creates of a Patient and its three Immunizations (about 15 and 7 entries), extracted by
// the callers as the API does, from 16 concurrent callers. Measured: 2,570–2,670
// creates/s with multi-row inserts (index_write.go), 2,260–2,390 with one statement per
// entry, against 6,400–7,100 for BenchmarkCreate's single entry: the rest of the cost is
// the index pages each group commit writes to the WAL.
func BenchmarkCreateIndexed(b *testing.B) {
	db := openTest(b, b.TempDir(), Options{})
	var n atomic.Int64
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			js := popPatient(int(i / 4))
			if i%4 != 0 {
				js = popImmunization(int(i/4), int(i%4)-1)
			}
			r, err := fhir.Decode([]byte(js))
			if err != nil {
				b.Fatal(err)
			}
			r.ID = uuid.Must(uuid.NewV7()).String() // as the API assigns them
			if _, err := db.Apply(b.Context(), store.NewWrite(store.OpCreate, r, nil)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
}
