package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// jwksServer serves a client's JWK Set over HTTP on loopback.
type jwksServer struct {
	url string

	mu           sync.Mutex
	body         []byte
	status       int
	cacheControl string
	fetches      int
	block        chan struct{} // when set, requests wait for it to close
	redirect     bool
}

func newJWKSServer(t *testing.T, body json.RawMessage) *jwksServer {
	t.Helper()
	s := &jwksServer{body: body, status: http.StatusOK}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.fetches++
		body, status, cc, block, redirect := s.body, s.status, s.cacheControl, s.block, s.redirect
		s.mu.Unlock()
		if block != nil {
			select {
			case <-block:
			case <-r.Context().Done():
				return
			}
		}
		if redirect {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		if cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(func() {
		s.mu.Lock()
		if s.block != nil {
			close(s.block)
			s.block = nil
		}
		s.mu.Unlock()
		srv.Close()
	})
	s.url = srv.URL + "/jwks.json"
	return s
}

func (s *jwksServer) set(change func(*jwksServer)) {
	s.mu.Lock()
	change(s)
	s.mu.Unlock()
}

func (s *jwksServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

func TestJWKSURLCaching(t *testing.T) {
	f := newFixture(t)
	k1 := clientTestKey(t, "RS384", "k1")
	k2 := clientTestKey(t, "ES384", "k2")
	srv := newJWKSServer(t, jwksOf(k1))
	c := f.addClient(Client{Role: RolePass, JWKSURL: srv.url})

	f.token(tokenForm(f.assertion(k1, c.ID), ""))
	f.token(tokenForm(f.assertion(k1, c.ID), ""))
	if n := srv.count(); n != 1 {
		t.Errorf("%d fetches for two requests, want 1 (cached)", n)
	}

	// The client rotates to k2. Within 10 s of the last fetch an unknown kid is refused
	// without a fetch; after, it makes one fetch, which finds the new key.
	srv.set(func(s *jwksServer) { s.body = jwksOf(k1, k2) })
	f.c.add(5 * time.Second)
	f.refused(tokenForm(f.assertion(k2, c.ID), ""), "invalid_client")
	if n := srv.count(); n != 1 {
		t.Errorf("an unknown kid fetched within 10 s (%d fetches)", n)
	}
	f.c.add(5 * time.Second)
	f.token(tokenForm(f.assertion(k2, c.ID), ""))
	if n := srv.count(); n != 2 {
		t.Errorf("%d fetches after an unknown kid, want 2", n)
	}
	// A kid unknown even after the refetch does not fetch again within 10 s.
	k3 := clientTestKey(t, "ES384", "k3")
	f.refused(tokenForm(f.assertion(k3, c.ID), ""), "invalid_client")
	f.refused(tokenForm(f.assertion(k3, c.ID), ""), "invalid_client")
	if n := srv.count(); n != 2 {
		t.Errorf("unknown kids fetched %d times in 10 s, want no more than 2 in all", n)
	}
	// Without Cache-Control the set is kept five minutes.
	f.c.add(jwksDefaultAge - time.Second)
	f.token(tokenForm(f.assertion(k1, c.ID), ""))
	if n := srv.count(); n != 2 {
		t.Errorf("refetched before the default age (%d)", n)
	}
	f.c.add(2 * time.Second)
	f.token(tokenForm(f.assertion(k1, c.ID), ""))
	if n := srv.count(); n != 3 {
		t.Errorf("not refetched after the default age (%d)", n)
	}
}

func TestJWKSURLCacheControl(t *testing.T) {
	for _, tc := range []struct {
		cc      string
		kept    time.Duration // still cached this long after a fetch
		refetch time.Duration // fetched again by then
	}{
		{"max-age=60", 59 * time.Second, 61 * time.Second},
		{"public, max-age=86400", time.Hour - time.Second, time.Hour + time.Second}, // capped at an hour
		{"no-store", 9 * time.Second, 10 * time.Second},                             // but never more than once in 10 s
		{"no-cache", 9 * time.Second, 10 * time.Second},
		{"max-age=0", 9 * time.Second, 10 * time.Second},
	} {
		t.Run(tc.cc, func(t *testing.T) {
			f := newFixture(t)
			k := clientTestKey(t, "ES384", "k")
			srv := newJWKSServer(t, jwksOf(k))
			srv.set(func(s *jwksServer) { s.cacheControl = tc.cc })
			c := f.addClient(Client{Role: RolePass, JWKSURL: srv.url})
			f.token(tokenForm(f.assertion(k, c.ID), ""))
			start := f.c.now()
			f.c.add(tc.kept)
			f.token(tokenForm(f.assertion(k, c.ID), ""))
			if n := srv.count(); n != 1 {
				t.Errorf("refetched %v after the fetch (%d fetches)", tc.kept, n)
			}
			f.c.add(tc.refetch - f.c.now().Sub(start))
			f.token(tokenForm(f.assertion(k, c.ID), ""))
			if n := srv.count(); n != 2 {
				t.Errorf("not refetched %v after the fetch (%d fetches)", tc.refetch, n)
			}
		})
	}
}

func TestCacheTTL(t *testing.T) {
	for _, tc := range []struct {
		cc   string
		want time.Duration
	}{
		{"", jwksDefaultAge},
		{"public", jwksDefaultAge},
		{"max-age=120", 2 * time.Minute},
		{"Max-Age=120", 2 * time.Minute},
		{`max-age="120"`, 2 * time.Minute},
		{"max-age=99999999999999", time.Hour},
		{"max-age=-1", 0},
		{"max-age=x", 0},
		{"no-store", 0},
		{"max-age=600, no-cache", 0},
	} {
		if got := cacheTTL(tc.cc); got != tc.want {
			t.Errorf("cacheTTL(%q) = %v, want %v", tc.cc, got, tc.want)
		}
	}
}

func TestJWKSURLFailures(t *testing.T) {
	k := clientTestKey(t, "RS384", "k")
	for _, tc := range []struct {
		name   string
		change func(*jwksServer)
	}{
		{"HTTP 500", func(s *jwksServer) { s.status = http.StatusInternalServerError }},
		{"HTTP 404", func(s *jwksServer) { s.status = http.StatusNotFound }},
		{"not JSON", func(s *jwksServer) { s.body = []byte("<html>") }},
		{"too large", func(s *jwksServer) { s.body = []byte(`{"keys":[],"x":"` + strings.Repeat("a", jwksMaxBytes) + `"}`) }},
		{"private key published", func(s *jwksServer) {
			s.body = []byte(`{"keys":[{"kty":"RSA","kid":"k","n":"AQAB","e":"AQAB","d":"AQAB"}]}`)
		}},
		{"redirect", func(s *jwksServer) { s.redirect = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			srv := newJWKSServer(t, jwksOf(k))
			srv.set(tc.change)
			c := f.addClient(Client{Role: RolePass, JWKSURL: srv.url})
			oerr, issued := f.refused(tokenForm(f.assertion(k, c.ID), ""), "invalid_client")
			if !strings.Contains(oerr.Description, "JWKS URL") {
				t.Errorf("description %q does not name the JWKS URL", oerr.Description)
			}
			if issued == nil || issued.ClientID != c.ID {
				t.Errorf("issued = %+v, want the client", issued)
			}
		})
	}
}

// Keys fetched before stay while fresh when a refetch fails, and go when they expire.
func TestJWKSURLFailureAfterSuccess(t *testing.T) {
	f := newFixture(t)
	k := clientTestKey(t, "RS384", "k")
	srv := newJWKSServer(t, jwksOf(k))
	c := f.addClient(Client{Role: RolePass, JWKSURL: srv.url})
	f.token(tokenForm(f.assertion(k, c.ID), ""))
	srv.set(func(s *jwksServer) { s.status = http.StatusServiceUnavailable })
	f.c.add(20 * time.Second)
	f.refused(tokenForm(f.assertion(clientTestKey(t, "ES384", "new"), c.ID), ""), "invalid_client") // refetch fails
	f.token(tokenForm(f.assertion(k, c.ID), ""))                                                    // the cached key still serves
	f.c.add(jwksDefaultAge)
	f.refused(tokenForm(f.assertion(k, c.ID), ""), "invalid_client")
}

// A JWKS URL that never answers costs the request its deadline, not a hang.
func TestJWKSURLHang(t *testing.T) {
	f := newFixture(t)
	k := clientTestKey(t, "RS384", "k")
	srv := newJWKSServer(t, jwksOf(k))
	srv.set(func(s *jwksServer) { s.block = make(chan struct{}) })
	c := f.addClient(Client{Role: RolePass, JWKSURL: srv.url})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, oerr, _ := f.a.Token(ctx, tokenForm(f.assertion(k, c.ID), ""))
	if oerr == nil || oerr.Code != "invalid_client" {
		t.Fatalf("Token = %v, want invalid_client", oerr)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Token took %v against a hanging JWKS URL", d)
	}
	if hc := defaultHTTPClient(); hc.Timeout != jwksTimeout || hc.Timeout > 5*time.Second {
		t.Errorf("default HTTP client timeout %v, want 5 s", hc.Timeout)
	}
}
