package search

import (
	"container/heap"
	"context"
	"fmt"
	"github.com/ragline/ragline/internal/schema"
	"math"
	"strings"
	"sync"
)

// BM25 holds BM25F ranking parameters (see memIndex).
type BM25 struct {
	K1 float64
	B  float64
	// TitleWeight scales the title/heading field's score.
	TitleWeight float64
	// K3 saturates query term frequency (see queryWeights); 0 counts
	// repeated query terms plainly.
	K3 float64
}

// TermSource yields the indexed terms of a collection's chunks; the store
// implements it.
type TermSource interface {
	ChunkTerms(ctx context.Context, collection string, fn func(rowid int64, title, body string)) error
	Generation(ctx context.Context) (int64, error)
}

// posting is one chunk's frequency of a term in the body and the title.
type posting struct {
	doc   int32
	body  uint16
	title uint16
}

// memIndex is an immutable in-memory inverted index of one collection,
// scored as BM25F: a term's frequency is its body count plus its title
// count times the title weight, saturated once, with the chunk length being
// the length of both fields (as SQLite FTS5's bm25() does with column
// weights).
type memIndex struct {
	rowids   []int64
	postings map[string][]posting
	length   []uint32
	avg      float64
	gen      int64
}

func (ix *memIndex) add(title, body string) {
	doc := int32(len(ix.rowids) - 1)
	type tf struct{ body, title uint16 }
	counts := map[string]*tf{}
	var n uint32
	count := func(terms string, field func(*tf) *uint16) {
		for t := range strings.FieldsSeq(terms) {
			c := counts[t]
			if c == nil {
				c = &tf{}
				counts[t] = c
			}
			if f := field(c); *f < math.MaxUint16 {
				*f++
			}
			n++
		}
	}
	count(body, func(c *tf) *uint16 { return &c.body })
	count(title, func(c *tf) *uint16 { return &c.title })
	for t, c := range counts {
		ix.postings[t] = append(ix.postings[t], posting{doc: doc, body: c.body, title: c.title})
	}
	// FTS5's bm25() counts every column in a row's length, including
	// the one collection tag the store writes; so does this index, so
	// that the two engines score alike.
	ix.length = append(ix.length, n+1)
}

func buildIndex(ctx context.Context, src TermSource, collection string) (*memIndex, error) {
	gen, err := src.Generation(ctx)
	if err != nil {
		return nil, err
	}
	ix := &memIndex{postings: map[string][]posting{}, gen: gen}
	err = src.ChunkTerms(ctx, collection, func(rowid int64, title, body string) {
		ix.rowids = append(ix.rowids, rowid)
		ix.add(title, body)
	})
	if err != nil {
		return nil, fmt.Errorf("build index: %w", err)
	}
	var sum float64
	for _, l := range ix.length {
		sum += float64(l)
	}
	if len(ix.length) > 0 {
		ix.avg = sum / float64(len(ix.length))
	}
	return ix, nil
}

// idf is the BM25 inverse document frequency in its probabilistic form
// log((N-df+0.5)/(df+0.5)), floored at a small positive value so a term
// in most chunks still counts a little.
func idf(df, n int) float64 {
	v := math.Log((float64(n) - float64(df) + 0.5) / (float64(df) + 0.5))
	return max(v, 1e-6)
}

// search scores every chunk containing a query term (term at a time) and
// returns the k best, ties broken by row order for determinism.
func (ix *memIndex) search(terms []schema.QueryTerm, k int, p BM25) []scored {
	n := len(ix.rowids)
	if n == 0 || k <= 0 {
		return nil
	}
	acc := make([]float32, n)
	avg := ix.avg
	if avg == 0 {
		avg = 1
	}
	for _, qt := range queryWeights(terms, p.K3) {
		t := qt.Term
		ps := ix.postings[t]
		if len(ps) == 0 {
			continue
		}
		w := idf(len(ps), n) * qt.Weight
		for _, pt := range ps {
			tf := float64(pt.body) + p.TitleWeight*float64(pt.title)
			if tf == 0 {
				continue
			}
			norm := p.K1 * (1 - p.B + p.B*float64(ix.length[pt.doc])/avg)
			acc[pt.doc] += float32(w * tf * (p.K1 + 1) / (tf + norm))
		}
	}
	h := make(topK, 0, k+1)
	for d, s := range acc {
		if s <= 0 {
			continue
		}
		if len(h) < k {
			heap.Push(&h, scored{int32(d), s})
		} else if better(scored{int32(d), s}, h[0]) {
			h[0] = scored{int32(d), s}
			heap.Fix(&h, 0)
		}
	}
	out := make([]scored, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&h).(scored)
	}
	return out
}

// docFreq is the number of chunks whose body or title holds the term.
func (ix *memIndex) docFreq(term string) int { return len(ix.postings[term]) }

type scored struct {
	doc   int32
	score float32
}

func better(a, b scored) bool {
	return a.score > b.score || (a.score == b.score && a.doc < b.doc)
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

// indexCache holds one in-memory index per collection and rebuilds it when
// the store's write generation moves.
type indexCache struct {
	src TermSource
	mu  sync.Mutex
	ix  map[string]*memIndex
}

func (c *indexCache) get(ctx context.Context, collection string) (*memIndex, error) {
	gen, err := c.src.Generation(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ix, ok := c.ix[collection]; ok && ix.gen == gen {
		return ix, nil
	}
	ix, err := buildIndex(ctx, c.src, collection)
	if err != nil {
		return nil, err
	}
	if c.ix == nil {
		c.ix = map[string]*memIndex{}
	}
	c.ix[collection] = ix
	return ix, nil
}
