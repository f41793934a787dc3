package api

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/nimsproject/nims/store/sqlite"
)

// BenchmarkReadInProcess measures the API's own cost of a read by id (no network):
// middleware, store read and encoding. Compare with BenchmarkBareInProcess.
func BenchmarkReadInProcess(b *testing.B) {
	st, err := sqlite.Open(context.Background(), b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s := New(Config{AccessLog: true}, st, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	req := httptest.NewRequest("POST", "/fhir/Patient", bytes.NewReader([]byte(`{"resourceType":"Patient","name":[{"family":"Smith","given":["Ada"]}],"gender":"female","birthDate":"1950-12-10"}`)))
	req.Header.Set("Content-Type", "application/fhir+json")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Code != http.StatusCreated {
		b.Fatalf("create: %d %s", w.Code, w.Body)
	}
	loc := w.Header().Get("Location")
	path := loc[len("http://example.com"):]
	path = path[:bytes.LastIndex([]byte(path), []byte("/_history"))]
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
			if w.Code != http.StatusOK {
				b.Fatalf("read: %d", w.Code)
			}
		}
	})
}
