package auth

import (
	"sync"
	"time"
)

// Two in-memory caches, each bounded and each per process. With several replicas behind
// a load balancer the token cache needs nothing shared (any replica can verify any token
// from the shared keys), but the replay cache does: an assertion replayed to another
// replica is not caught. Replicas would need a shared replay store (the database, with
// a unique key on iss+jti and expiry), which the single-process deployment does not.

// replayCache remembers the jti of each accepted client assertion until the assertion
// expires (RFC 7523 §3 item 7, SMART: "not seen before for that iss").
type replayCache struct {
	mu   sync.Mutex
	seen map[string]time.Time // iss NUL jti → until when it is remembered
	max  int
}

const maxReplayEntries = 100_000

// admit records iss+jti until until, and reports false if it is already there (a
// replay) or the cache is full of live entries. Full fails closed: accepting an assertion
// the cache cannot remember would let it be replayed. Only registered clients with valid
// signatures reach this point, so filling it takes a client's own keys.
func (c *replayCache) admit(iss, jti string, until, now time.Time) (ok, full bool) {
	key := iss + "\x00" + jti
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, seen := c.seen[key]; seen && now.Before(t) {
		return false, false
	}
	if len(c.seen) >= c.max {
		for k, t := range c.seen {
			if !now.Before(t) {
				delete(c.seen, k)
			}
		}
		if len(c.seen) >= c.max {
			return false, true
		}
	}
	c.seen[key] = until
	return true, false
}

// tokenCache holds principals of verified access tokens, so that a request costs a map
// lookup, not a signature check. Keyed by the whole token string: a token that differs
// by one byte is a different key and is verified afresh.
type tokenCache struct {
	mu  sync.RWMutex
	m   map[string]*Principal
	max int
}

const maxCachedTokens = 100_000

func (c *tokenCache) get(token string, now time.Time) (*Principal, bool) {
	c.mu.RLock()
	p, ok := c.m[token]
	c.mu.RUnlock()
	if !ok || !now.Before(p.Expires) {
		return nil, false
	}
	return p, true
}

// put adds p; when the cache is full it first drops the expired entries, and when that
// frees less than half of it, forgets everything (the cost is one signature check per
// live token), so that a full cache is not swept on every put.
func (c *tokenCache) put(token string, p *Principal, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for k, q := range c.m {
			if !now.Before(q.Expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) > c.max/2 {
			clear(c.m)
		}
	}
	c.m[token] = p
}
