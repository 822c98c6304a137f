package search

import (
	"context"
	"github.com/ragline/ragline/internal/schema"
	"math"
	"testing"
)

// fakeTerms is an in-memory TermSource for unit tests of the index itself;
// store-backed retrieval is tested in the kb and cli packages.
type fakeTerms struct {
	gen   int64
	rows  []int64
	title []string
	body  []string
}

func (f *fakeTerms) ChunkTerms(ctx context.Context, collection string, fn func(int64, string, string)) error {
	for i, r := range f.rows {
		fn(r, f.title[i], f.body[i])
	}
	return nil
}

func (f *fakeTerms) Generation(ctx context.Context) (int64, error) { return f.gen, nil }

func TestBM25FScores(t *testing.T) {
	src := &fakeTerms{
		rows:  []int64{10, 20, 30},
		title: []string{"", "vacat", ""},
		body:  []string{"vacat day vacat", "park free", "expens receipt need"},
	}
	ix, err := buildIndex(context.Background(), src, "c")
	if err != nil {
		t.Fatal(err)
	}
	p := BM25{K1: 1.2, B: 0.75, TitleWeight: 2}
	got := ix.search(qterms("vacat", "vacat", "park"), 10, p)
	if len(got) != 2 {
		t.Fatalf("hits %+v", got)
	}
	// Hand computation: N=3, avgdl=(3+3+3)/3=3.
	n, avg := 3.0, 3.0
	idfV := math.Log((n - 2 + 0.5) / (2 + 0.5)) // df(vacat)=2 → negative → floor
	if idfV > 0 {
		t.Fatalf("expected a negative raw idf, got %v", idfV)
	}
	idfV = 1e-6
	idfP := math.Log((n - 1 + 0.5) / (1 + 0.5))
	bm := func(idf, tf, dl float64) float64 {
		return idf * tf * 2.2 / (tf + 1.2*(1-0.75+0.75*dl/avg))
	}
	want := map[int64]float64{
		10: bm(idfV, 2, 3),
		20: bm(idfV, 2, 3) + bm(idfP, 1, 3), // title "vacat" counts twice (weight 2)
	}
	for _, s := range got {
		row := ix.rowids[s.doc]
		if math.Abs(float64(s.score)-want[row]) > 1e-4 {
			t.Errorf("row %d: score %v, want %v", row, s.score, want[row])
		}
	}
	if ix.rowids[got[0].doc] != 20 {
		t.Errorf("rank 1 is row %d, want 20", ix.rowids[got[0].doc])
	}
	if ix.docFreq("vacat") != 2 || ix.docFreq("none") != 0 {
		t.Errorf("doc freq %d %d", ix.docFreq("vacat"), ix.docFreq("none"))
	}
}

func TestTopKDeterministicTies(t *testing.T) {
	src := &fakeTerms{rows: []int64{1, 2, 3, 4}, title: []string{"", "", "", ""}, body: []string{"a", "a", "a", "a"}}
	ix, _ := buildIndex(context.Background(), src, "c")
	got := ix.search(qterms("a"), 2, BM25{K1: 0.9, B: 0.4})
	if len(got) != 2 || ix.rowids[got[0].doc] != 1 || ix.rowids[got[1].doc] != 2 {
		t.Fatalf("ties not broken by row order: %+v", got)
	}
}

func TestCacheRebuildsOnNewGeneration(t *testing.T) {
	src := &fakeTerms{gen: 1, rows: []int64{1}, title: []string{""}, body: []string{"old"}}
	c := &indexCache{src: src}
	ctx := context.Background()
	ix, _ := c.get(ctx, "c")
	if ix.docFreq("old") != 1 {
		t.Fatal("first build")
	}
	src.body[0] = "new"
	if ix2, _ := c.get(ctx, "c"); ix2.docFreq("new") != 0 {
		t.Fatal("rebuilt without a generation change")
	}
	src.gen = 2
	if ix3, _ := c.get(ctx, "c"); ix3.docFreq("new") != 1 {
		t.Fatal("not rebuilt after a generation change")
	}
}

func qterms(words ...string) []schema.QueryTerm {
	out := make([]schema.QueryTerm, len(words))
	for i, w := range words {
		out[i] = schema.QueryTerm{Term: w, Weight: 1}
	}
	return out
}

func TestQueryTermWeights(t *testing.T) {
	src := &fakeTerms{rows: []int64{1, 2, 3, 4}, title: []string{"", "", "", ""}, body: []string{"red", "blue", "green", "green"}}
	ix, _ := buildIndex(context.Background(), src, "c")
	p := BM25{K1: 1.2, B: 0.75}
	// Equal weights: red and blue are equally rare; row order breaks the tie.
	got := ix.search([]schema.QueryTerm{{Term: "blue", Weight: 1}, {Term: "red", Weight: 1}}, 1, p)
	if ix.rowids[got[0].doc] != 1 {
		t.Fatalf("tie: row %d", ix.rowids[got[0].doc])
	}
	// A lower weight on red puts blue first.
	got = ix.search([]schema.QueryTerm{{Term: "blue", Weight: 1}, {Term: "red", Weight: 0.5}}, 2, p)
	if ix.rowids[got[0].doc] != 2 || got[1].score >= got[0].score {
		t.Fatalf("weights ignored: %+v", got)
	}
}
