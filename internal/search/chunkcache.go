package search

import (
	"context"
	"sync"

	"github.com/ragline/ragline/internal/store"
)

// maxCachedChunks bounds the chunk cache.
const maxCachedChunks = 50_000

// chunkCache keeps recently retrieved chunks in memory for one epoch:
// loading a few rows by id through SQLite costs more than ranking them.
// The epoch moves when a change removes chunks (Lexical.Sync), which
// empties the cache, since row ids may be reused after deletes.
type chunkCache struct {
	mu  sync.Mutex
	max int
	gen int64
	m   map[int64]store.ChunkRecord
}

// loadChunks returns the chunks of ids, ranked in epoch gen, in
// order, from the cache where it can and from the store for the rest.
func (l *Lexical) loadChunks(ctx context.Context, gen int64, ids []int64) ([]store.ChunkRecord, error) {
	c := l.chunks
	out := make([]store.ChunkRecord, 0, len(ids))
	var missing []int64
	c.mu.Lock()
	if c.m == nil || c.gen != gen {
		c.m, c.gen = make(map[int64]store.ChunkRecord), gen
	}
	for _, id := range ids {
		if _, ok := c.m[id]; !ok {
			missing = append(missing, id)
		}
	}
	c.mu.Unlock()
	if len(missing) > 0 {
		recs, err := l.index.Chunks(ctx, missing)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.gen != gen {
			// A write happened meanwhile: answer from the store alone.
			c.mu.Unlock()
			return l.index.Chunks(ctx, ids)
		}
		if len(c.m)+len(recs) > c.max {
			c.m = make(map[int64]store.ChunkRecord)
		}
		for _, r := range recs {
			c.m[r.RowID] = r
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if r, ok := c.m[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}
