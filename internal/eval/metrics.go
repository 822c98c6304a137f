package eval

import (
	"math"
	"slices"
)

// The ranking metrics take the ranked document keys of one query, best
// first, and the query's graded relevance map. Only grades above zero
// count as relevant. They follow trec_eval as called by pytrec_eval in
// BEIR, so results are comparable with published BEIR tables; MRR and hit
// rate follow BEIR's own implementations. A cutoff k below 1 scores 0.
//
// Callers deduplicate rankings (e.g. chunk hits folded to documents). A key
// that does occur twice still occupies both ranks but earns credit only at
// the first, so scores stay within [0, 1].

// NDCG returns nDCG@k as trec_eval's ndcg_cut computes it: the gain of a
// document is its relevance grade itself (linear gain, not 2^grade-1),
// discounted by log2(rank+1), and normalised by the ideal ordering of all
// judged relevant documents cut at k. With binary relevance the two gain
// conventions agree; with graded qrels this choice matches BEIR's figures.
// It is 0 when the query has no relevant document.
func NDCG(ranked []string, rel map[string]int, k int) float64 {
	if k < 1 {
		return 0
	}
	grades := make([]int, 0, len(rel))
	for _, g := range rel {
		if g > 0 {
			grades = append(grades, g)
		}
	}
	if len(grades) == 0 {
		return 0
	}
	slices.Sort(grades)
	slices.Reverse(grades)
	var ideal float64
	for i, g := range grades[:min(k, len(grades))] {
		ideal += float64(g) / math.Log2(float64(i+2))
	}
	var dcg float64
	eachRelevant(ranked, rel, k, func(i, g int) bool {
		dcg += float64(g) / math.Log2(float64(i+2))
		return true
	})
	return dcg / ideal
}

// RecallAt returns the fraction of the query's relevant documents found
// in the top k (trec_eval recall_k), 0 when none is relevant.
func RecallAt(ranked []string, rel map[string]int, k int) float64 {
	n := countRelevant(rel)
	if k < 1 || n == 0 {
		return 0
	}
	return float64(relevantInTop(ranked, rel, k)) / float64(n)
}

// PrecisionAt returns the fraction of the top k that is relevant
// (trec_eval P_k). The denominator is k even when fewer than k documents
// were retrieved, as in trec_eval.
func PrecisionAt(ranked []string, rel map[string]int, k int) float64 {
	if k < 1 {
		return 0
	}
	return float64(relevantInTop(ranked, rel, k)) / float64(k)
}

// HitAt returns 1 when any relevant document is in the top k, else 0
// (BEIR's top_k_accuracy).
func HitAt(ranked []string, rel map[string]int, k int) float64 {
	if MRR(ranked, rel, k) > 0 {
		return 1
	}
	return 0
}

// MRR returns the reciprocal rank of the first relevant document within
// the top k (BEIR's MRR@k), 0 when there is none.
func MRR(ranked []string, rel map[string]int, k int) float64 {
	rr := 0.0
	eachRelevant(ranked, rel, k, func(i, _ int) bool {
		rr = 1 / float64(i+1)
		return false
	})
	return rr
}

// Percentile returns the p-th percentile of values, p in [0, 100], by
// linear interpolation between closest ranks (the NIST and numpy default).
// p outside the range is clamped; an empty slice yields 0. values is not
// modified.
func Percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return 0
	}
	if math.IsNaN(p) {
		return math.NaN()
	}
	p = min(max(p, 0), 100)
	s := slices.Clone(values)
	slices.Sort(s)
	h := float64(len(s)-1) * p / 100
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

// Mean returns the arithmetic mean of values, 0 for an empty slice.
func Mean(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	var sum float64
	for _, v := range values {
		sum += v
	}
	return sum / float64(len(values))
}

// countRelevant returns the number of documents with a positive grade.
func countRelevant(rel map[string]int) int {
	n := 0
	for _, g := range rel {
		if g > 0 {
			n++
		}
	}
	return n
}

// relevantInTop counts distinct relevant documents in the top k.
func relevantInTop(ranked []string, rel map[string]int, k int) int {
	n := 0
	eachRelevant(ranked, rel, k, func(int, int) bool {
		n++
		return true
	})
	return n
}

// eachRelevant calls fn with the 0-based rank and grade of each
// relevant document in the top k, skipping repeats of a key already seen,
// until fn returns false.
func eachRelevant(ranked []string, rel map[string]int, k int, fn func(i, grade int) bool) {
	top := ranked[:min(max(k, 0), len(ranked))]
	var seen map[string]bool
	for i, key := range top {
		g := rel[key]
		if g <= 0 {
			continue
		}
		if seen == nil {
			seen = make(map[string]bool)
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		if !fn(i, g) {
			return
		}
	}
}
