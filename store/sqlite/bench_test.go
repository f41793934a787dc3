//go:build unix

package sqlite

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// benchClients is the number of concurrent callers: SetParallelism multiplies GOMAXPROCS.
const benchClients = 16

func benchOp(n int64) store.Op {
	id := fmt.Sprintf("bench-%d", n)
	nhs := fmt.Sprintf("%010d", n)
	js := fmt.Sprintf(`{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":%q}],`+
		`"name":[{"family":"Bench","given":["Mark"]}],"gender":"female","birthDate":"1970-01-01",`+
		`"address":[{"postalCode":"LS1 4AP"}]}`, nhs)
	return store.Op{Kind: store.OpCreate, Type: "Patient", ID: id, JSON: []byte(js),
		Entries: []search.Entry{{Param: "identifier", System: "https://fhir.nhs.uk/Id/nhs-number", Code: nhs}},
		Unique:  []store.UniqueKey{{Key: "Patient|https://fhir.nhs.uk/Id/nhs-number|" + nhs, Diagnostics: "taken"}}}
}

func setParallelism(b *testing.B) {
	b.SetParallelism(max(1, benchClients/runtime.GOMAXPROCS(0)))
}

// Figures and the driver choice they led to: driver.go. Run with
//
//	go test -run '^$' -bench . -benchtime 20000x ./store/sqlite/

// BenchmarkCreate measures durable creates (each acknowledged only after its group's
// fsync) from benchClients concurrent callers.
func BenchmarkCreate(b *testing.B) {
	db := openTest(b, b.TempDir(), Options{})
	var n atomic.Int64
	setParallelism(b)
	cpu := startCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.Apply(b.Context(), benchOp(n.Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
	b.ReportMetric(cpu.perOp(b.N), "cpu-µs/op")
}

// BenchmarkRead measures Read by id from benchClients concurrent callers over 20,000
// resources, served by the cache of current versions (all fit) and by SQL alone.
func BenchmarkRead(b *testing.B) {
	b.Run("cache", func(b *testing.B) { benchRead(b, Options{}) })
	b.Run("sql", func(b *testing.B) { benchRead(b, Options{CacheBytes: -1}) })
}

func benchRead(b *testing.B, opts Options) {
	db := openTest(b, b.TempDir(), opts)
	const size = 20000
	var wg sync.WaitGroup
	for c := range int64(benchClients) {
		wg.Go(func() {
			for i := c; i < size; i += benchClients {
				if _, err := db.Apply(b.Context(), benchOp(i)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	var n atomic.Int64
	setParallelism(b)
	cpu := startCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(7919) % size // a stride that visits every resource
			if _, err := db.Read(b.Context(), "Patient", fmt.Sprintf("bench-%d", i)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
	b.ReportMetric(cpu.perOp(b.N), "cpu-µs/op")
}

// cpuClock measures the process's CPU time (user and system), a figure that other load
// on a shared machine disturbs less than throughput.
type cpuClock struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{processCPU()} }

func (c cpuClock) perOp(n int) float64 {
	return float64(processCPU()-c.start) / float64(time.Microsecond) / float64(n)
}
