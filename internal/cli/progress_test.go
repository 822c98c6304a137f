package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// withProgress makes every progress event write a line (or draws bars as
// on a terminal when terminal is set) for the rest of the test.
func withProgress(t *testing.T, terminal bool) {
	t.Helper()
	every, term := progressEvery, isTerminal
	progressEvery = 0
	isTerminal = func(io.Writer) bool { return terminal }
	t.Cleanup(func() { progressEvery, isTerminal = every, term })
}

// writeBEIRCorpus writes n passages as one BEIR corpus.jsonl.
func writeBEIRCorpus(t *testing.T, path string, n int) {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"_id":"d%d","title":"Passage %d","text":"Passage %d tells that the number %d is followed by %d in the sequence of counting numbers."}`+"\n", i, i, i, i, i+1)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestIngestProgressCorpus ingests one large corpus file with stderr not
// a terminal: progress lines report its documents as they are written,
// with a growing count, before the file is finished.
func TestIngestProgressCorpus(t *testing.T) {
	withProgress(t, false)
	root := t.TempDir()
	corpus := filepath.Join(root, "corpus.jsonl")
	writeBEIRCorpus(t, corpus, 5000)
	code, _, errOut := run(t, "ingest", "--data", filepath.Join(root, "kb"), corpus)
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	re := regexp.MustCompile(`(?m)^ingest: 0/1 files, (\d+) documents, .* of .*, .*/s`)
	lines := re.FindAllStringSubmatch(errOut, -1)
	if len(lines) < 2 {
		t.Fatalf("want several progress lines while the corpus is written, got:\n%s", errOut)
	}
	prev := 0
	for _, l := range lines {
		n, _ := strconv.Atoi(l[1])
		if n <= prev || n > 5000 {
			t.Errorf("document counts do not grow within 1..5000: %v", lines)
		}
		prev = n
	}
	if !strings.Contains(errOut, "ingest: 1 files (5000 added") {
		t.Errorf("no summary:\n%s", errOut)
	}
}

// TestProgressBars draws the bars as on a terminal: ingest shows files,
// documents, bytes and a rate; eval shows questions.
func TestProgressBars(t *testing.T) {
	withProgress(t, true)
	root := t.TempDir()
	writeBEIRCorpus(t, filepath.Join(root, "c", "corpus.jsonl"), 1500)
	writeFile(t, filepath.Join(root, "c", "guide.md"), "# Guide\n\nThe office opens at seven.\n")
	data := filepath.Join(root, "kb")
	code, _, errOut := run(t, "ingest", "--data", data, filepath.Join(root, "c"))
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	for _, want := range []string{"ingest 1/2 files", " docs", "%", "B/s"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("ingest bar lacks %q:\n%q", want, errOut)
		}
	}
	code, _, errOut = run(t, "eval", "--dataset", quickstartGolden, "--limit", "4", "--out", t.TempDir())
	if code != ExitOK {
		t.Fatalf("eval: exit %d:\n%s", code, errOut)
	}
	for _, want := range []string{"eval", "/4, ", "questions"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("eval bar lacks %q:\n%q", want, errOut)
		}
	}
}

// TestProgressLines checks the periodic lines of eval, index build and
// bench http when stderr is not a terminal.
func TestProgressLines(t *testing.T) {
	withProgress(t, false)
	code, _, errOut := run(t, "eval", "--dataset", quickstartGolden, "--limit", "3", "--out", t.TempDir())
	if code != ExitOK || !strings.Contains(errOut, "eval: 1/3 questions, ") || !strings.Contains(errOut, "eval: 3/3 questions") {
		t.Errorf("eval: exit %d, want a line per question:\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "ingest: 1/11 files, ") {
		t.Errorf("eval: no progress while its corpus is ingested:\n%s", errOut)
	}
	code, _, errOut = run(t, "index", "build", "--out", filepath.Join(t.TempDir(), "kb.ragline"), quickstartDocs)
	if code != ExitOK || !strings.Contains(errOut, "ingest: 1/11 files, ") {
		t.Errorf("index build: exit %d, want progress lines:\n%s", code, errOut)
	}
	data := ingestQuickstart(t)
	start := time.Now()
	code, _, errOut = run(t, "bench", "http", "--data", data, "--concurrency", "1", "--duration", "300ms")
	if code != ExitOK || !regexp.MustCompile(`bench http: 1 clients: \d+ requests, `).MatchString(errOut) {
		t.Errorf("bench http: exit %d after %s, want progress lines:\n%s", code, time.Since(start), errOut)
	}
}
