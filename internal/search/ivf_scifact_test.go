package search_test

import (
	"context"
	"testing"

	"github.com/ragline/ragline/internal/eval"
	"github.com/ragline/ragline/internal/model/hashembed"
	"github.com/ragline/ragline/internal/search"
	"github.com/ragline/ragline/internal/text"
)

// sciFact is the SciFact train split (BEIR format) in the shared datasets
// beside the repository.
const sciFact = "beir:../../../shared/datasets/scifact:train"

// embeddedVectors is a VectorSource over one collection "c" of vectors
// in memory.
type embeddedVectors struct {
	vecs [][]float32
}

func (e *embeddedVectors) ChunkVectors(_ context.Context, coll string, fn func(int64, []float32)) error {
	if coll != "c" {
		return nil
	}
	for i, v := range e.vecs {
		fn(int64(i+1), v)
	}
	return nil
}

// TestIVFRecallSciFact embeds the SciFact abstracts and train claims with
// the hashed test embedder (384 dimensions) and checks that the IVF
// index, at the default nprobe, finds on average at least 95% of the
// exact scan's top 10.
func TestIVFRecallSciFact(t *testing.T) {
	ds, err := eval.Open(sciFact)
	if err != nil {
		t.Fatalf("the SciFact dataset is needed at ../shared/datasets/scifact (beside the repository): %v", err)
	}
	an, err := text.NewAnalyzer(text.Options{Stemming: "english"})
	if err != nil {
		t.Fatal(err)
	}
	emb := hashembed.New(an, 384)
	ctx := context.Background()
	texts := make([]string, len(ds.Corpus))
	for i, d := range ds.Corpus {
		texts[i] = d.Title + "\n\n" + d.Text
	}
	docs, err := emb.Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range docs {
		search.Normalize(v)
	}
	src := &embeddedVectors{vecs: docs}
	exact := search.NewVectors(src, 384, search.VectorOptions{Index: search.IndexExact})
	ivf := search.NewVectors(src, 384, search.VectorOptions{Index: search.IndexIVF})
	var sum float64
	for _, q := range ds.Queries {
		qv, err := emb.Embed(ctx, []string{q.Text})
		if err != nil {
			t.Fatal(err)
		}
		search.Normalize(qv[0])
		want, err := exact.Search(ctx, "c", qv[0], 10)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ivf.Search(ctx, "c", qv[0], 10)
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, w := range want {
			for _, g := range got {
				if g.ChunkRowID == w.ChunkRowID {
					found++
				}
			}
		}
		sum += float64(found) / float64(len(want))
	}
	rec := sum / float64(len(ds.Queries))
	t.Logf("SciFact: %d abstracts, %d claims, nprobe %d: recall@10 %.4f", len(docs), len(ds.Queries), search.DefaultNProbe, rec)
	if rec < 0.95 {
		t.Errorf("recall@10 %.4f < 0.95", rec)
	}
}
