package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchRetrievalBaseline writes per-query scores on 20 Cranfield
// queries, compares a second run with them (the same ranking, so no
// change), and rejects a baseline of other queries and a bad file.
func TestBenchRetrievalBaseline(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	dir := t.TempDir()
	per := filepath.Join(dir, "base.jsonl")
	args := []string{"bench", "retrieval", "--dataset", "cranfield:" + cranfieldDir, "--json", "--limit", "20"}
	code, _, errOut := run(t, append(args, "--per-query", per)...)
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	scores, err := readQueryScores(per)
	if err != nil || len(scores) != 20 || scores[0].ID == "" {
		t.Fatalf("per-query file: %d scores, %v", len(scores), err)
	}

	code, out, errOut := run(t, append(args, "--baseline", per)...)
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	var res RetrievalBench
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Baseline == nil {
		t.Fatalf("no baseline comparison in %s (%v)", out, err)
	}
	if b := res.Baseline; b.Delta != 0 || b.CILow != 0 || b.CIHigh != 0 || b.Questions != 20 || b.Verdict != "no significant change" || b.Candidate != res.NDCG10 {
		t.Errorf("same ranking compared as %+v", b)
	}

	other := filepath.Join(dir, "other.jsonl")
	if err := os.WriteFile(other, []byte(`{"id":"nope","ndcg@10":1}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, append(args, "--baseline", other)...); code == ExitOK || !strings.Contains(errOut, "baseline has 1 queries, this run 20") {
		t.Errorf("baseline of other queries: exit %d, %s", code, errOut)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte(`{"id":"1","ndcg@10":1}`+"\n"+`{"id":"2","ndcg@10":`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, append(args, "--baseline", bad)...); code == ExitOK || !strings.Contains(errOut, "bad.jsonl:2:") {
		t.Errorf("bad baseline file: exit %d, %s", code, errOut)
	}
}
