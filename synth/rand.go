package synth

import "math"

// rng is SplitMix64: tiny, fast, and a stream per person is just a different start, so
// that person n is the same whichever goroutine draws them.
type rng struct{ s uint64 }

func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

// newRNG starts the stream named by (seed, stream).
func newRNG(seed int64, stream uint64) rng {
	return rng{s: mix64(uint64(seed)^0x5EED5EED5EED5EED) ^ mix64(stream+0x9E3779B97F4A7C15)}
}

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	return mix64(r.s)
}

// float is uniform in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// intn is uniform in [0, n) for n > 0.
func (r *rng) intn(n int) int { return int((r.next() >> 32) * uint64(n) >> 32) }

// between is uniform in [lo, hi].
func (r *rng) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.intn(hi-lo+1)
}

func (r *rng) chance(p float64) bool { return r.float() < p }

// expDays draws from an exponential with the given mean, in whole days.
func (r *rng) expDays(mean float64) int { return int(-math.Log(1-r.float()) * mean) }

// normal is an approximate standard normal (Irwin-Hall of four uniforms), enough for
// list sizes.
func (r *rng) normal() float64 {
	return (r.float() + r.float() + r.float() + r.float() - 2) * math.Sqrt(3)
}

// pick returns an index drawn with the cumulative weights cum (increasing, last = total).
func (r *rng) pick(cum []float64) int {
	x := r.float() * cum[len(cum)-1]
	for i, c := range cum {
		if x < c {
			return i
		}
	}
	return len(cum) - 1
}

// cumulative turns weights into the running sums pick wants.
func cumulative(w []float64) []float64 {
	out := make([]float64, len(w))
	sum := 0.0
	for i, x := range w {
		sum += x
		out[i] = sum
	}
	return out
}
