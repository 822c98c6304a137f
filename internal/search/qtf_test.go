package search

import (
	"slices"
	"testing"

	"github.com/ragline/ragline/internal/schema"
)

func TestQueryWeights(t *testing.T) {
	in := []schema.QueryTerm{{Term: "a", Weight: 1}, {Term: "b", Weight: 1}, {Term: "a", Weight: 1}, {Term: "c", Weight: 0.5}, {Term: "a", Weight: 1}, {Term: "", Weight: 1}, {Term: "d", Weight: 0}}
	plain := queryWeights(in, 0)
	want := []schema.QueryTerm{{Term: "a", Weight: 3}, {Term: "b", Weight: 1}, {Term: "c", Weight: 0.5}}
	if !slices.Equal(plain, want) {
		t.Fatalf("plain %+v; want %+v", plain, want)
	}
	sat := queryWeights(in, 1.2)
	// (k3+1)·qtf/(k3+qtf) for qtf 3; a term said once keeps its weight.
	want[0].Weight = 2.2 * 3 / 4.2
	if len(sat) != 3 || abs(sat[0].Weight-want[0].Weight) > 1e-12 || sat[1] != want[1] || sat[2] != want[2] {
		t.Fatalf("saturated %+v; want %+v", sat, want)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
