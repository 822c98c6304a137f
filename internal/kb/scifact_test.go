package kb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"github.com/ragline/ragline/internal/eval"
	"github.com/ragline/ragline/internal/model/hashembed"
	"github.com/ragline/ragline/internal/model/modeltest"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/search"

	"github.com/ragline/ragline/internal/datasettest"
)

// sciFact is the SciFact train split (BEIR format) in the shared
// datasets beside the repository.
var sciFact = "beir:" + datasettest.Path("scifact") + ":train"

// TestHybridSciFactNotWorseThanLexical indexes SciFact with vectors from
// a deterministic test embedder served by a scripted OpenAI-compatible
// embedding server: half of each vector is the hashed bag of analyzer
// terms weighted by TF-IDF fitted on the corpus, half the hashed
// character 4-grams of its words (which match inflections the stemmer
// keeps apart). It checks that hybrid retrieval (RRF with k 2, vector
// weight 0.2) finds at least as many relevant documents in its top 100 as
// lexical retrieval alone, and that its nDCG@10 is not significantly
// worse: the upper end of the 95% paired bootstrap interval of the delta
// over the 809 train claims is ≥ 0. A test embedder has no notion of
// meaning, so it can widen the candidate set but not order the top better
// than BM25 (see docs/benchmarks.md).
func TestHybridSciFactNotWorseThanLexical(t *testing.T) {
	datasettest.Require(t, "scifact")
	ds, err := eval.Open(sciFact)
	if err != nil {
		t.Fatalf("the SciFact dataset is needed at %s: %v", datasettest.Path("scifact"), err)
	}
	docs := make([]schema.Document, len(ds.Corpus))
	for i, d := range ds.Corpus {
		d.Text = d.Title + "\n\n" + d.Text
		docs[i] = d
	}
	an, err := NewAnalyzer(parseConfig(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	df := map[string]int{}
	for _, d := range docs {
		seen := map[string]bool{}
		for _, term := range an.Terms(d.Text) {
			if !seen[term] {
				seen[term] = true
				df[term]++
			}
		}
	}
	emb := hashembed.New(an, 384).WithIDF(df, len(docs))
	grams := hashembed.New(charGrams{}, 384)
	const gw = 2 // weight of the character n-gram half of the vector
	srv := modeltest.New(t)
	srv.Embed = func(s string) []float32 {
		v, _ := emb.Embed(context.Background(), []string{s})
		g, _ := grams.Embed(context.Background(), []string{s})
		out := append(v[0], g[0]...)
		for i := 384; i < len(out); i++ {
			out[i] *= gw
		}
		return out
	}
	dir := t.TempDir()
	cfg := func(mode string) string {
		return fmt.Sprintf("models:\n  embedding: {provider: openai, base_url: %s/v1, model: hash-tfidf, dimensions: 768, batch_size: 256}\nretrieval: {mode: %s, weights: {lexical: 1, vector: 0.2}, rrf_k: 2}\n", srv.URL, mode)
	}
	hybrid := openWith(t, parseConfig(t, cfg("hybrid")), dir)
	if err := hybrid.PutDocuments(context.Background(), "default", docs); err != nil {
		t.Fatal(err)
	}
	lexical := openWith(t, parseConfig(t, cfg("lexical")), dir)
	// score returns the per-query nDCG@10 and the mean recall@100.
	score := func(k *KB) (ndcg []float64, recall float64) {
		for _, q := range ds.Queries {
			r, err := k.Retrieve(context.Background(), "default", q.Text, 300)
			if err != nil {
				t.Fatal(err)
			}
			ranked := search.RankDocuments(r.Hits)
			ndcg = append(ndcg, eval.NDCG(ranked, q.Relevant, 10))
			recall += eval.RecallAt(ranked, q.Relevant, 100)
		}
		return ndcg, recall / float64(len(ds.Queries))
	}
	ln, lr := score(lexical)
	hn, hr := score(hybrid)
	lo, hi := eval.PairedBootstrap(ln, hn, eval.Mean, eval.DefaultResample, rand.New(rand.NewPCG(eval.DefaultSeed, 1)))
	t.Logf("SciFact train, %d queries: lexical nDCG@10 %.4f recall@100 %.4f; hybrid nDCG@10 %.4f recall@100 %.4f; nDCG@10 delta 95%% CI [%.4f, %.4f]",
		len(ds.Queries), eval.Mean(ln), lr, eval.Mean(hn), hr, lo, hi)
	if hr < lr {
		t.Errorf("hybrid recall@100 %.4f is below lexical %.4f", hr, lr)
	}
	if hi < 0 {
		t.Errorf("hybrid nDCG@10 %.4f is significantly below lexical %.4f: delta 95%% CI [%.4f, %.4f]", eval.Mean(hn), eval.Mean(ln), lo, hi)
	}
}

// charGrams splits text into the character 4-grams of its lower-cased
// words, so inflections and compounds the stemmer keeps apart still
// share features.
type charGrams struct{}

func (charGrams) Terms(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		r := []rune("^" + w + "$")
		for i := 0; i+4 <= len(r); i++ {
			out = append(out, string(r[i:i+4]))
		}
	}
	return out
}
