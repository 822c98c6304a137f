package cli

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cranfieldDir is the Cranfield collection in the shared datasets folder
// beside the repository.
const cranfieldDir = "../../../shared/datasets/cranfield"

// TestBenchRetrieval runs the retrieval benchmark on 20 Cranfield queries
// and checks the one JSON object it prints.
func TestBenchRetrieval(t *testing.T) {
	for _, f := range []string{"cran.all.1400", "cran.qry", "cranqrel"} {
		if _, err := os.Stat(filepath.Join(cranfieldDir, f)); err != nil {
			t.Fatalf("the shared Cranfield dataset is missing (want %s beside the repository): %v", filepath.Join(cranfieldDir, f), err)
		}
	}
	// The throwaway knowledge base goes to the temporary folder.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	withProgress(t, false)

	code, out, errOut := run(t, "bench", "retrieval", "--dataset", "cranfield:"+cranfieldDir, "--json", "--limit", "20")
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	// Progress goes to stderr, one line per query here (three passes).
	if !strings.Contains(errOut, "bench retrieval: 1/60 queries, ") || !strings.Contains(errOut, "bench retrieval: 60/60 queries") {
		t.Errorf("no progress lines on stderr:\n%s", errOut)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var res map[string]any
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, out)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		t.Fatalf("stdout holds more than one JSON value:\n%s", out)
	}
	for _, k := range []string{"dataset", "queries", "ndcg@10", "recall@100", "mrr@10", "p50_ms", "p99_ms"} {
		if _, ok := res[k]; !ok {
			t.Errorf("key %q missing from %s", k, out)
		}
	}
	if res["dataset"] != "cranfield" {
		t.Errorf("dataset %v, want cranfield", res["dataset"])
	}
	if res["queries"] != 20.0 {
		t.Errorf("queries %v, want 20", res["queries"])
	}
	if res["documents"] != 1400.0 {
		t.Errorf("documents %v, want 1400", res["documents"])
	}
	for _, k := range []string{"ndcg@10", "recall@100", "mrr@10"} {
		v, ok := res[k].(float64)
		if !ok || v < 0 || v > 1 {
			t.Errorf("%s = %v, want a number in [0, 1]", k, res[k])
		}
	}
	// BM25 on Cranfield finds something: a zero score means retrieval or
	// the relevance judgements are broken.
	if v, _ := res["ndcg@10"].(float64); v == 0 {
		t.Errorf("ndcg@10 is 0: %s", out)
	}
	p50, ok50 := res["p50_ms"].(float64)
	p99, ok99 := res["p99_ms"].(float64)
	if !ok50 || !ok99 || p50 < 0 || p99 < p50 {
		t.Errorf("p50_ms %v, p99_ms %v: want numbers with 0 ≤ p50 ≤ p99", res["p50_ms"], res["p99_ms"])
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("bench left %d entries in the temporary folder", len(left))
	}
	if !strings.Contains(errOut, "bench: 1400 documents") {
		t.Errorf("no indexing summary on stderr:\n%s", errOut)
	}
}

// TestBenchRetrievalUsage checks that bad dataset specs are usage errors.
func TestBenchRetrievalUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"unknown scheme", []string{"--dataset", "foo:bar"}, "unknown dataset scheme"},
		{"no path", []string{"--dataset", "cranfield"}, "want SCHEME:PATH"},
		{"no dataset", nil, "--dataset is required"},
		{"missing folder", []string{"--dataset", "cranfield:" + filepath.Join(t.TempDir(), "none")}, "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := run(t, append([]string{"bench", "retrieval", "--json"}, c.args...)...)
			if code != ExitUsage {
				t.Fatalf("exit %d, want 2:\n%s", code, errOut)
			}
			if out != "" {
				t.Errorf("stdout should be empty: %q", out)
			}
			if !strings.Contains(errOut, c.msg) {
				t.Errorf("stderr %q lacks %q", errOut, c.msg)
			}
		})
	}
}
