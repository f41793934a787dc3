//go:build unix

package audit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkWriterCPU measures what the log costs the process in CPU per event (user +
// system time of the whole process from getrusage, so the writer, Record, GC and the
// driver's allocations all count) while b.N read-like events (one patient among 65,536,
// one entity) are made durable:
//
//	saturated-16  16 goroutines record as fast as Record lets them: batches grow to
//	              MaxBatch and the writer runs flat out (the durable rate is events/s)
//	paced-20k     one goroutine records 20,000 events/s in ticks of 1 ms, about the
//	              server's peak: batches are as small as the commit time and
//	              commitInterval make them (events/commit)
//
// Both start after an untimed warm-up of 131,072 events, so the log already holds them.
// Reproduce: go test -run - -bench WriterCPU/saturated -benchtime 200000x -count 3
// ./audit/ and -bench WriterCPU/paced -benchtime 100000x -count 2. The paced figure
// includes the pacer's own wake-ups (1,000/s).
//
// On the project's 2-core machine, shared with other work, runs alternating with the
// writer before segments (each event a row of events with two secondary indexes and a
// row of event_patients, JSON bodies, hex hashes; measured with this file):
//
//	saturated-16  2.5–3.2 µs/event, 300,000–360,000 events/s (before: 17–26 µs,
//	              34,000–54,000 events/s); at 1,000,000 events 2.5 µs (before: 29 µs,
//	              growing with the patient index)
//	paced-20k     8–9 µs/event, about 115 events/commit (before: 42–43 µs, 36–48)
func BenchmarkWriterCPU(b *testing.B) {
	b.Run("saturated-16", func(b *testing.B) { benchCPU(b, 0) })
	b.Run("paced-20k", func(b *testing.B) { benchCPU(b, 20000) })
}

// cpuEvents are distinct read-like events, prepared before the clock starts.
var cpuEvents = sync.OnceValue(func() []Event {
	r := rand.New(rand.NewPCG(1, 2))
	evs := make([]Event, 1<<16)
	for i := range evs {
		e := benchEvent
		e.RequestID = fmt.Sprintf("%08x-d9cb-469f-a165-%012x", r.Uint32(), r.Uint64()&(1<<48-1))
		e.Entities = []string{fmt.Sprintf("Immunization/%08x-7425-40de-944b-%012x", r.Uint32(), r.Uint64()&(1<<48-1))}
		e.Patients = []string{fmt.Sprint("Patient/", 9000000000+r.IntN(1<<16))}
		e.Time = t0.Add(time.Duration(i) * time.Millisecond)
		evs[i] = e
	}
	return evs
})

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchCPU(b *testing.B, rate int) {
	evs := cpuEvents()
	l, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	// Warm up untimed: the queue's two buffers grow to the size a server's keep after
	// its first bursts (copying them while they grow is not a cost per event).
	var warm sync.WaitGroup
	for g := range 16 {
		warm.Go(func() {
			for i := g; i < 2*65536; i += 16 {
				l.Record(evs[i%len(evs)])
			}
		})
	}
	warm.Wait()
	if err := l.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	commits0 := l.w.commits
	cpu0, start := cpuTime(), time.Now()
	if rate == 0 {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
					l.Record(evs[i%int64(len(evs))])
				}
			})
		}
		wg.Wait()
	} else {
		for done := 0; done < b.N; {
			due := min(b.N, int(time.Since(start).Seconds()*float64(rate)))
			for ; done < due; done++ {
				l.Record(evs[done%len(evs)])
			}
			time.Sleep(time.Millisecond)
		}
	}
	if err := l.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	cpu, elapsed := cpuTime()-cpu0, time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(b.N), "cpu-µs/event")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/float64(l.w.commits-commits0), "events/commit")
}
