package eval

import (
	"math"
	"slices"
	"testing"
)

// log2of3 appears in hand-computed values: the discount at rank 2.
var log2of3 = math.Log2(3)

func TestRankingMetrics(t *testing.T) {
	// Graded judgements: c is the best document, e was never retrieved.
	graded := map[string]int{"a": 1, "c": 2, "e": 3, "z": 0}
	abcd := []string{"a", "b", "c", "d"}
	tests := []struct {
		name   string
		ranked []string
		rel    map[string]int
		k      int
		// want: nDCG, recall, precision, hit, MRR
		ndcg, recall, prec, hit, mrr float64
	}{
		{
			// DCG = 1/log2(2) + 2/log2(4) = 2; IDCG = 3 + 2/log2(3) + 1/log2(4).
			name: "graded, k smaller than list", ranked: abcd, rel: graded, k: 3,
			ndcg: 2 / (3 + 2/log2of3 + 0.5), recall: 2.0 / 3, prec: 2.0 / 3, hit: 1, mrr: 1,
		},
		{
			name: "graded, k = 1", ranked: abcd, rel: graded, k: 1,
			ndcg: 1.0 / 3, recall: 1.0 / 3, prec: 1, hit: 1, mrr: 1,
		},
		{
			// Linear gain: DCG = 1 + 3/log2(3), IDCG = 3 + 1/log2(3)
			// (exponential gain would give 0.7098).
			name: "linear gain", ranked: []string{"b", "a"}, rel: map[string]int{"a": 3, "b": 1}, k: 2,
			ndcg: (1 + 3/log2of3) / (3 + 1/log2of3), recall: 1, prec: 1, hit: 1, mrr: 1,
		},
		{
			// Precision still divides by k when fewer were retrieved.
			name: "k larger than list", ranked: []string{"a"}, rel: map[string]int{"a": 1, "b": 1}, k: 10,
			ndcg: 1 / (1 + 1/log2of3), recall: 0.5, prec: 0.1, hit: 1, mrr: 1,
		},
		{
			name: "first relevant at rank 3", ranked: []string{"x", "y", "c"}, rel: graded, k: 3,
			ndcg: (2 / 2.0) / (3 + 2/log2of3 + 0.5), recall: 1.0 / 3, prec: 1.0 / 3, hit: 1, mrr: 1.0 / 3,
		},
		{
			name: "relevant just past the cutoff", ranked: []string{"x", "y", "c"}, rel: graded, k: 2,
		},
		{
			name: "no relevant documents", ranked: abcd, rel: map[string]int{}, k: 10,
		},
		{
			name: "only non-positive grades", ranked: abcd, rel: map[string]int{"a": 0, "b": -1}, k: 10,
		},
		{
			name: "nil relevance", ranked: abcd, rel: nil, k: 10,
		},
		{
			name: "empty ranking", ranked: nil, rel: graded, k: 10,
		},
		{
			name: "k = 0", ranked: abcd, rel: graded, k: 0,
		},
		{
			name: "negative k", ranked: abcd, rel: graded, k: -5,
		},
		{
			// Duplicates are not expected; a repeat holds its rank but earns
			// nothing. DCG = 1 + 1/log2(4).
			name: "duplicate key counted once", ranked: []string{"a", "a", "b"}, rel: map[string]int{"a": 1, "b": 1}, k: 3,
			ndcg: 1.5 / (1 + 1/log2of3), recall: 1, prec: 2.0 / 3, hit: 1, mrr: 1,
		},
		{
			name: "duplicate of an irrelevant key", ranked: []string{"x", "x", "a"}, rel: map[string]int{"a": 1}, k: 3,
			ndcg: 0.5, recall: 1, prec: 1.0 / 3, hit: 1, mrr: 1.0 / 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, m := range []struct {
				name string
				fn   func([]string, map[string]int, int) float64
				want float64
			}{
				{"NDCG", NDCG, tt.ndcg},
				{"RecallAt", RecallAt, tt.recall},
				{"PrecisionAt", PrecisionAt, tt.prec},
				{"HitAt", HitAt, tt.hit},
				{"MRR", MRR, tt.mrr},
			} {
				if got := m.fn(tt.ranked, tt.rel, tt.k); !approx(got, m.want) {
					t.Errorf("%s = %.10f, want %.10f", m.name, got, m.want)
				}
			}
		})
	}
}

func TestNDCGPerfectRanking(t *testing.T) {
	rel := map[string]int{"a": 3, "b": 2, "c": 2, "d": 1}
	for k := 1; k <= 6; k++ {
		if got := NDCG([]string{"a", "b", "c", "d", "x"}, rel, k); got != 1 {
			t.Errorf("NDCG@%d of the ideal ranking = %v, want exactly 1", k, got)
		}
	}
	// Swapping the two grade-2 documents changes nothing.
	if got := NDCG([]string{"a", "c", "b", "d"}, rel, 3); got != 1 {
		t.Errorf("NDCG with tied grades swapped = %v, want 1", got)
	}
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		name   string
		values []float64
		p      float64
		want   float64
	}{
		{"median of even count", []float64{1, 2, 3, 4}, 50, 2.5},
		{"minimum", []float64{1, 2, 3, 4}, 0, 1},
		{"maximum", []float64{1, 2, 3, 4}, 100, 4},
		{"p90 interpolates", []float64{1, 2, 3, 4}, 90, 3.7}, // h = 3*0.9 = 2.7
		{"exact rank", []float64{10, 20, 30, 40, 50}, 25, 20},
		{"p95 of five", []float64{50, 10, 40, 20, 30}, 95, 48}, // h = 3.8
		{"unsorted input", []float64{3, 1, 2}, 50, 2},
		{"single value", []float64{7}, 99, 7},
		{"empty", nil, 50, 0},
		{"p above 100 clamps", []float64{1, 2}, 150, 2},
		{"p below 0 clamps", []float64{1, 2}, -1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.values)
			if got := Percentile(in, tt.p); !approx(got, tt.want) {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.values, tt.p, got, tt.want)
			}
			if !slices.Equal(in, tt.values) {
				t.Errorf("input modified: %v, was %v", in, tt.values)
			}
		})
	}
	if got := Percentile([]float64{1}, math.NaN()); !math.IsNaN(got) {
		t.Errorf("Percentile with NaN p = %v, want NaN", got)
	}
}

func TestMean(t *testing.T) {
	tests := []struct {
		values []float64
		want   float64
	}{
		{[]float64{1, 2, 3, 4}, 2.5},
		{[]float64{0.5}, 0.5},
		{[]float64{1, 0, 0}, 1.0 / 3},
		{nil, 0},
	}
	for _, tt := range tests {
		if got := Mean(tt.values); !approx(got, tt.want) {
			t.Errorf("Mean(%v) = %v, want %v", tt.values, got, tt.want)
		}
	}
}

func approx(a, b float64) bool {
	return math.Abs(a-b) < 1e-12
}
