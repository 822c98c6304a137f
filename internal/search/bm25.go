package search

import (
	"math"

	"github.com/ragline/ragline/internal/schema"
)

// BM25 holds BM25F ranking parameters (see segment and view).
type BM25 struct {
	K1 float64
	B  float64
	// TitleWeight scales the title/heading field's score.
	TitleWeight float64
}

// idf is the BM25 inverse document frequency in its probabilistic form
// log((N-df+0.5)/(df+0.5)), floored at a small positive value so a term
// in most chunks still counts a little.
func idf(df, n int) float64 {
	v := math.Log((float64(n) - float64(df) + 0.5) / (float64(df) + 0.5))
	return max(v, 1e-6)
}

// termWeight is a query term's weight in the BM25 sum: its idf over the
// collection's live chunks times the query's own weight for it.
func termWeight(qt schema.QueryTerm, df, n int) float64 {
	return idf(df, n) * qt.Weight
}

// termScore is one term's BM25F contribution to a chunk: a term's
// frequency is its body count plus its title count times the title
// weight, saturated once, with the chunk length being the length of both
// fields (as SQLite FTS5's bm25() does with column weights). Every index
// state scores through this one function, so an incrementally maintained
// index and a fresh rebuild give bit-identical scores.
func termScore(w float64, pt posting, length uint32, avg float64, p BM25) float32 {
	tf := float64(pt.body) + p.TitleWeight*float64(pt.title)
	if tf == 0 {
		return 0
	}
	norm := p.K1 * (1 - p.B + p.B*float64(length)/avg)
	return float32(w * tf * (p.K1 + 1) / (tf + norm))
}

// scored is a chunk's score during ranking: slot is its position in the
// view, row its store row id (which breaks ties, so that the order does
// not depend on how the index happens to be segmented).
type scored struct {
	slot  int32
	score float32
	row   int64
}

func better(a, b scored) bool {
	return a.score > b.score || (a.score == b.score && a.row < b.row)
}

// topK is a min-heap of the best results so far (worst at the root).
type topK []scored

func (h topK) Len() int           { return len(h) }
func (h topK) Less(i, j int) bool { return better(h[j], h[i]) }
func (h topK) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *topK) Push(x any)        { *h = append(*h, x.(scored)) }
func (h *topK) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
