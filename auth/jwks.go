package auth

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Client keys published at a JWKS URL. SMART: the server SHALL NOT cache a set beyond
// what the client's Cache-Control allows. Here a set is kept for its max-age, at most an
// hour; for five minutes when the response says nothing; not at all under no-cache or
// no-store. Whatever the headers, a client's URL is fetched at most once per 10 s: an
// unknown kid refetches once (the client may have rotated), and a flood of assertions
// naming a client cannot make us flood its server. Every fetch ends within
// jwksTimeout.
const (
	jwksMaxAge      = time.Hour
	jwksDefaultAge  = 5 * time.Minute
	jwksMinInterval = 10 * time.Second
	jwksTimeout     = 5 * time.Second
	jwksMaxBytes    = 256 << 10
)

type remoteJWKS struct {
	client *http.Client
	now    func() time.Time

	mu   sync.Mutex
	sets map[string]*remoteSet // by client_id
}

type remoteSet struct {
	mu      sync.Mutex // held while fetching: concurrent requests share one fetch
	url     string
	keys    []clientKey
	fetched time.Time // of the last attempt, successful or not
	expires time.Time // of keys
	err     error     // of the last attempt
}

// defaultHTTPClient fetches JWKS URLs: a 5 s timeout and no redirects (the registered URL
// is the one trusted, not wherever it points).
func defaultHTTPClient() *http.Client {
	return &http.Client{
		Timeout:       jwksTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// key returns the key with kid that fits alg from the set at url of client id. The error
// is a description for the client (invalid_client).
func (r *remoteJWKS) key(ctx context.Context, id, url, kid, alg string) (crypto.PublicKey, error) {
	r.mu.Lock()
	s := r.sets[id]
	if s == nil || s.url != url {
		s = &remoteSet{url: url}
		r.sets[id] = s
	}
	r.mu.Unlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	now := r.now()
	mayFetch := s.fetched.IsZero() || now.Sub(s.fetched) >= jwksMinInterval || now.Before(s.fetched)
	if mayFetch && !now.Before(s.expires) {
		r.fetch(ctx, s)
		mayFetch = false
	}
	if k, ok := findKey(s.keys, kid, alg); ok {
		return k, nil
	}
	if mayFetch {
		r.fetch(ctx, s)
		if k, ok := findKey(s.keys, kid, alg); ok {
			return k, nil
		}
	}
	if s.err != nil {
		return nil, fmt.Errorf("the client's JWKS URL could not be used: %v", s.err)
	}
	return nil, fmt.Errorf("no key in the client's JWK Set has the assertion's kid and fits %s", alg)
}

// fetch reads the set into s. On failure the keys already held stay until they expire.
func (r *remoteJWKS) fetch(ctx context.Context, s *remoteSet) {
	now := r.now()
	s.fetched = now
	keys, ttl, err := r.get(ctx, s.url)
	s.err = err
	if err != nil {
		if !now.Before(s.expires) {
			s.keys = nil
		}
		return
	}
	s.keys, s.expires = keys, now.Add(ttl)
}

func (r *remoteJWKS) get(ctx context.Context, url string) ([]clientKey, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, jwksTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, errors.New("bad URL")
	}
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, 0, errors.New("fetch failed or timed out")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("HTTP status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes+1))
	if err != nil {
		return nil, 0, errors.New("reading the response failed")
	}
	if len(body) > jwksMaxBytes {
		return nil, 0, errors.New("the JWK Set is larger than 256 KiB")
	}
	keys, err := parseJWKSet(body)
	if err != nil {
		return nil, 0, err
	}
	return keys, cacheTTL(resp.Header.Get("Cache-Control")), nil
}

// cacheTTL is how long a response may be kept under its Cache-Control header.
func cacheTTL(cc string) time.Duration {
	ttl := jwksDefaultAge
	for _, d := range strings.Split(cc, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(name) {
		case "no-store", "no-cache":
			return 0
		case "max-age":
			n, err := strconv.ParseInt(strings.Trim(value, `"`), 10, 64)
			if err != nil || n < 0 {
				return 0 // unreadable: do not keep
			}
			ttl = min(time.Duration(min(n, int64(jwksMaxAge/time.Second)))*time.Second, jwksMaxAge)
		}
	}
	return ttl
}
