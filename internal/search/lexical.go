package search

import (
	"context"
	"fmt"
	"strings"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/store"
)

// Index is what lexical retrieval needs from a store.
type Index interface {
	Search(ctx context.Context, q store.Query) ([]store.Match, error)
	Chunks(ctx context.Context, rowids []int64) ([]store.ChunkRecord, error)
}

// Analyzer turns text into index terms.
type Analyzer interface {
	Terms(s string) []string
}

// Lexical is BM25 retrieval over the store's full-text index. It is
// immutable and safe for concurrent use.
type Lexical struct {
	index       Index
	analyzer    Analyzer
	titleWeight float64
}

// NewLexical returns a lexical retriever.
func NewLexical(index Index, analyzer Analyzer, titleWeight float64) *Lexical {
	return &Lexical{index: index, analyzer: analyzer, titleWeight: titleWeight}
}

// Result is a ranked list of chunks with the query terms that found them.
type Result struct {
	Terms []string
	Hits  []schema.Hit
}

// Retrieve returns the k best chunks of collection for query.
func (l *Lexical) Retrieve(ctx context.Context, collection, query string, k int) (Result, error) {
	terms := l.analyzer.Terms(query)
	res := Result{Terms: terms}
	if len(terms) == 0 || k <= 0 {
		return res, nil
	}
	matches, err := l.index.Search(ctx, store.Query{Collection: collection, Terms: terms, K: k, TitleWeight: l.titleWeight})
	if err != nil {
		return res, fmt.Errorf("retrieve: %w", err)
	}
	ids := make([]int64, len(matches))
	scores := make(map[int64]float64, len(matches))
	for i, m := range matches {
		ids[i] = m.ChunkRowID
		scores[m.ChunkRowID] = m.Score
	}
	recs, err := l.index.Chunks(ctx, ids)
	if err != nil {
		return res, fmt.Errorf("retrieve: %w", err)
	}
	res.Hits = make([]schema.Hit, len(recs))
	for i, r := range recs {
		res.Hits[i] = schema.Hit{
			Chunk:  r.Chunk,
			Score:  scores[r.RowID],
			Source: r.Source,
			Title:  r.Title,
			DocKey: r.DocKey,
			Rank:   i + 1,
		}
	}
	return res, nil
}

// RankDocuments collapses chunk hits into document keys by best chunk,
// keeping rank order: the ranking that document-level metrics judge.
func RankDocuments(hits []schema.Hit) []string {
	seen := make(map[string]bool, len(hits))
	out := make([]string, 0, len(hits))
	for _, h := range hits {
		if !seen[h.DocKey] {
			seen[h.DocKey] = true
			out = append(out, h.DocKey)
		}
	}
	return out
}

// Explain returns a one-line description of a hit for traces and tools.
func Explain(h schema.Hit) string {
	var b strings.Builder
	fmt.Fprintf(&b, "bm25=%.3f %s", h.Score, h.Source)
	if h.Chunk.Page > 0 {
		fmt.Fprintf(&b, " p.%d", h.Chunk.Page)
	}
	if len(h.Chunk.Headings) > 0 {
		fmt.Fprintf(&b, " §%s", strings.Join(h.Chunk.Headings, " > "))
	}
	return b.String()
}
