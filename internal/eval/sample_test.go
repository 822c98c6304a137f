package eval

import (
	"testing"

	"github.com/ragline/ragline/internal/datasettest"
)

// TestVendoredSciFactSample opens the SciFact sample kept in the repository
// (testdata/datasets, for clones without the full datasets) through the same
// BEIR loader: every judged document is in its corpus.
func TestVendoredSciFactSample(t *testing.T) {
	ds, err := Open("beir:" + datasettest.Sample("scifact-sample") + ":train")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, d := range ds.Corpus {
		keys[d.Key] = true
	}
	judgments := 0
	for _, q := range ds.Queries {
		if q.Text == "" || len(q.Relevant) == 0 {
			t.Errorf("query %q: empty text or no relevant document", q.ID)
		}
		for key := range q.Relevant {
			judgments++
			if !keys[key] {
				t.Errorf("query %q: relevant document %q not in the sample corpus", q.ID, key)
			}
		}
	}
	if len(ds.Corpus) != 115 || len(ds.Queries) != 25 || judgments != 26 {
		t.Errorf("got %d documents, %d queries, %d judgements; want 115, 25, 26 (testdata/datasets/README.md)", len(ds.Corpus), len(ds.Queries), judgments)
	}
}
