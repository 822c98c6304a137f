package search_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/ragline/ragline/internal/datasettest"
	"github.com/ragline/ragline/internal/eval"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/search"
	"github.com/ragline/ragline/internal/store"
	"github.com/ragline/ragline/internal/text"
)

// TestEnginesScoreIdentically indexes the Cranfield abstracts in a real
// SQLite store and ranks the first 100 Cranfield queries with both
// engines — the
// in-memory BM25F index and FTS5's bm25() — as written (repeated terms
// count as query term frequency, saturated by k3 or plain), with the
// second half of each query carried at a lower weight, and with typos
// that typo tolerance expands: the scores of the top 10 must agree.
func TestEnginesScoreIdentically(t *testing.T) {
	ctx := context.Background()
	ds, err := eval.Open("cranfield:" + datasettest.Require(t, "cranfield"))
	if err != nil {
		t.Fatal(err)
	}
	an, err := text.NewAnalyzer(text.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "kb"), store.Options{Stamp: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	batch := make([]store.DocumentChunks, 0, len(ds.Corpus))
	for _, d := range ds.Corpus {
		d.Collection = "c"
		d.Hash = d.Key
		c := store.IndexedChunk{
			Chunk:      schema.Chunk{Text: d.Text, End: len(d.Text), Tokens: 1},
			Terms:      an.Terms(d.Text),
			TitleTerms: an.Terms(d.Title),
		}
		batch = append(batch, store.DocumentChunks{Doc: d, Chunks: []store.IndexedChunk{c}})
	}
	if _, err := st.PutDocuments(ctx, batch); err != nil {
		t.Fatal(err)
	}

	// Queries: as written, with a misspelt word, and with the second
	// half carried from an earlier turn at weight 0.5.
	typos := map[string]string{"boundary": "bounadry", "layer": "layre", "pressure": "presure", "flow": "flwo"}
	var queries [][]schema.QueryTerm
	for _, q := range ds.Queries[:100] {
		terms := an.Terms(q.Text)
		plain := make([]schema.QueryTerm, len(terms))
		carried := make([]schema.QueryTerm, len(terms))
		for i, t := range terms {
			plain[i] = schema.QueryTerm{Term: t, Weight: 1}
			carried[i] = plain[i]
			if i >= len(terms)/2 {
				carried[i].Weight = 0.5
			}
		}
		queries = append(queries, plain, carried)
		typoed := make([]schema.QueryTerm, 0, len(terms))
		for _, w := range an.Terms(q.Text) {
			if typo, ok := typos[w]; ok {
				w = typo
			}
			typoed = append(typoed, schema.QueryTerm{Term: w, Weight: 1})
		}
		queries = append(queries, typoed)
	}

	for _, k3 := range []float64{0, 1.2} {
		opts := search.Options{BM25: search.BM25{K1: 1.2, B: 0.75, TitleWeight: 2, K3: k3}, Fuzzy: true}
		opts.Engine = search.EngineMemory
		mem := search.NewLexical(st, an, opts)
		opts.Engine = search.EngineFTS5
		fts := search.NewLexical(st, an, opts)
		expanded := 0
		for _, q := range queries {
			a, err := mem.RetrieveTerms(ctx, "c", q, 10)
			if err != nil {
				t.Fatal(err)
			}
			b, err := fts.RetrieveTerms(ctx, "c", q, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Fuzzy) != len(b.Fuzzy) {
				t.Fatalf("k3 %v, %v: fuzzy expansions differ: memory %+v, fts5 %+v", k3, q, a.Fuzzy, b.Fuzzy)
			}
			if len(a.Fuzzy) > 0 {
				expanded++
			}
			if len(a.Hits) != len(b.Hits) {
				t.Fatalf("k3 %v, %v: memory %d hits, fts5 %d", k3, q, len(a.Hits), len(b.Hits))
			}
			ftsScore := map[string]float64{}
			for _, h := range b.Hits {
				ftsScore[h.Chunk.ID] = h.Score
			}
			last := b.Hits[len(b.Hits)-1].Score
			for i, h := range a.Hits {
				want, ok := ftsScore[h.Chunk.ID]
				if !ok {
					// A tie at the cut-off may keep another chunk.
					want = last
				}
				if math.Abs(h.Score-want) > 1e-4*max(1, want) {
					t.Fatalf("k3 %v, %v: rank %d (%s) memory %.6f, fts5 %.6f", k3, q, i+1, h.DocKey, h.Score, want)
				}
			}
		}
		if expanded < 10 {
			t.Errorf("k3 %v: only %d queries had a fuzzy expansion; the typos should give more", k3, expanded)
		}
	}
}
