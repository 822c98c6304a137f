package store

import (
	"errors"
	"sync"
)

// pgMaxCachedChunks bounds the chunk records a PostgreSQL store keeps in
// memory (about 1–2 KB each).
const pgMaxCachedChunks = 200_000

// pgCache keeps what the query path reads — chunk records and the
// collection list — in memory, so searches and answers go on while the
// database is unreachable. A chunk row id is never reused (a sequence),
// so a cached record never goes stale; records of deleted chunks are
// simply no longer ranked.
type pgCache struct {
	mu          sync.Mutex
	chunks      map[int64]ChunkRecord
	collections map[string]int
}

func (c *pgCache) putChunks(recs []ChunkRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.chunks == nil || len(c.chunks)+len(recs) > pgMaxCachedChunks {
		c.chunks = make(map[int64]ChunkRecord, len(recs))
	}
	for _, r := range recs {
		c.chunks[r.RowID] = r
	}
}

// getChunks returns the cached records of ids (by id) and the ids missing.
func (c *pgCache) getChunks(ids []int64) (map[int64]ChunkRecord, []int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	found := make(map[int64]ChunkRecord, len(ids))
	var missing []int64
	for _, id := range ids {
		if r, ok := c.chunks[id]; ok {
			found[id] = r
		} else {
			missing = append(missing, id)
		}
	}
	return found, missing
}

// staleCollections returns the last collection list when err means the
// database is unreachable.
func (c *pgCache) staleCollections(err error) (map[string]int, bool) {
	if !errors.Is(err, ErrUnavailable) {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.collections == nil {
		return nil, false
	}
	out := make(map[string]int, len(c.collections))
	for k, v := range c.collections {
		out[k] = v
	}
	return out, true
}

func (c *pgCache) setCollections(m map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.collections = make(map[string]int, len(m))
	for k, v := range m {
		c.collections[k] = v
	}
}
