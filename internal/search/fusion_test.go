package search

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/schema"
)

func h(id string, score float64) schema.Hit {
	return schema.Hit{Chunk: schema.Chunk{ID: id}, Source: id + ".md", Score: score}
}

func TestFuseRRF(t *testing.T) {
	lex := RankedList{Name: "lexical", Weight: 1, Hits: []schema.Hit{h("a", 9), h("b", 7), h("c", 5)}}
	vec := RankedList{Name: "vector", Weight: 2, Hits: []schema.Hit{h("c", 0.9), h("d", 0.8), h("a", 0.7)}}
	got := FuseRRF(60, lex, vec)
	// a: 1/61 + 2/63; c: 1/63 + 2/61; d: 2/62; b: 1/62.
	want := []struct {
		id    string
		score float64
	}{{"c", 1.0/63 + 2.0/61}, {"a", 1.0/61 + 2.0/63}, {"d", 2.0 / 62}, {"b", 1.0 / 62}}
	if len(got) != len(want) {
		t.Fatalf("%d fused hits", len(got))
	}
	for i, w := range want {
		if got[i].Hit.Chunk.ID != w.id || math.Abs(got[i].Score-w.score) > 1e-12 || got[i].Hit.Rank != i+1 || got[i].Hit.Score != got[i].Score {
			t.Errorf("rank %d: %s %.6f, want %s %.6f", i+1, got[i].Hit.Chunk.ID, got[i].Score, w.id, w.score)
		}
	}
	c := got[0]
	if len(c.From) != 2 || c.From[0] != (Contribution{"lexical", 3, 5, 1.0 / 63}) || c.From[1].List != "vector" || c.From[1].Rank != 1 {
		t.Errorf("contributions %+v", c.From)
	}
	if e := c.Explain(); !strings.Contains(e, "lexical #3 (5.000) +0.0159") || !strings.Contains(e, "vector #1 (0.900) +0.0328") || !strings.HasPrefix(e, "rrf=0.0487 c.md") {
		t.Errorf("explain %q", e)
	}
	// A zero-weight list ranks nothing up, and a single list keeps its order.
	only := FuseRRF(60, lex, RankedList{Name: "vector", Weight: 0, Hits: []schema.Hit{h("c", 1)}})
	if only[0].Hit.Chunk.ID != "a" || only[2].Hit.Chunk.ID != "c" {
		t.Errorf("zero weight changed the order: %v", only)
	}
}

func TestMMR(t *testing.T) {
	// a and b are near duplicates; c is different and a bit less relevant.
	vecs := map[string][]float32{"a": {1, 0}, "b": {0.995, 0.0998}, "c": {0, 1}}
	hits := FuseRRF(60, RankedList{Name: "x", Weight: 1, Hits: []schema.Hit{h("a", 1), h("b", 1), h("c", 1)}})
	vec := func(h schema.Hit) []float32 { return vecs[h.Chunk.ID] }
	got := MMR(hits, 3, 0.5, vec)
	if got[0].Hit.Chunk.ID != "a" || got[1].Hit.Chunk.ID != "c" || got[2].Hit.Chunk.ID != "b" || got[1].Hit.Rank != 2 {
		t.Errorf("mmr 0.5: %s %s %s", got[0].Hit.Chunk.ID, got[1].Hit.Chunk.ID, got[2].Hit.Chunk.ID)
	}
	// lambda 1 is pure relevance: the fused order.
	got = MMR(hits, 2, 1, vec)
	if len(got) != 2 || got[0].Hit.Chunk.ID != "a" || got[1].Hit.Chunk.ID != "b" {
		t.Errorf("mmr 1: %v", got)
	}
}

// BenchmarkFuseRRF fuses two lists of 50 hits that share half their
// chunks, the default hybrid candidate depth.
func BenchmarkFuseRRF(b *testing.B) {
	var lex, vec []schema.Hit
	for i := range 50 {
		lex = append(lex, h(fmt.Sprintf("c%d", i), float64(50-i)))
		vec = append(vec, h(fmt.Sprintf("c%d", i+25), 1/float64(i+1)))
	}
	b.ReportAllocs()
	for b.Loop() {
		FuseRRF(60, RankedList{Name: "lexical", Weight: 1, Hits: lex}, RankedList{Name: "vector", Weight: 1, Hits: vec})
	}
}
