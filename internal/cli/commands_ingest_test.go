package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/kb"
)

// runIn runs the real command line as a subprocess in dir and returns its
// exit code, stdout and stderr.
func runIn(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "RAGLINE_CLI_MAIN=1")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return code, out.String(), errb.String()
}

// TestIngestKeyIsPathIndependent ingests a folder, then one of its files
// by relative path after editing it, then by absolute path after editing
// it again: the file stays one document, replaced each time, and only its
// latest text is found.
func TestIngestKeyIsPathIndependent(t *testing.T) {
	work := t.TempDir()
	guide := writeFile(t, filepath.Join(work, "mydocs", "guide.md"), "# Guide\n\nThe office opens at seven.\n")
	writeFile(t, filepath.Join(work, "mydocs", "other.md"), "# Other\n\nThe canteen serves soup.\n")
	data := filepath.Join(work, "kb")

	steps := []struct {
		name, arg, text, status string
	}{
		{"folder", "./mydocs", "The office opens at seven.", "added"},
		{"relative file", "./mydocs/guide.md", "The office opens at eight.", "replaced"},
		{"absolute file", guide, "The office opens at nine.", "replaced"},
	}
	for i, st := range steps {
		if i > 0 {
			writeFile(t, guide, "# Guide\n\n"+st.text+"\n")
		}
		code, out, errOut := runIn(t, work, "ingest", "--data", data, "--json", st.arg)
		if code != ExitOK {
			t.Fatalf("%s: exit %d:\n%s", st.name, code, errOut)
		}
		var rep kb.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%s: %v\n%s", st.name, err, out)
		}
		for _, r := range rep.Results {
			if filepath.Base(r.Path) == "guide.md" && (r.Key != "mydocs/guide.md" || string(r.Status) != st.status) {
				t.Errorf("%s: guide.md stored as %q, %s; want mydocs/guide.md, %s", st.name, r.Key, r.Status, st.status)
			}
		}
		if keys := docKeys(t, "--data", data); !slices.Equal(keys, []string{"mydocs/guide.md", "mydocs/other.md"}) {
			t.Errorf("%s: documents %v, want mydocs/guide.md and mydocs/other.md", st.name, keys)
		}
		_, ans, _ := run(t, "ask", "--data", data, "When does the office open?")
		if !strings.Contains(ans, st.text) {
			t.Errorf("%s: answer lacks %q:\n%s", st.name, st.text, ans)
		}
		for _, old := range steps[:i] {
			if strings.Contains(ans, old.text) {
				t.Errorf("%s: an older version is still found (%q):\n%s", st.name, old.text, ans)
			}
		}
	}
}

// TestIngestMigratesLegacyKey checks that a document stored under the key
// older versions gave a file named by itself ("guide.md") is replaced, not
// duplicated, when that file is ingested under its new key.
func TestIngestMigratesLegacyKey(t *testing.T) {
	work := t.TempDir()
	guide := writeFile(t, filepath.Join(work, "mydocs", "guide.md"), "# Guide\n\nThe office opens at seven.\n")
	data := filepath.Join(work, "kb")
	// Ingest with the working directory as root keyed a lone file by its
	// base name, as every version before keys were made path-independent.
	if code, _, errOut := runIn(t, filepath.Dir(guide), "ingest", "--data", data, "--root", filepath.Dir(guide), guide); code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	if keys := docKeys(t, "--data", data); !slices.Equal(keys, []string{"guide.md"}) {
		t.Fatalf("documents %v, want guide.md", keys)
	}
	writeFile(t, guide, "# Guide\n\nThe office opens at eight.\n")
	code, _, errOut := runIn(t, work, "ingest", "--data", data, "mydocs/guide.md")
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "(0 added, 1 replaced") {
		t.Errorf("want the legacy document replaced:\n%s", errOut)
	}
	if keys := docKeys(t, "--data", data); !slices.Equal(keys, []string{"mydocs/guide.md"}) {
		t.Errorf("documents %v, want only mydocs/guide.md", keys)
	}
}

