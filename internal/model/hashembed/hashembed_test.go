package hashembed

import (
	"context"
	"strings"
	"testing"
)

type words struct{}

func (words) Terms(s string) []string { return strings.Fields(strings.ToLower(s)) }

func cos(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestEmbedder(t *testing.T) {
	e := New(words{}, 64)
	v, err := e.Embed(context.Background(), []string{"vacation days for new hires", "New hires vacation", "quarterly revenue report", "vacation days for new hires"})
	if err != nil {
		t.Fatal(err)
	}
	if len(v) != 4 || len(v[0]) != 64 || e.Dimensions() != 64 || e.ID() != "hash:terms-v1-64" {
		t.Fatalf("shape %d×%d id %s", len(v), len(v[0]), e.ID())
	}
	if c := cos(v[0], v[0]); c < 0.999 || c > 1.001 {
		t.Errorf("not unit length: %f", c)
	}
	if cos(v[0], v[1]) <= cos(v[0], v[2]) {
		t.Errorf("shared terms not more similar: %f vs %f", cos(v[0], v[1]), cos(v[0], v[2]))
	}
	for i := range v[0] {
		if v[0][i] != v[3][i] {
			t.Fatal("not deterministic")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Embed(ctx, []string{"x"}); err == nil {
		t.Error("cancelled context ignored")
	}
}

func TestWithIDF(t *testing.T) {
	base := New(words{}, 512)
	// "cell" is in every reference document, "apoptosis" in one.
	e := base.WithIDF(map[string]int{"cell": 100, "apoptosis": 1}, 100)
	if e.ID() == base.ID() || base.idf != nil {
		t.Fatalf("ids %s %s, base changed: %v", e.ID(), base.ID(), base.idf != nil)
	}
	v, _ := e.Embed(context.Background(), []string{"cell apoptosis", "cell growth", "apoptosis pathway"})
	// Sharing the rare term counts for more than sharing the common one.
	if cos(v[0], v[2]) <= cos(v[0], v[1]) {
		t.Errorf("rare shared term %f, common shared term %f", cos(v[0], v[2]), cos(v[0], v[1]))
	}
}
