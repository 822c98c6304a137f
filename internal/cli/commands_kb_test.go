package cli

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/store"
)

// ingestQuickstart ingests the quick-start corpus into a fresh knowledge
// base and returns its folder.
func ingestQuickstart(t *testing.T) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "kb")
	if code, _, errOut := run(t, "ingest", "--data", data, "--root", filepath.Dir(quickstartDocs), quickstartDocs); code != ExitOK {
		t.Fatalf("ingest: exit %d:\n%s", code, errOut)
	}
	return data
}

// docKeys returns the keys `docs --json` lists.
func docKeys(t *testing.T, args ...string) []string {
	t.Helper()
	code, out, errOut := run(t, append([]string{"docs", "--json"}, args...)...)
	if code != ExitOK {
		t.Fatalf("docs --json: exit %d: %s", code, errOut)
	}
	var docs []store.DocInfo
	if err := json.Unmarshal([]byte(out), &docs); err != nil {
		t.Fatalf("docs --json: %v\n%s", err, out)
	}
	keys := make([]string, len(docs))
	for i, d := range docs {
		keys[i] = d.Key
	}
	slices.Sort(keys)
	return keys
}

// TestAsk checks the plain-text answer format and the question checks.
func TestAsk(t *testing.T) {
	data := ingestQuickstart(t)
	cases := []struct {
		name     string
		question []string
		code     int
		want     []string // in stdout, or in stderr when code != 0
	}{
		{
			name:     "answer with sources",
			question: []string{"How many weeks of paid parental leave does a primary caregiver get?"},
			want:     []string{"16 weeks", "[1]", "\n\nSources:\n[1] vacation-and-leave.md, ", "(chars "},
		},
		{
			name:     "question in several arguments",
			question: []string{"How many vacation days", "do new employees get?"},
			want:     []string{"20 days", "[1]", "Sources:\n[1] vacation-and-leave.md"},
		},
		{name: "empty question", question: []string{""}, code: ExitUsage, want: []string{"question is empty"}},
		{name: "blank question", question: []string{"  ", "\t"}, code: ExitUsage, want: []string{"question is empty"}},
		{name: "no question", code: ExitUsage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := run(t, append([]string{"ask", "--data", data}, c.question...)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d:\n%s%s", code, c.code, out, errOut)
			}
			got := out
			if c.code != ExitOK {
				got = errOut
			}
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

// TestDocsAndDelete lists the quick-start documents and deletes some of
// them by key and by id.
func TestDocsAndDelete(t *testing.T) {
	data := ingestQuickstart(t)
	keys := docKeys(t, "--data", data)
	if len(keys) != 11 {
		t.Fatalf("docs --json lists %d documents, want 11: %v", len(keys), keys)
	}
	if !slices.Contains(keys, "docs/code-of-conduct.txt") {
		t.Fatalf("docs/code-of-conduct.txt not listed: %v", keys)
	}
	helpdeskID := store.DocumentID("default", "docs/it-helpdesk-faq.txt")

	cases := []struct {
		name    string
		refs    []string
		code    int
		stdout  []string
		stderr  []string
		removed []string
	}{
		{
			name:    "by key",
			refs:    []string{"docs/code-of-conduct.txt"},
			stdout:  []string{"deleted docs/code-of-conduct.txt"},
			removed: []string{"docs/code-of-conduct.txt"},
		},
		{
			name:    "by id",
			refs:    []string{helpdeskID},
			stdout:  []string{"deleted " + helpdeskID},
			removed: []string{"docs/it-helpdesk-faq.txt"},
		},
		{
			name:   "unknown document",
			refs:   []string{"docs/no-such-file.txt"},
			code:   ExitFailure,
			stderr: []string{"delete docs/no-such-file.txt: no such document"},
		},
		{
			name:   "already deleted",
			refs:   []string{"docs/code-of-conduct.txt"},
			code:   ExitFailure,
			stderr: []string{"no such document"},
		},
		{
			// One bad reference fails the command; the others are still deleted.
			name:    "known and unknown together",
			refs:    []string{"docs/nope.md", "docs/vacation-and-leave.md"},
			code:    ExitFailure,
			stdout:  []string{"deleted docs/vacation-and-leave.md"},
			stderr:  []string{"delete docs/nope.md: no such document"},
			removed: []string{"docs/vacation-and-leave.md"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := docKeys(t, "--data", data)
			code, out, errOut := run(t, append([]string{"delete", "--data", data}, c.refs...)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d:\n%s%s", code, c.code, out, errOut)
			}
			for _, w := range c.stdout {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q: %s", w, out)
				}
			}
			for _, w := range c.stderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q: %s", w, errOut)
				}
			}
			after := docKeys(t, "--data", data)
			want := slices.DeleteFunc(slices.Clone(before), func(k string) bool { return slices.Contains(c.removed, k) })
			if !slices.Equal(after, want) {
				t.Errorf("documents after delete:\n got %v\nwant %v", after, want)
			}
		})
	}
	if keys := docKeys(t, "--data", data); len(keys) != 8 {
		t.Errorf("%d documents left, want 8: %v", len(keys), keys)
	}
	// The deleted documents no longer answer questions.
	code, out, _ := run(t, "ask", "--data", data, "--json", "How many weeks of paid parental leave does a primary caregiver get?")
	if code != ExitOK {
		t.Fatalf("ask after delete: exit %d", code)
	}
	if strings.Contains(out, "vacation-and-leave.md") {
		t.Errorf("deleted document still cited:\n%s", out)
	}
}

