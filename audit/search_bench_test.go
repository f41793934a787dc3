package audit

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkSearchVerify measures the reads of a log of 200,000 read-like events (one of
// 65,536 patients, one of 16 clients, a millisecond apart), recorded once (the parent
// of sub-benchmarks runs once):
//
//	verify   Verify of the whole log: ns/op over the events is the cost an event
//	patient  a page of up to 100 events of a random patient, newest first (about 3)
//	client   a page of 100 events of a client, newest first
//	time     a page of 100 events from a minute in the middle of the log, oldest first
//	read     one event by seq, as GET AuditEvent/[id] reads it
//	export   Export of the whole log: ns/op over the events is the cost an event
//
// It uses only the exported API, so that it runs against earlier versions too. Reproduce:
// go test -run - -bench 'SearchVerify/(verify|export)' -benchtime 1x ./audit/ and
// -bench 'SearchVerify/(patient|client|time|read)' -benchtime 2000x.
func BenchmarkSearchVerify(b *testing.B) {
	l := searchLog(b)
	defer l.Close()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	b.Run("verify", func(b *testing.B) {
		for range b.N {
			if n, err := l.Verify(ctx); err != nil || n != searchEvents {
				b.Fatal(n, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N*searchEvents), "µs/event")
	})
	b.Run("export", func(b *testing.B) {
		for range b.N {
			if n, err := l.Export(ctx, io.Discard, time.Time{}); err != nil || n != searchEvents {
				b.Fatal(n, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N*searchEvents), "µs/event")
	})
	search := func(name string, q func() Query, min int) {
		b.Run(name, func(b *testing.B) {
			for range b.N {
				recs, _, err := l.Search(ctx, q())
				if err != nil || len(recs) < min {
					b.Fatal(len(recs), err)
				}
			}
		})
	}
	search("patient", func() Query {
		return Query{Patient: fmt.Sprint("Patient/", 9000000000+r.IntN(1<<16)), Descending: true}
	}, 0)
	search("client", func() Query { return Query{Client: fmt.Sprint("client-", r.IntN(16)), Descending: true} }, 100)
	search("time", func() Query {
		since := t0.Add(time.Duration(searchEvents/2+r.IntN(searchEvents/4)) * time.Millisecond)
		return Query{Since: since, Until: since.Add(time.Minute)}
	}, 100)
	search("read", func() Query { return Query{After: int64(r.IntN(searchEvents)), Count: 1} }, 1)
}

const searchEvents = 200000

// searchLog records the log of BenchmarkSearchVerify.
func searchLog(b *testing.B) *Log {
	l, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range searchEvents {
		e := benchEvent
		e.ClientID = fmt.Sprint("client-", r.IntN(16))
		e.Entities = []string{fmt.Sprintf("Immunization/%08x-7425-40de-944b-%012x", r.Uint32(), r.Uint64()&(1<<48-1))}
		e.Patients = []string{fmt.Sprint("Patient/", 9000000000+r.IntN(1<<16))}
		e.Time = t0.Add(time.Duration(i) * time.Millisecond)
		l.Record(e)
	}
	if err := l.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	return l
}
