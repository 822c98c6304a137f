package search

import "github.com/ragline/ragline/internal/schema"

// queryWeights merges repeated query terms into one weight per distinct
// term, in first-occurrence order. Standard BM25 multiplies a term's score
// by its query frequency qtf (Lucene, Anserini and SQLite FTS5 do, since a
// repeated term is a repeated clause), so a long question that names its
// subject three times favours passages about that subject. With k3 > 0
// the frequency saturates as in Robertson's formulation,
// (k3+1)·qtf/(k3+qtf); with k3 = 0 it counts plainly. A term's weight is
// the mean weight of its occurrences times that factor, so a term said
// once keeps its weight (1, or less when carried over from an earlier
// turn or spelled differently).
func queryWeights(terms []schema.QueryTerm, k3 float64) []schema.QueryTerm {
	at := make(map[string]int, len(terms))
	out := make([]schema.QueryTerm, 0, len(terms))
	var count []float64
	for _, qt := range terms {
		if qt.Term == "" || qt.Weight <= 0 {
			continue
		}
		if i, ok := at[qt.Term]; ok {
			out[i].Weight += qt.Weight
			count[i]++
			continue
		}
		at[qt.Term] = len(out)
		out = append(out, qt)
		count = append(count, 1)
	}
	if k3 > 0 {
		for i, n := range count {
			if n > 1 {
				out[i].Weight *= (k3 + 1) / (k3 + n)
			}
		}
	}
	return out
}
