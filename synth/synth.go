package synth

import (
	"fmt"
	"runtime"
	"sync"
	"time"
)

// Config says what to generate.
type Config struct {
	// Patients is how many people to register (1 to MaxPatients).
	Patients int
	// Seed selects one of many possible Englands of that size.
	Seed int64
	// RefDate is "today": ages, flags and the seasons before it are computed from its
	// date. Zero means DefaultRefDate, so output does not change with the clock.
	RefDate time.Time
}

// DefaultRefDate is the reference day when Config.RefDate is zero.
var DefaultRefDate = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Resource is one generated FHIR resource: compact JSON with id set and no meta (but
// for the security label of a restricted Patient). The caller may keep JSON.
type Resource struct {
	Type, ID string
	JSON     []byte
}

// chunkSize people are generated together: big enough to share out the work, small
// enough to keep little in memory.
const chunkSize = 2048

// Generate calls emit with every resource, in an order a loader can follow: the
// Organizations (regions, ICBs, practices), then each person's Patient followed by
// their Flags and Immunizations. The same cfg gives the same resources, byte for byte,
// whatever GOMAXPROCS is: people are made in parallel but each from its own random
// stream, and emitted in order, from the calling goroutine. The first error from emit
// stops generation and is returned.
func Generate(cfg Config, emit func(Resource) error) error {
	if cfg.Patients < 1 || cfg.Patients > MaxPatients {
		return fmt.Errorf("synth: %d patients: want 1 to %d", cfg.Patients, MaxPatients)
	}
	if cfg.RefDate.IsZero() {
		cfg.RefDate = DefaultRefDate
	}
	w := newWorld(cfg)
	if err := w.organizations(emit); err != nil {
		return err
	}
	return w.people(emit)
}

// job is one chunk of people: out receives it once made.
type job struct {
	first int
	out   chan *gen
}

// people makes the people in chunks on every core and emits the chunks in order.
func (w *world) people(emit func(Resource) error) error {
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan job)
	order := make(chan job, 2*workers) // bounds the chunks made but not yet emitted
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(jobs)
		defer close(order)
		for first := 0; first < w.cfg.Patients; first += chunkSize {
			j := job{first, make(chan *gen, 1)}
			select {
			case order <- j:
			case <-done:
				return
			}
			select {
			case jobs <- j:
			case <-done:
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				j.out <- w.chunk(j.first, min(j.first+chunkSize, w.cfg.Patients))
			}
		})
	}
	var err error
	for j := range order {
		if err == nil {
			err = (<-j.out).emit(emit)
			if err != nil {
				close(done)
			}
		}
	}
	wg.Wait()
	return err
}

// gen collects the resources of one chunk in one byte arena.
type gen struct {
	w     *world
	arena []byte
	res   []Resource
	ends  []int
}

// chunk makes people first..end-1 and everything they own.
func (w *world) chunk(first, end int) *gen {
	g := &gen{w: w, arena: make([]byte, 0, (end-first)*2600), res: make([]Resource, 0, (end-first)*3)}
	var p person
	k := w.practiceOf(first)
	for n := first; n < end; n++ {
		for n >= w.practices[k].first+w.practices[k].count {
			k++
		}
		w.draw(&p, n, k)
		w.drawFlags(&p)
		w.vaccinate(&p)
		g.patient(&p)
		g.writeFlags(&p)
		for i := range p.doses[:p.nDoses] {
			g.immunization(&p, i, &p.doses[i])
		}
	}
	return g
}

// begin returns the arena to append the next resource to.
func (g *gen) begin() []byte { return g.arena }

// end records the resource just appended to b.
func (g *gen) end(b []byte, typ, id string) {
	g.arena = b
	g.res = append(g.res, Resource{Type: typ, ID: id})
	g.ends = append(g.ends, len(b))
}

func (g *gen) emit(emit func(Resource) error) error {
	start := 0
	for i, r := range g.res {
		e := g.ends[i]
		r.JSON = g.arena[start:e:e]
		start = e
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}
