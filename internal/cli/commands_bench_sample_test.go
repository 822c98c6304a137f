package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/datasettest"
)

// TestBenchRetrievalSample runs the retrieval benchmark on the SciFact
// sample vendored in the repository, so that the command is exercised on
// real data in a clone without the full datasets.
func TestBenchRetrievalSample(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	code, out, errOut := run(t, "bench", "retrieval", "--dataset", "beir:"+datasettest.Sample("scifact-sample")+":train", "--json")
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	var res map[string]any
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&res); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, out)
	}
	if res["queries"] != 25.0 || res["documents"] != 115.0 {
		t.Errorf("queries %v, documents %v; want 25 and 115", res["queries"], res["documents"])
	}
	// Each sample claim's abstract is among 115 documents: BM25 must find most.
	if v, _ := res["recall@100"].(float64); v < 0.5 {
		t.Errorf("recall@100 = %v on the sample, want ≥ 0.5: %s", res["recall@100"], out)
	}
}