// TestIngestPartialPaths names a missing path, an existing file and a
// folder: the missing one is reported with its error, the others are
// ingested, the exit status is 1 and the reported duration is sane.
func TestIngestPartialPaths(t *testing.T) {
	work := t.TempDir()
	writeFile(t, filepath.Join(work, "mydocs", "guide.md"), "# Guide\n\nThe office opens at seven.\n")
	writeFile(t, filepath.Join(work, "more", "canteen.txt"), "The canteen serves soup on Fridays.\n")
	data := filepath.Join(work, "kb")

	code, _, errOut := runIn(t, work, "ingest", "--data", data, "./nope", "./mydocs/guide.md", "more", "also-missing.md")
	if code != ExitFailure {
		t.Fatalf("exit %d, want 1:\n%s", code, errOut)
	}
	for _, p := range []string{"./nope", "also-missing.md"} {
		if !strings.Contains(errOut, "ragline: ingest: "+p+": no such file or directory") {
			t.Errorf("stderr does not report %s as missing:\n%s", p, errOut)
		}
	}
	if keys := docKeys(t, "--data", data); !slices.Equal(keys, []string{"more/canteen.txt", "mydocs/guide.md"}) {
		t.Errorf("documents %v, want more/canteen.txt and mydocs/guide.md", keys)
	}
	m := regexp.MustCompile(`ingest: 4 files \(2 added, 0 replaced, 0 unchanged, 2 failed\), \d+ chunks, .* in ([0-9.]+)s`).FindStringSubmatch(errOut)
	if m == nil {
		t.Fatalf("no summary line with 4 files, 2 added, 2 failed:\n%s", errOut)
	}
	// A duration measured from the zero time reads as ~9.2e9 s.
	if secs, _ := strconv.ParseFloat(m[1], 64); secs > 3600 {
		t.Errorf("reported duration %ss is not the run's", m[1])
	}

	// Nothing but missing paths: still exit 1, and a summary that adds up.
	code, _, errOut = runIn(t, work, "ingest", "--data", data, "./nope")
	if code != ExitFailure || !strings.Contains(errOut, "ingest: 1 files (0 added, 0 replaced, 0 unchanged, 1 failed)") {
		t.Errorf("only a missing path: exit %d, want 1 with one failure:\n%s", code, errOut)
	}
}

// TestUnknownCollection checks that ask, docs and delete refuse a
// collection that does not exist with exit 2, naming the existing ones.
func TestUnknownCollection(t *testing.T) {
	work := t.TempDir()
	writeFile(t, filepath.Join(work, "a", "guide.md"), "# Guide\n\nThe office opens at seven.\n")
	data := filepath.Join(work, "kb")
	for _, c := range []string{"handbook", "hr"} {
		if code, _, errOut := runIn(t, work, "ingest", "--data", data, "--collection", c, "a"); code != ExitOK {
			t.Fatalf("ingest %s: exit %d:\n%s", c, code, errOut)
		}
	}
	for _, args := range [][]string{
		{"ask", "--data", data, "--collection", "does-not-exist", "When does the office open?"},
		{"docs", "--data", data, "--collection", "does-not-exist"},
		{"delete", "--data", data, "--collection", "does-not-exist", "a/guide.md"},
	} {
		code, out, errOut := runIn(t, work, args...)
		if code != ExitUsage {
			t.Errorf("%s: exit %d, want 2:\n%s%s", args[0], code, out, errOut)
		}
		if !strings.Contains(errOut, `collection "does-not-exist" does not exist; existing collections: handbook, hr`) {
			t.Errorf("%s: stderr does not name the existing collections:\n%s", args[0], errOut)
		}
	}
	if code, out, errOut := runIn(t, work, "ask", "--data", data, "--collection", "hr", "When does the office open?"); code != ExitOK || !strings.Contains(out, "seven") {
		t.Errorf("ask in an existing collection: exit %d:\n%s%s", code, out, errOut)
	}
}

// TestIngestRemovesLegacyDuplicate starts from the state older versions
// left after a folder and then one of its files were ingested (the file
// stored twice, as mydocs/guide.md and as guide.md): naming the file
// again keeps one document.
func TestIngestRemovesLegacyDuplicate(t *testing.T) {
	work := t.TempDir()
	guide := writeFile(t, filepath.Join(work, "mydocs", "guide.md"), "# Guide\n\nThe office opens at seven.\n")
	data := filepath.Join(work, "kb")
	for _, args := range [][]string{
		{"ingest", "--data", data, "mydocs"},
		{"ingest", "--data", data, "--root", filepath.Dir(guide), guide},
	} {
		if code, _, errOut := runIn(t, work, args...); code != ExitOK {
			t.Fatalf("%v: exit %d:\n%s", args, code, errOut)
		}
	}
	if keys := docKeys(t, "--data", data); !slices.Equal(keys, []string{"guide.md", "mydocs/guide.md"}) {
		t.Fatalf("setup: documents %v", keys)
	}
	if code, _, errOut := runIn(t, work, "ingest", "--data", data, "./mydocs/guide.md"); code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	if keys := docKeys(t, "--data", data); !slices.Equal(keys, []string{"mydocs/guide.md"}) {
		t.Errorf("documents %v, want only mydocs/guide.md", keys)
	}
}
