package mongo

import (
	"testing"

	"github.com/nimsproject/nims/store"
	"github.com/nimsproject/nims/store/storetest"
)

// BenchmarkBackend is the shared benchmark of every backend (storetest.Bench), against
// the server MONGO_URI names, for the comparison in docs/BENCHMARKS.md.
func BenchmarkBackend(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return openTest(b, Options{}) })
}
