package datasettest

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// module is the main module's path: its go.mod marks the repository root.
const module = "github.com/ragline/ragline"

var (
	rootOnce sync.Once
	repoRoot string
)

// RepoRoot returns the repository root: the nearest folder at or above the
// working directory whose go.mod declares the ragline module. It returns ""
// when there is none.
func RepoRoot() string {
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			return
		}
		for {
			if declaresModule(filepath.Join(dir, "go.mod")) {
				repoRoot = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				return
			}
			dir = parent
		}
	})
	return repoRoot
}

func declaresModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`) == module
		}
	}
	return false
}

// Root returns the folder holding the full datasets: $RAGLINE_DATASETS when
// set (a relative value is taken from the repository root), else
// ../shared/datasets from the repository root.
func Root() string {
	root := RepoRoot()
	if d := os.Getenv("RAGLINE_DATASETS"); d != "" {
		if filepath.IsAbs(d) || root == "" {
			return filepath.Clean(d)
		}
		return filepath.Join(root, d)
	}
	return filepath.Join(root, "..", "shared", "datasets")
}

// Path returns the path of a file or folder of the full datasets, e.g.
// Path("scifact", "corpus.jsonl.gz"). It does not check that it exists.
func Path(elem ...string) string {
	return filepath.Join(append([]string{Root()}, elem...)...)
}

// Sample returns the path of a file or folder of the samples vendored in
// the repository (testdata/datasets), e.g. Sample("scifact-sample").
func Sample(elem ...string) string {
	return filepath.Join(append([]string{RepoRoot(), "testdata", "datasets"}, elem...)...)
}

// Require returns Path(elem...) when it exists. When it does not, the test
// fails under CI=true (CI must run the full-dataset tests) and is skipped
// otherwise, naming the path and the variable that moves it.
func Require(tb testing.TB, elem ...string) string {
	tb.Helper()
	p := Path(elem...)
	if _, err := os.Stat(p); err != nil {
		msg := "dataset " + p + " is missing (" + err.Error() + "); set RAGLINE_DATASETS to the datasets folder (default ../shared/datasets beside the repository)"
		if inCI() {
			tb.Fatal(msg + "; CI=true requires it")
			return p
		}
		tb.Skip(msg)
	}
	return p
}

// inCI reports whether CI is set to a true value, as CI services set it.
func inCI() bool {
	switch strings.ToLower(os.Getenv("CI")) {
	case "", "0", "false", "no":
		return false
	}
	return true
}
