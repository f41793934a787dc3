package api

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nimsproject/nims/audit"
)

// benchServer is an API over a fresh store. With secure false it is the baseline the
// cost of authentication, authorisation and audit is measured against: the same server
// with its FHIR routes open (possible only from inside package api).
func benchServer(b *testing.B, secure bool) (*Server, string) {
	st := openTestStore(b) // NIMS_TEST_STORE=mongodb measures the MongoDB backend
	cfg := Config{AccessLog: true, Auth: testAuthority(b)}
	if secure {
		var err error
		if cfg.Audit, err = audit.Open(b.TempDir(), audit.Options{}); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { cfg.Audit.Close() })
	}
	cfg.insecure = !secure
	return New(cfg, st, slog.New(slog.NewJSONHandler(io.Discard, nil))), "Bearer " + localToken(b, cfg.Auth, "admin", "")
}

// BenchmarkReadInProcess measures the API's own cost of a read by id (no network):
// middleware, token check, policy, audit event, store read and encoding; /open is the
// same without the token check, policy and audit.
func BenchmarkReadInProcess(b *testing.B) {
	for _, secure := range []bool{true, false} {
		name := "secure"
		if !secure {
			name = "open"
		}
		b.Run(name, func(b *testing.B) {
			s, token := benchServer(b, secure)
			req := httptest.NewRequest("POST", "/fhir/Patient", bytes.NewReader([]byte(`{"resourceType":"Patient","name":[{"family":"Smith","given":["Ada"]}],"gender":"female","birthDate":"1950-12-10"}`)))
			req.Header.Set("Content-Type", "application/fhir+json")
			req.Header.Set("Authorization", token)
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
					r := httptest.NewRequest("GET", path, nil)
					r.Header.Set("Authorization", token)
					s.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("read: %d", w.Code)
					}
				}
			})
		})
	}
}

// BenchmarkCreateInProcess is the same comparison for durable creates (16 callers).
func BenchmarkCreateInProcess(b *testing.B) {
	body := []byte(`{"resourceType":"Patient","name":[{"family":"Smith","given":["Ada"]}],"gender":"female","birthDate":"1950-12-10"}`)
	for _, secure := range []bool{true, false} {
		name := "secure"
		if !secure {
			name = "open"
		}
		b.Run(name, func(b *testing.B) {
			s, token := benchServer(b, secure)
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					w := httptest.NewRecorder()
					r := httptest.NewRequest("POST", "/fhir/Patient", bytes.NewReader(body))
					r.Header.Set("Content-Type", "application/fhir+json")
					r.Header.Set("Authorization", token)
					s.ServeHTTP(w, r)
					if w.Code != http.StatusCreated {
						b.Fatalf("create: %d %s", w.Code, w.Body)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
		})
	}
}

// BenchmarkTransaction measures transaction Bundles at 1, 10 and 100 entries through the
// whole stack (no network), 8 clients at once: half Patients, half Immunizations that
// refer to them by urn:uuid, as a point-of-care system sends a vaccination with its
// patient. The figure is resources stored per second.
func BenchmarkTransaction(b *testing.B) {
	for _, size := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("entries=%d", size), func(b *testing.B) {
			s, token := benchServer(b, true)
			var n atomic.Int64
			b.SetParallelism(4) // 8 clients on 2 cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					body := transactionBody(size, n.Add(1))
					w := httptest.NewRecorder()
					r := httptest.NewRequest("POST", "/fhir", bytes.NewReader(body))
					r.Header.Set("Content-Type", "application/fhir+json")
					r.Header.Set("Authorization", token)
					s.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("transaction: %d %s", w.Code, w.Body)
					}
				}
			})
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "resources/s")
		})
	}
}

func transactionBody(size int, seq int64) []byte {
	var entries []string
	for i := 0; i < size; i++ {
		full := fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", seq*1000+int64(i))
		if i%2 == 0 {
			entries = append(entries, `{"fullUrl":"`+full+`","resource":{"resourceType":"Patient","name":[{"family":"Bench","given":["Ada"]}],"gender":"female","birthDate":"1950-12-10"},"request":{"method":"POST","url":"Patient"}}`)
			continue
		}
		prev := fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", seq*1000+int64(i-1))
		entries = append(entries, `{"fullUrl":"`+full+`","resource":{"resourceType":"Immunization","status":"completed","vaccineCode":{"coding":[{"system":"http://snomed.info/sct","code":"39114911000001105"}]},"patient":{"reference":"`+prev+`"},"occurrenceDateTime":"2026-10-01T10:00:00+00:00","lotNumber":"AB1234"},"request":{"method":"POST","url":"Immunization"}}`)
	}
	return []byte(`{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",") + `]}`)
}
