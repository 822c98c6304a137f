package eval

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/datasettest"
)

// sharedDir is a full dataset (see internal/datasettest): the test fails
// under CI=true when it is missing and is skipped otherwise.
func sharedDir(t testing.TB, name string) string {
	t.Helper()
	return datasettest.Require(t, name)
}

func TestSharedDatasets(t *testing.T) {
	tests := []struct {
		name      string
		spec      string
		docs      int
		queries   int
		judgments int // relevant (query, document) pairs
		answers   bool
	}{
		{name: "scifact train", spec: "beir:" + sharedDir(t, "scifact") + ":train", docs: 5183, queries: 809, judgments: 919},
		{name: "cranfield", spec: "cranfield:" + sharedDir(t, "cranfield"), docs: 1400, queries: 225, judgments: 1612},
		{name: "cmrc dev", spec: "cmrc:" + filepath.Join(sharedDir(t, "cmrc2018"), "cmrc2018_dev.json"), docs: 848, queries: 3219, judgments: 3219, answers: true},
		{
			name:    "cmrc dev with trial distractors",
			spec:    "cmrc:" + filepath.Join(sharedDir(t, "cmrc2018"), "cmrc2018_dev.json") + "," + filepath.Join(sharedDir(t, "cmrc2018"), "cmrc2018_trial.json"),
			docs:    848 + 256,
			queries: 3219, judgments: 3219, answers: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, err := Open(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			keys := make(map[string]bool, len(ds.Corpus))
			for _, d := range ds.Corpus {
				keys[d.Key] = true
			}
			judgments := 0
			for _, q := range ds.Queries {
				if q.Text == "" || len(q.Relevant) == 0 {
					t.Errorf("query %q: empty text or no relevant document", q.ID)
				}
				if tt.answers && len(q.Answers) == 0 {
					t.Errorf("query %q has no answers", q.ID)
				}
				for key, grade := range q.Relevant {
					judgments++
					if !keys[key] {
						t.Errorf("query %q: relevant document %q not in corpus", q.ID, key)
					}
					if grade < 1 || grade > 4 {
						t.Errorf("query %q: grade %d out of range", q.ID, grade)
					}
				}
			}
			t.Logf("%s: %d documents, %d queries, %d relevance judgements", ds.Name, len(ds.Corpus), len(ds.Queries), judgments)
			if len(ds.Corpus) != tt.docs || len(ds.Queries) != tt.queries || judgments != tt.judgments {
				t.Errorf("got %d documents, %d queries, %d judgements; want %d, %d, %d",
					len(ds.Corpus), len(ds.Queries), judgments, tt.docs, tt.queries, tt.judgments)
			}
		})
	}
}

func TestSharedCranfieldRecords(t *testing.T) {
	ds, err := Open("cranfield:" + sharedDir(t, "cranfield"))
	if err != nil {
		t.Fatal(err)
	}
	d := ds.Corpus[0]
	if d.Key != "1" || d.Title != "experimental investigation of the aerodynamics of a wing in a slipstream ." ||
		d.Metadata["author"] != "brenckman,m." || d.Metadata["bibliography"] != "j. ae. scs. 25, 1958, 324." {
		t.Errorf("document 1 = %q %q %v", d.Key, d.Title, d.Metadata)
	}
	// Document 240 has stray .A and .B lines inside its abstract; the text
	// after them must stay in Text, not leak into the metadata.
	d = ds.Corpus[239]
	if d.Key != "240" || d.Metadata["author"] != "dean r. chapman" || d.Metadata["bibliography"] != "naca technote 3792" ||
		!strings.Contains(d.Text, "separated region  .\napplication to turbulent separations is made for a prandtl number of\nunity in low-speed flow") ||
		!strings.HasSuffix(d.Text, "transfer in a laminar separated flow .") {
		t.Errorf("document 240 = %v\n%s", d.Metadata, d.Text)
	}
	q := ds.Queries[224]
	if q.ID != "225" || q.Relevant["1188"] != 0 || len(q.Relevant) == 0 {
		t.Errorf("last query %q relevant %v; the -1 row for document 1188 must not count", q.ID, q.Relevant)
	}
	if g := ds.Queries[0].Relevant["184"]; g != 3 {
		t.Errorf("query 1, document 184 (code 2) grade = %d, want 3", g)
	}
}

func BenchmarkOpenSciFact(b *testing.B) {
	spec := "beir:" + sharedDir(b, "scifact") + ":train"
	for b.Loop() {
		if _, err := Open(spec); err != nil {
			b.Fatal(err)
		}
	}
}
