package storetest

import (
	"fmt"
	"net/url"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// Bench measures one backend on the operations every backend serves, over the same data,
// so that backends compare like with like (docs/BENCHMARKS.md, "Embedded store and
// MongoDB"). open returns a new, empty store, loaded once with BenchPatients patients
// and two immunizations each and shared by the sub-benchmarks in order (the creates and
// transactions add to it). Calls come from 8 concurrent callers, as a server's requests do.
func Bench(b *testing.B, open func(b *testing.B) store.Store) {
	s := open(b)
	benchLoad(b, s)
	for _, bm := range []struct {
		name string
		fn   func(b *testing.B, s store.Store)
	}{
		{"Create", benchCreate},
		{"Read", benchRead},
		{"Update", benchUpdate},
		{"ConditionalCreateExisting", benchConditionalCreate},
		{"SearchIdentifier", benchSearch("Immunization", func(i int) string { return fmt.Sprintf("identifier=https://supplier.example/imms|bi%d-1", i) })},
		{"SearchPatientImmunizations", benchSearch("Immunization", func(i int) string { return fmt.Sprintf("patient=Patient/bp%d", i) })},
		{"SearchFamilyPrefix", benchSearch("Patient", func(i int) string { return fmt.Sprintf("family=Fam%03d", i%BenchPatients) })},
		{"SearchDateRange", benchSearch("Immunization", func(i int) string {
			return fmt.Sprintf("date=ge2024-%02d-01&date=lt2024-%02d-01", 1+i%11, 2+i%11)
		})},
		{"Transaction10", benchTransaction},
	} {
		b.Run(bm.name, func(b *testing.B) { bm.fn(b, s) })
	}
}

// BenchPatients is the size of the data each sub-benchmark starts with.
const BenchPatients = 500

func benchNHS(i int) string { return fmt.Sprintf("9%09d", i) }

func benchPatient(i int) []byte {
	return fmt.Appendf(nil, `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":%q}],`+
		`"name":[{"family":"Fam%03d","given":["Given%d"]}],"gender":"female","birthDate":"19%02d-0%d-1%d",`+
		`"address":[{"postalCode":"LS%d 4AP"}]}`, benchNHS(i), i%1000, i, i%100, 1+i%9, i%10, i%30)
}

func benchImmunization(p, k int) []byte {
	return fmt.Appendf(nil, `{"resourceType":"Immunization","status":"completed",`+
		`"vaccineCode":{"coding":[{"system":"http://snomed.info/sct","code":"3903921000001102"}]},`+
		`"patient":{"reference":"Patient/bp%d"},"occurrenceDateTime":"2024-%02d-%02dT10:00:00Z",`+
		`"identifier":[{"system":"https://supplier.example/imms","value":"bi%d-%d"}]}`, p, 1+(p+k)%12, 1+p%28, p, k)
}

func benchOp(b *testing.B, kind store.OpKind, typ, id string, js []byte) store.Op {
	r, err := fhir.Decode(js)
	if err != nil {
		b.Fatal(err)
	}
	op := store.Op{Kind: kind, Type: typ, ID: id, JSON: r.JSON, Entries: search.ExtractAll(typ, r.Object)}
	if typ == "Patient" {
		op.Unique = []store.UniqueKey{{Key: "Patient|https://fhir.nhs.uk/Id/nhs-number|" + benchNHS(benchIndex(id)), Diagnostics: "taken"}}
	}
	return op
}

func benchIndex(id string) int {
	var i int
	fmt.Sscanf(id, "bp%d", &i)
	return i
}

// benchLoad writes the starting data in transactions of 100.
func benchLoad(b *testing.B, s store.Store) {
	var ops []store.Op
	flush := func() {
		if len(ops) == 0 {
			return
		}
		if _, err := s.Transaction(b.Context(), ops); err != nil {
			b.Fatalf("load: %v", err)
		}
		ops = ops[:0]
	}
	for i := range BenchPatients {
		ops = append(ops, benchOp(b, store.OpCreate, "Patient", fmt.Sprintf("bp%d", i), benchPatient(i)))
		for k := range 2 {
			ops = append(ops, benchOp(b, store.OpCreate, "Immunization", fmt.Sprintf("bi%d-%d", i, k), benchImmunization(i, k)))
		}
		if len(ops) >= 99 {
			flush()
		}
	}
	flush()
}

func parallel8(b *testing.B, fn func(i int) error) {
	var n atomic.Int64
	b.SetParallelism(max(1, 8/max(1, runtimeProcs())))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := fn(int(n.Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// benchFresh numbers the resources the benchmarks create: a benchmark function runs
// several times over the one store, so its own counter would repeat ids.
var benchFresh atomic.Int64

func benchCreate(b *testing.B, s store.Store) {
	parallel8(b, func(int) error {
		p := 1_000_000 + int(benchFresh.Add(1))
		_, err := s.Apply(b.Context(), benchOp(b, store.OpCreate, "Patient", fmt.Sprintf("bp%d", p), benchPatient(p)))
		return err
	})
}

func benchRead(b *testing.B, s store.Store) {
	parallel8(b, func(i int) error {
		_, err := s.Read(b.Context(), "Patient", fmt.Sprintf("bp%d", i%BenchPatients))
		return err
	})
}

// benchUpdate updates distinct patients (no lost races to retry): the cost of a version.
func benchUpdate(b *testing.B, s store.Store) {
	parallel8(b, func(i int) error {
		p := i % BenchPatients
		js := benchPatient(p)
		js = append(js[:len(js)-1], fmt.Appendf(nil, `,"active":%v}`, i%2 == 0)...)
		_, err := s.Apply(b.Context(), benchOp(b, store.OpUpdate, "Patient", fmt.Sprintf("bp%d", p), js))
		return err
	})
}

// benchConditionalCreate is If-None-Exist on an identifier that exists: what a
// point-of-care app's retried create costs.
func benchConditionalCreate(b *testing.B, s store.Store) {
	parallel8(b, func(i int) error {
		p := i % BenchPatients
		op := benchOp(b, store.OpCreate, "Immunization", fmt.Sprintf("new-%d", benchFresh.Add(1)), benchImmunization(p, 0))
		q, err := search.ParseCriteria("Immunization", fmt.Sprintf("identifier=https://supplier.example/imms|bi%d-0", p))
		if err != nil {
			return err
		}
		op.IfNoneExist = q
		res, err := s.Apply(b.Context(), op)
		if err == nil && res.Outcome != store.Existing {
			return fmt.Errorf("conditional create of an existing identifier: outcome %d", res.Outcome)
		}
		return err
	})
}

func benchSearch(typ string, query func(i int) string) func(b *testing.B, s store.Store) {
	return func(b *testing.B, s store.Store) {
		parallel8(b, func(i int) error {
			vals, err := url.ParseQuery(query(i % BenchPatients))
			if err != nil {
				return err
			}
			q, err := search.Parse(typ, vals, search.ParseOptions{Strict: true, DefaultCount: 50, MaxCount: 1000})
			if err != nil {
				return err
			}
			res, err := s.Search(b.Context(), q)
			if err == nil && len(res.Records) == 0 {
				return fmt.Errorf("%s?%s found nothing", typ, query(i%BenchPatients))
			}
			return err
		})
	}
}

// benchTransaction writes a patient and nine immunizations in one transaction.
func benchTransaction(b *testing.B, s store.Store) {
	parallel8(b, func(int) error {
		p := 1_000_000 + int(benchFresh.Add(1))
		ops := []store.Op{benchOp(b, store.OpCreate, "Patient", fmt.Sprintf("bp%d", p), benchPatient(p))}
		for k := range 9 {
			ops = append(ops, benchOp(b, store.OpCreate, "Immunization", fmt.Sprintf("bi%d-%d", p, k), benchImmunization(p, k)))
		}
		_, err := s.Transaction(b.Context(), ops)
		return err
	})
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
