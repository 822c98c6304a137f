package search

import (
	"github.com/ragline/ragline/internal/schema"
	"math"
	"testing"
)

// chunkTerms is one chunk's row id and indexed terms, for unit tests of
// the index itself; store-backed retrieval is tested in the kb and cli
// packages.
type chunkTerms struct {
	rows  []int64
	title []string
	body  []string
}

// testView builds a one-segment view.
func testView(src *chunkTerms) *view {
	seg := newSegment()
	for i, r := range src.rows {
		seg.add(r, src.title[i], src.body[i])
	}
	return newView([]*segment{seg}, 0)
}

func TestBM25FScores(t *testing.T) {
	ix := testView(&chunkTerms{
		rows:  []int64{10, 20, 30},
		title: []string{"", "vacat", ""},
		body:  []string{"vacat day vacat", "park free", "expens receipt need"},
	})
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
		row := s.ChunkRowID
		if math.Abs(s.Score-want[row]) > 1e-4 {
			t.Errorf("row %d: score %v, want %v", row, s.Score, want[row])
		}
	}
	if got[0].ChunkRowID != 20 {
		t.Errorf("rank 1 is row %d, want 20", got[0].ChunkRowID)
	}
	if ix.docFreq("vacat") != 2 || ix.docFreq("none") != 0 {
		t.Errorf("doc freq %d %d", ix.docFreq("vacat"), ix.docFreq("none"))
	}
}

func TestTopKDeterministicTies(t *testing.T) {
	ix := testView(&chunkTerms{rows: []int64{1, 2, 3, 4}, title: []string{"", "", "", ""}, body: []string{"a", "a", "a", "a"}})
	got := ix.search(qterms("a"), 2, BM25{K1: 0.9, B: 0.4})
	if len(got) != 2 || got[0].ChunkRowID != 1 || got[1].ChunkRowID != 2 {
		t.Fatalf("ties not broken by row order: %+v", got)
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
	ix := testView(&chunkTerms{rows: []int64{1, 2, 3, 4}, title: []string{"", "", "", ""}, body: []string{"red", "blue", "green", "green"}})
	p := BM25{K1: 1.2, B: 0.75}
	// Equal weights: red and blue are equally rare; row order breaks the tie.
	got := ix.search([]schema.QueryTerm{{Term: "blue", Weight: 1}, {Term: "red", Weight: 1}}, 1, p)
	if got[0].ChunkRowID != 1 {
		t.Fatalf("tie: row %d", got[0].ChunkRowID)
	}
	// A lower weight on red puts blue first.
	got = ix.search([]schema.QueryTerm{{Term: "blue", Weight: 1}, {Term: "red", Weight: 0.5}}, 2, p)
	if got[0].ChunkRowID != 2 || got[1].Score >= got[0].Score {
		t.Fatalf("weights ignored: %+v", got)
	}
}
