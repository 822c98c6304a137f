package datasettest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that records Fatal and Skip instead of ending the test.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()           {}
func (r *recorder) Fatal(args ...any) { r.fatal = fmt.Sprint(args...) }
func (r *recorder) Skip(args ...any)  { r.skip = fmt.Sprint(args...) }

func TestRepoRootHoldsTheMainModule(t *testing.T) {
	root := RepoRoot()
	if root == "" || !declaresModule(filepath.Join(root, "go.mod")) {
		t.Fatalf("RepoRoot() = %q, want the folder whose go.mod declares %s", root, module)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "datasettest")); err != nil {
		t.Errorf("RepoRoot() = %q does not hold internal/datasettest: %v", root, err)
	}
}

func TestRootFromEnvironment(t *testing.T) {
	root := RepoRoot()
	t.Setenv("RAGLINE_DATASETS", "")
	if got, want := Root(), filepath.Join(root, "..", "shared", "datasets"); got != want {
		t.Errorf("default Root() = %q, want %q", got, want)
	}
	abs := t.TempDir()
	t.Setenv("RAGLINE_DATASETS", abs)
	if got := Path("scifact", "queries.jsonl"); got != filepath.Join(abs, "scifact", "queries.jsonl") {
		t.Errorf("Path with absolute RAGLINE_DATASETS = %q", got)
	}
	t.Setenv("RAGLINE_DATASETS", "data/sets")
	if got, want := Root(), filepath.Join(root, "data", "sets"); got != want {
		t.Errorf("relative RAGLINE_DATASETS: Root() = %q, want %q (from the repository root)", got, want)
	}
}

func TestRequire(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "cranfield"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RAGLINE_DATASETS", dir)
	for _, tc := range []struct {
		name, ci, elem string
		fatal, skip    bool
	}{
		{"present, CI", "true", "cranfield", false, false},
		{"present, no CI", "", "cranfield", false, false},
		{"missing, CI", "true", "scifact", true, false},
		{"missing, CI=1", "1", "scifact", true, false},
		{"missing, CI unset", "", "scifact", false, true},
		{"missing, CI=false", "false", "scifact", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			got := Require(r, tc.elem)
			if got != filepath.Join(dir, tc.elem) {
				t.Errorf("Require = %q", got)
			}
			if (r.fatal != "") != tc.fatal || (r.skip != "") != tc.skip {
				t.Errorf("fatal %q, skip %q; want fatal %v, skip %v", r.fatal, r.skip, tc.fatal, tc.skip)
			}
		})
	}
}

func TestSampleIsVendored(t *testing.T) {
	for _, f := range []string{"corpus.jsonl", "queries.jsonl", "qrels/train.tsv"} {
		if _, err := os.Stat(Sample("scifact-sample", f)); err != nil {
			t.Errorf("vendored sample: %v", err)
		}
	}
	if _, err := os.Stat(Sample("README.md")); err != nil {
		t.Errorf("the samples need their README (licence and provenance): %v", err)
	}
}
