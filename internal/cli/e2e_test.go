package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/schema"
)

const quickstartDocs = "../../examples/quickstart/docs"

type golden struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Answers  []string `json:"answers"`
	Source   string   `json:"source"`
	Tags     []string `json:"tags"`
}

func readGolden(t *testing.T) []golden {
	t.Helper()
	f, err := os.Open("../../examples/quickstart/questions.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []golden
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var g golden
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatalf("questions.jsonl: %v", err)
		}
		out = append(out, g)
	}
	return out
}

// TestE2EQuickstart ingests the quick-start corpus through the CLI and
// checks every golden question: the answer contains the expected text, a
// citation points at the expected file, and every citation's offsets
// select exactly its text in the stored document.
func TestE2EQuickstart(t *testing.T) {
	data := t.TempDir()
	code, _, stderr := run(t, "ingest", "--data", data, quickstartDocs)
	if code != 0 {
		t.Fatalf("ingest exit %d:\n%s", code, stderr)
	}
	// Re-ingest is a no-op.
	code, _, stderr = run(t, "ingest", "--data", data, quickstartDocs)
	if code != 0 || !strings.Contains(stderr, "(0 added, 0 replaced, 11 unchanged") {
		t.Fatalf("re-ingest not a no-op (exit %d): %s", code, stderr)
	}

	ctx := context.Background()
	k, err := kb.Open(ctx, config.Default(), data, true)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	texts := map[string][]rune{}
	for _, g := range readGolden(t) {
		t.Run(g.ID, func(t *testing.T) {
			code, out, stderr := run(t, "ask", "--data", data, "--json", g.Question)
			if code != 0 {
				t.Fatalf("ask exit %d: %s", code, stderr)
			}
			var resp schema.Response
			if err := json.Unmarshal([]byte(out), &resp); err != nil {
				t.Fatalf("ask --json: %v\n%s", err, out)
			}
			if len(resp.Digest) != 64 || len(resp.Trace) < 3 {
				t.Errorf("digest %q, %d trace steps", resp.Digest, len(resp.Trace))
			}
			if len(g.Answers) == 0 {
				if !resp.NoAnswer || len(resp.Citations) != 0 {
					t.Errorf("want no answer, got %q", resp.Answer)
				}
				return
			}
			if resp.NoAnswer {
				t.Fatalf("no answer for %q", g.Question)
			}
			if !containsAny(resp.Answer, g.Answers) {
				t.Errorf("answer %q lacks any of %q", resp.Answer, g.Answers)
			}
			cited := false
			for _, c := range resp.Citations {
				if c.Source == g.Source {
					cited = true
				}
				r, ok := texts[c.DocumentID]
				if !ok {
					d, err := k.Store().Document(ctx, c.DocumentID)
					if err != nil {
						t.Fatal(err)
					}
					r = []rune(d.Text)
					texts[c.DocumentID] = r
				}
				if c.Start < 0 || c.End > len(r) || string(r[c.Start:c.End]) != c.Text {
					t.Errorf("citation [%d] offsets [%d,%d) do not select %q", c.Index, c.Start, c.End, c.Text)
				}
				if !strings.Contains(resp.Answer, "["+strconv.Itoa(c.Index)+"]") {
					t.Errorf("answer lacks marker [%d]", c.Index)
				}
			}
			if !cited {
				t.Errorf("no citation of %s in %+v", g.Source, resp.Citations)
			}
		})
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(strings.ToLower(s), strings.ToLower(sub)) {
			return true
		}
	}
	return false
}

// TestIngestFailuresAreReported checks exit 1 with one line per failed file
// while the good files are still ingested.
func TestIngestFailuresAreReported(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"good.md":    []byte("# Parking\n\nParking is free for employees on level two.\n"),
		"empty.txt":  {},
		"random.txt": {0x00, 0xff, 0x13, 0x00, 0x9c, 0x01, 0x02, 0xfe, 0x00, 0x00, 0x80, 0x81},
		"broken.pdf": []byte("%PDF-1.7\nthis is not really a pdf\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data := t.TempDir()
	code, _, stderr := run(t, "ingest", "--data", data, dir)
	if code != ExitFailure {
		t.Fatalf("exit %d, want 1:\n%s", code, stderr)
	}
	for _, name := range []string{"empty.txt", "random.txt", "broken.pdf"} {
		n := 0
		for _, line := range strings.Split(stderr, "\n") {
			if strings.HasPrefix(line, "ragline: ingest: ") && strings.Contains(line, name) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d failure lines, want 1:\n%s", name, n, stderr)
		}
	}
	code, out, _ := run(t, "ask", "--data", data, "Is parking free?")
	if code != 0 || !strings.Contains(out, "Parking is free") {
		t.Errorf("good file not ingested: %d %s", code, out)
	}
}
