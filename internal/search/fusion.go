package search

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ragline/ragline/internal/schema"
)

// RankedList is one ranked list of hits to fuse, e.g. the lexical hits of
// the question or the vector hits of one of its phrasings.
type RankedList struct {
	// Name labels the list in explanations ("lexical", "vector",
	// "lexical:q2").
	Name string
	// Weight scales the list's contributions.
	Weight float64
	Hits   []schema.Hit
}

// Contribution is what one list gave a fused hit.
type Contribution struct {
	List  string  `json:"list"`
	Rank  int     `json:"rank"`
	Score float64 `json:"score"` // the list's own score (BM25, cosine)
	RRF   float64 `json:"rrf"`   // weight / (k + rank)
}

// Fused is a hit after fusion, with how it got its score.
type Fused struct {
	Hit   schema.Hit
	Score float64
	From  []Contribution
}

// FuseRRF merges ranked lists by reciprocal rank fusion: a chunk at rank r
// (1-based) of a list of weight w scores w/(k+r), summed over the lists it
// appears in. Ties keep the order of first appearance (earlier lists and
// better ranks first), so fusion is deterministic.
func FuseRRF(k float64, lists ...RankedList) []Fused {
	idx := map[string]int{}
	var out []Fused
	for _, l := range lists {
		for i, h := range l.Hits {
			rank := i + 1
			c := Contribution{List: l.Name, Rank: rank, Score: h.Score, RRF: l.Weight / (k + float64(rank))}
			j, ok := idx[h.Chunk.ID]
			if !ok {
				j = len(out)
				idx[h.Chunk.ID] = j
				out = append(out, Fused{Hit: h})
			}
			out[j].Score += c.RRF
			out[j].From = append(out[j].From, c)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Score > out[b].Score })
	for i := range out {
		out[i].Hit.Score = out[i].Score
		out[i].Hit.Rank = i + 1
	}
	return out
}

// Explain describes a fused hit for the trace: its fused score, source
// and each list's rank and contribution.
func (f Fused) Explain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rrf=%.4f %s", f.Score, f.Hit.Source)
	if f.Hit.Chunk.Page > 0 {
		fmt.Fprintf(&b, " p.%d", f.Hit.Chunk.Page)
	}
	b.WriteString(" [")
	for i, c := range f.From {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s #%d (%.3f) +%.4f", c.List, c.Rank, c.Score, c.RRF)
	}
	b.WriteString("]")
	return b.String()
}

// MMR reorders fused hits by maximal marginal relevance: each next pick
// maximises lambda·relevance − (1−lambda)·(highest cosine similarity to
// an already picked hit). Relevance is the fused score scaled to [0, 1].
// vec returns a hit's unit vector (nil: no vector, never penalised). It
// returns at most n hits.
func MMR(hits []Fused, n int, lambda float64, vec func(schema.Hit) []float32) []Fused {
	if len(hits) == 0 || n <= 0 {
		return nil
	}
	maxScore := hits[0].Score
	for _, h := range hits {
		maxScore = max(maxScore, h.Score)
	}
	vecs := make([][]float32, len(hits))
	for i, h := range hits {
		vecs[i] = vec(h.Hit)
	}
	picked := make([]bool, len(hits))
	maxSim := make([]float64, len(hits))
	var out []Fused
	for len(out) < min(n, len(hits)) {
		best, bestScore := -1, 0.0
		for i, h := range hits {
			if picked[i] {
				continue
			}
			rel := 0.0
			if maxScore > 0 {
				rel = h.Score / maxScore
			}
			s := lambda*rel - (1-lambda)*maxSim[i]
			if best < 0 || s > bestScore {
				best, bestScore = i, s
			}
		}
		picked[best] = true
		out = append(out, hits[best])
		if vb := vecs[best]; vb != nil {
			for i := range hits {
				if !picked[i] && vecs[i] != nil {
					maxSim[i] = max(maxSim[i], float64(dot(vb, vecs[i])))
				}
			}
		}
	}
	for i := range out {
		out[i].Hit.Rank = i + 1
	}
	return out
}
