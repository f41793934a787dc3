package sqlite

import (
	"sync"

	"github.com/nimsproject/nims/store"
)

// cache holds current versions in memory, bounded in bytes, so that a read by id skips
// SQL: profiles showed the SQL engine and database/sql at a third of a read's CPU over
// HTTP. Eviction is first-in first-out, which is cheap and good enough for the pattern it
// serves (a person's record read several times around one visit).
//
// Staleness is ruled out by one counter. The writer publishes every commit under mu
// (counter++, then its new versions replace older ones by seq). A reader that missed takes
// the counter before its SQL read and may fill the cache only if no commit was published
// since: a commit that landed in SQL but is not yet published will overwrite the fill when
// it is, because its seq is larger; one already published (perhaps evicted since) makes
// the fill a no-op. So the cache never holds a version older than one a caller was told
// was written.
type cache struct {
	mu      sync.Mutex
	limit   int64
	size    int64
	entries map[cacheKey]store.Record
	order   []cacheKey // insertion order, for eviction; may hold keys since removed
	head    int
	commits uint64
}

type cacheKey struct{ typ, id string }

// entryOverhead approximates the bytes a cached record costs beyond its JSON.
const entryOverhead = 160

func newCache(limit int64) *cache {
	if limit <= 0 {
		return nil
	}
	return &cache{limit: limit, entries: map[cacheKey]store.Record{}}
}

func (c *cache) get(typ, id string) (store.Record, bool) {
	if c == nil {
		return store.Record{}, false
	}
	c.mu.Lock()
	rec, ok := c.entries[cacheKey{typ, id}]
	c.mu.Unlock()
	return rec, ok
}

// stamp is taken by a reader before it reads SQL; see fill.
func (c *cache) stamp() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.commits
}

// fill caches what a reader read, unless a commit was published since its stamp.
func (c *cache) fill(rec store.Record, stamp uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.commits == stamp {
		c.put(rec)
	}
}

// publish records a commit's new current versions; the writer calls it after COMMIT and
// before answering the callers.
func (c *cache) publish(recs []store.Record) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.commits++
	for _, r := range recs {
		c.put(r)
	}
}

func (c *cache) put(rec store.Record) {
	k := cacheKey{rec.Type, rec.ID}
	cost := int64(len(rec.JSON) + len(rec.Type) + len(rec.ID) + entryOverhead)
	if cost > c.limit/8 { // one huge resource must not flush the cache; drop its old version
		if old, ok := c.entries[k]; ok && old.Seq < rec.Seq {
			delete(c.entries, k)
			c.size -= int64(len(old.JSON) + len(old.Type) + len(old.ID) + entryOverhead)
		}
		return
	}
	if old, ok := c.entries[k]; ok {
		if old.Seq >= rec.Seq {
			return
		}
		c.size -= int64(len(old.JSON) + len(old.Type) + len(old.ID) + entryOverhead)
	} else {
		c.order = append(c.order, k)
	}
	c.entries[k] = rec
	c.size += cost
	for c.size > c.limit && c.head < len(c.order) {
		victim := c.order[c.head]
		c.order[c.head] = cacheKey{}
		c.head++
		if old, ok := c.entries[victim]; ok {
			delete(c.entries, victim)
			c.size -= int64(len(old.JSON) + len(old.Type) + len(old.ID) + entryOverhead)
		}
	}
	if c.head > 1024 && c.head > len(c.order)/2 {
		c.order = append(c.order[:0:0], c.order[c.head:]...)
		c.head = 0
	}
}