// TestIngestSizeLimit ingests a folder with one file over
// ingest.max_file_size: that file fails on one stderr line, the other is
// ingested.
func TestIngestSizeLimit(t *testing.T) {
	root := t.TempDir()
	in := filepath.Join(root, "in")
	big := writeFile(t, filepath.Join(in, "big.txt"), strings.Repeat("Llamas graze on the north lawn every morning. ", 110)[:5000])
	writeFile(t, filepath.Join(in, "small.txt"), "Parking is free for employees on level two.\n")
	cfg := writeFile(t, filepath.Join(root, "ragline.yaml"), "ingest:\n  max_file_size: 1KB\n")
	data := filepath.Join(root, "kb")

	code, _, errOut := run(t, "--config", cfg, "ingest", "--data", data, "--root", root, in)
	if code != ExitFailure {
		t.Fatalf("exit %d, want 1:\n%s", code, errOut)
	}
	var failures []string
	for _, line := range strings.Split(errOut, "\n") {
		if strings.HasPrefix(line, "ragline: ingest: ") {
			failures = append(failures, line)
		}
	}
	if len(failures) != 1 {
		t.Fatalf("%d failure lines, want 1:\n%s", len(failures), errOut)
	}
	if !strings.Contains(failures[0], big) || !strings.Contains(failures[0], "over the size limit") {
		t.Errorf("failure line %q should name %s and say it is over the size limit", failures[0], big)
	}
	if strings.Contains(errOut, "small.txt") {
		t.Errorf("small.txt reported as failed:\n%s", errOut)
	}
	if keys := docKeys(t, "--config", cfg, "--data", data); !slices.Equal(keys, []string{"in/small.txt"}) {
		t.Errorf("documents %v, want only in/small.txt", keys)
	}
}

// TestIngestSkipsHiddenFiles checks that hidden files and folders inside
// an ingested folder stay out of the knowledge base.
func TestIngestSkipsHiddenFiles(t *testing.T) {
	root := t.TempDir()
	in := filepath.Join(root, "in")
	writeFile(t, filepath.Join(in, "visible.txt"), "The cafeteria opens at eight.\n")
	writeFile(t, filepath.Join(in, ".secret.txt"), "The vault code is 4242.\n")
	writeFile(t, filepath.Join(in, ".git", "notes.txt"), "The vault code is 4242.\n")
	writeFile(t, filepath.Join(in, "sub", ".hidden.md"), "# Vault\n\nThe vault code is 4242.\n")
	data := filepath.Join(root, "kb")

	code, _, errOut := run(t, "ingest", "--data", data, "--root", root, in)
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "ingest: 1 files (1 added") {
		t.Errorf("want exactly one file ingested:\n%s", errOut)
	}
	if keys := docKeys(t, "--data", data); !slices.Equal(keys, []string{"in/visible.txt"}) {
		t.Errorf("documents %v, want only in/visible.txt", keys)
	}
	_, out, _ := run(t, "ask", "--data", data, "What is the vault code?")
	if strings.Contains(out, "4242") {
		t.Errorf("hidden file content answered:\n%s", out)
	}
}
