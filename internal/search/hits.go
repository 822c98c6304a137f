package search

import (
	"context"
	"fmt"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/store"
)

// rowHit is a hit with its store row id.
type rowHit struct {
	schema.Hit
	rowid int64
}

func plain(hs []rowHit) []schema.Hit {
	out := make([]schema.Hit, len(hs))
	for i, h := range hs {
		out[i] = h.Hit
	}
	return out
}

// hits loads the chunks of matches ranked in chunk-cache epoch gen, in
// order, through the chunk cache.
func (l *Lexical) hits(ctx context.Context, gen int64, matches []store.Match) ([]rowHit, error) {
	ids := make([]int64, len(matches))
	scores := make(map[int64]float64, len(matches))
	for i, m := range matches {
		ids[i] = m.ChunkRowID
		scores[m.ChunkRowID] = m.Score
	}
	recs, err := l.loadChunks(ctx, gen, ids)
	if err != nil {
		return nil, fmt.Errorf("retrieve: %w", err)
	}
	out := make([]rowHit, len(recs))
	for i, r := range recs {
		out[i] = rowHit{schema.Hit{Chunk: r.Chunk, Score: scores[r.RowID], Source: r.Source, Title: r.Title, DocKey: r.DocKey, Rank: i + 1}, r.RowID}
	}
	return out, nil
}

// Hits loads the chunks of matches (e.g. from vector search), in order,
// through the same chunk cache as lexical retrieval, and returns them
// with their row ids.
func (l *Lexical) Hits(ctx context.Context, matches []store.Match) ([]schema.Hit, []int64, error) {
	hs, err := l.hits(ctx, l.epoch.Load(), matches)
	if err != nil {
		return nil, nil, err
	}
	rows := make([]int64, len(hs))
	for i, h := range hs {
		rows[i] = h.rowid
	}
	return plain(hs), rows, nil
}
