package hashembed

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"

	"github.com/ragline/ragline/internal/model"
)

// Analyzer turns text into terms.
type Analyzer interface {
	Terms(s string) []string
}

// Embedder is the hashed bag-of-terms test embedder.
type Embedder struct {
	an   Analyzer
	dims int
	// idf, when set, weights terms (see WithIDF).
	idf    map[string]float64
	unseen float64
}

var _ model.Embedder = (*Embedder)(nil)

// New returns a test embedder of dims dimensions.
func New(an Analyzer, dims int) *Embedder { return &Embedder{an: an, dims: dims} }

// WithIDF returns a copy that also weights each term by its inverse
// document frequency in a reference corpus (df: documents per term, n:
// documents), fixed at construction like a fitted TF-IDF vectoriser, so a
// text's vector never changes afterwards. Unseen terms get the highest
// weight.
func (e *Embedder) WithIDF(df map[string]int, n int) *Embedder {
	idf := make(map[string]float64, len(df))
	for t, d := range df {
		idf[t] = math.Log(1 + (float64(n)-float64(d)+0.5)/(float64(d)+0.5))
	}
	c := *e
	c.idf = idf
	c.unseen = math.Log(1 + (float64(n)+0.5)/0.5)
	return &c
}

// ID names the embedder and its size.
func (e *Embedder) ID() string {
	if e.idf != nil {
		return fmt.Sprintf("hash:terms-idf-v1-%d", e.dims)
	}
	return fmt.Sprintf("hash:terms-v1-%d", e.dims)
}

// Dimensions is the vector length.
func (e *Embedder) Dimensions() int { return e.dims }

// Embed returns the hashed term vector of each text.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i] = e.vector(t)
	}
	return out, nil
}

func (e *Embedder) vector(text string) []float32 {
	tf := map[string]int{}
	for _, t := range e.an.Terms(text) {
		tf[t]++
	}
	v := make([]float32, e.dims)
	for t, n := range tf {
		h := fnv.New64a()
		h.Write([]byte(t))
		x := h.Sum64()
		w := float32(1 + math.Log(float64(n)))
		if e.idf != nil {
			idf, ok := e.idf[t]
			if !ok {
				idf = e.unseen
			}
			w *= float32(idf)
		}
		if x>>63 == 1 {
			w = -w
		}
		v[x%uint64(e.dims)] += w
	}
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s > 0 {
		inv := float32(1 / math.Sqrt(s))
		for i := range v {
			v[i] *= inv
		}
	}
	return v
}
