package auth

import (
	"testing"
	"time"
)

// BenchmarkVerify measures a request's token check: "cached" is the common case (a map
// lookup and the disabled check), "uncached" a first sight of a token (ES256 signature,
// claims, scope parsing).
//
// Run: go test -run '^$' -bench BenchmarkVerify -benchmem ./auth/
//
// Figures: not yet measured. The first version of this package was written while the
// machine was busy with a data generation run, and benchmarks were not to be run then;
// record them here, with the machine, when they are.
func BenchmarkVerify(b *testing.B) {
	c := newClock()
	a, err := New(Config{Dir: b.TempDir(), Issuer: testIssuer, Now: c.now})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := a.LocalToken(RolePOC, "", nil, []string{"FLU.CRUDS", "COVID.CRUDS"}, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		if _, err := a.Verify(tok); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := a.Verify(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a.cache.mu.Lock()
			clear(a.cache.m)
			a.cache.mu.Unlock()
			if _, err := a.Verify(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
