package store

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestWeightGroups(t *testing.T) {
	got := weightGroups([]string{"a", "b", "c", "d", "", "e", "f"}, []float64{1, 2, 0.5, 0.5, 1, 0, 100})
	want := []termGroup{
		{terms: []string{"a", "b", "b"}, weight: 1}, // whole numbers as repeated phrases
		{terms: []string{"c", "d"}, weight: 0.5},
		{terms: []string{"f"}, weight: 100}, // too many repeats: scaled instead
	}
	if len(got) != len(want) {
		t.Fatalf("groups %+v; want %+v", got, want)
	}
	for i := range want {
		if !slices.Equal(got[i].terms, want[i].terms) || got[i].weight != want[i].weight {
			t.Errorf("group %d %+v; want %+v", i, got[i], want[i])
		}
	}
}

// TestSearchWeights checks on a real FTS5 table that a term's weight
// multiplies its bm25() score, whether it is written as repeated phrases
// (whole numbers) or scored as its own group (fractions).
func TestSearchWeights(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	for _, d := range []string{"red apple", "green apple apple", "red red car", "blue sky"} {
		put(t, s, "c", d, d)
	}
	score := func(terms []string, weights []float64) map[string]float64 {
		t.Helper()
		ms, err := s.Search(ctx, Query{Collection: "c", Terms: terms, Weights: weights, K: 10, TitleWeight: 1})
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]int64, len(ms))
		for i, m := range ms {
			ids[i] = m.ChunkRowID
		}
		rs, err := s.Chunks(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for i, r := range rs {
			out[r.Chunk.Text] = ms[i].Score
		}
		return out
	}
	red, apple := score([]string{"red"}, nil), score([]string{"apple"}, nil)
	for _, tt := range []struct {
		name         string
		terms        []string
		weights      []float64
		wRed, wApple float64
	}{
		{"nil weights: each term once", []string{"red", "apple"}, nil, 1, 1},
		{"a repeated term counts twice", []string{"red", "apple", "red"}, nil, 2, 1},
		{"whole-number weight", []string{"red", "apple"}, []float64{3, 1}, 3, 1},
		{"fractional weights", []string{"red", "apple"}, []float64{0.5, 1.25}, 0.5, 1.25},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := score(tt.terms, tt.weights)
			for text, v := range got {
				want := tt.wRed*red[text] + tt.wApple*apple[text]
				if math.Abs(v-want) > 1e-9*max(1, want) {
					t.Errorf("%q scored %v; want %v", text, v, want)
				}
			}
			if len(got) != 3 {
				t.Errorf("%d matches; want the 3 chunks with red or apple", len(got))
			}
		})
	}
	if _, err := s.Search(ctx, Query{Collection: "c", Terms: []string{"red"}, Weights: []float64{1, 2}, K: 1}); err == nil || !strings.Contains(err.Error(), "2 weights for 1 terms") {
		t.Errorf("mismatched weights: err %v", err)
	}
}
