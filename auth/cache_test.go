package auth

import (
	"strconv"
	"testing"
	"time"
)

func TestReplayCache(t *testing.T) {
	c := &replayCache{seen: map[string]time.Time{}, max: 3}
	now := newClock().now()
	until := now.Add(time.Minute)
	steps := []struct {
		name             string
		iss, jti         string
		at               time.Time
		wantOK, wantFull bool
	}{
		{"first", "a", "1", now, true, false},
		{"replay", "a", "1", now.Add(time.Second), false, false},
		{"same jti, other iss", "b", "1", now, true, false},
		{"iss and jti do not run together", "a1", "", now, true, false},
		{"full of live entries", "a", "2", now, false, true},
		{"after expiry the old ones make room", "a", "2", until, true, false},
		{"an expired jti may come again", "a", "1", until.Add(time.Second), true, false},
	}
	for _, s := range steps {
		ok, full := c.admit(s.iss, s.jti, until, s.at)
		if ok != s.wantOK || full != s.wantFull {
			t.Errorf("%s: admit(%s, %s) = %v, %v; want %v, %v", s.name, s.iss, s.jti, ok, full, s.wantOK, s.wantFull)
		}
		if s.name == "after expiry the old ones make room" {
			until = until.Add(time.Hour)
		}
	}
}

func TestTokenCacheBounded(t *testing.T) {
	c := &tokenCache{m: map[string]*Principal{}, max: 10}
	now := newClock().now()
	for i := range 25 {
		c.put(strconv.Itoa(i), &Principal{Expires: now.Add(time.Minute)}, now)
		if len(c.m) > 10 {
			t.Fatalf("cache holds %d entries, max 10", len(c.m))
		}
	}
	if _, ok := c.get("24", now); !ok {
		t.Error("the latest entry is missing")
	}
	if _, ok := c.get("24", now.Add(time.Minute)); ok {
		t.Error("an expired entry is served")
	}
	// Expired entries are dropped first.
	c = &tokenCache{m: map[string]*Principal{}, max: 4}
	c.put("old1", &Principal{Expires: now}, now.Add(-time.Second))
	c.put("old2", &Principal{Expires: now}, now.Add(-time.Second))
	c.put("live", &Principal{Expires: now.Add(time.Hour)}, now)
	c.put("live2", &Principal{Expires: now.Add(time.Hour)}, now)
	c.put("new", &Principal{Expires: now.Add(time.Hour)}, now)
	if _, ok := c.get("live", now); !ok {
		t.Error("a live entry was dropped while expired ones could go")
	}
	if _, ok := c.m["old1"]; ok {
		t.Error("expired entry kept")
	}
}
