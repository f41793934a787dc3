package sqlite

import (
	"testing"

	"github.com/nimsproject/nims/store"
	"github.com/nimsproject/nims/store/storetest"
)

// BenchmarkBackend is the shared benchmark of every backend (storetest.Bench), for the
// comparison with MongoDB in docs/BENCHMARKS.md.
func BenchmarkBackend(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return openTest(b, b.TempDir(), Options{}) })
}
