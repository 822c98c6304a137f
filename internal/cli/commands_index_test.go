package cli

import (
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

var digestLine = regexp.MustCompile(`(?m)^digest: ([0-9a-f]{64})$`)

// buildSnapshot runs `index build` and returns the digest it printed.
func buildSnapshot(t *testing.T, out string, args ...string) string {
	t.Helper()
	code, stdout, stderr := run(t, append([]string{"index", "build", "--out", out}, args...)...)
	if code != ExitOK {
		t.Fatalf("index build --out %s %v: exit %d:\n%s", out, args, code, stderr)
	}
	m := digestLine.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("index build printed no 64-hex digest:\n%s", stdout)
	}
	if !strings.HasPrefix(stdout, out+"\n") {
		t.Errorf("index build output should start with the snapshot path %s:\n%s", out, stdout)
	}
	return m[1]
}

// copyFile copies src to dst, writable.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestIndexBuildAndVerify builds a snapshot of the quick-start corpus twice
// and checks the digest is reproducible, the file read-only and verify
// content with it.
func TestIndexBuildAndVerify(t *testing.T) {
	root := t.TempDir()
	first := buildSnapshot(t, filepath.Join(root, "kb.db"), quickstartDocs)

	otherDir := filepath.Join(root, "other")
	if err := os.Mkdir(otherDir, 0o755); err != nil {
		t.Fatal(err)
	}
	second := buildSnapshot(t, filepath.Join(otherDir, "again.db"), quickstartDocs)
	if first != second {
		t.Errorf("two builds of the same corpus: digests %s and %s", first, second)
	}

	fi, err := os.Stat(filepath.Join(root, "kb.db"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o222 != 0 {
		t.Errorf("snapshot mode %v, want read-only", fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(root, ".ragline-build-*")); len(left) > 0 {
		t.Errorf("temporary build folders left behind: %v", left)
	}

	for _, snap := range []string{filepath.Join(root, "kb.db"), filepath.Join(otherDir, "again.db")} {
		code, out, errOut := run(t, "index", "verify", snap)
		if code != ExitOK {
			t.Fatalf("verify %s: exit %d:\n%s%s", snap, code, out, errOut)
		}
		for _, want := range []string{
			snap + ": 11 documents, ",
			"digest: " + first + " (stamped " + first + ")\n",
			"\nok\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("verify output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "problem:") {
			t.Errorf("problems in a fresh snapshot:\n%s", out)
		}
	}
}

// TestIndexVerifyDetectsTampering changes one byte of a snapshot copy and
// checks that verify fails and names the problem.
func TestIndexVerifyDetectsTampering(t *testing.T) {
	root := t.TempDir()
	snap := filepath.Join(root, "kb.db")
	buildSnapshot(t, snap, quickstartDocs)

	cases := []struct {
		name    string
		tamper  func(t *testing.T, db *sql.DB)
		problem string
	}{
		{
			name:    "one byte of a chunk's text",
			tamper:  flipChunkByte,
			problem: "text does not match the document",
		},
		{
			name: "a document's source renamed",
			tamper: func(t *testing.T, db *sql.DB) {
				res, err := db.Exec(`UPDATE documents SET source = 'renamed.md' WHERE rowid = (SELECT min(rowid) FROM documents)`)
				if err != nil {
					t.Fatal(err)
				}
				if n, _ := res.RowsAffected(); n != 1 {
					t.Fatalf("renamed %d documents, want 1", n)
				}
			},
			problem: "digest mismatch",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cp := filepath.Join(t.TempDir(), "tampered.db")
			copyFile(t, snap, cp)
			db, err := sql.Open("sqlite", "file:"+cp)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			c.tamper(t, db)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}

			code, out, errOut := run(t, "index", "verify", cp)
			if code != ExitFailure {
				t.Fatalf("verify of a tampered snapshot: exit %d, want 1:\n%s%s", code, out, errOut)
			}
			var problems []string
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "problem: ") {
					problems = append(problems, line)
				}
			}
			if len(problems) == 0 || !strings.Contains(strings.Join(problems, "\n"), c.problem) {
				t.Errorf("want a problem line with %q:\n%s", c.problem, out)
			}
			if strings.Contains(out, "\nok\n") {
				t.Errorf("verify says ok for a tampered snapshot:\n%s", out)
			}
		})
	}
}

// flipChunkByte flips the case of one ASCII letter in the second half of
// a chunk's text: same length, still valid UTF-8, different bytes.
func flipChunkByte(t *testing.T, db *sql.DB) {
	t.Helper()
	rows, err := db.Query(`SELECT rowid, text FROM chunks ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	var rowid int64
	var b []byte
	found := false
	for rows.Next() && !found {
		var text string
		if err := rows.Scan(&rowid, &text); err != nil {
			t.Fatal(err)
		}
		b = []byte(text)
		for i := len(b) / 2; i < len(b); i++ {
			if b[i] >= 'a' && b[i] <= 'z' || b[i] >= 'A' && b[i] <= 'Z' {
				b[i] ^= 0x20
				found = true
				break
			}
		}
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatal("no chunk with an ASCII letter in its second half")
	}
	res, err := db.Exec(`UPDATE chunks SET text = ? WHERE rowid = ?`, string(b), rowid)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("updated %d chunks, want 1", n)
	}
}

// TestIndexBuildFromConfigSources builds from the configuration's sources
// (relative to the configuration file) and gets the same digest as from
// PATH arguments.
func TestIndexBuildFromConfigSources(t *testing.T) {
	root := t.TempDir()
	docs, err := filepath.Abs(quickstartDocs)
	if err != nil {
		t.Fatal(err)
	}
	// The configuration lives one folder below root; its source is relative.
	cfgDir := filepath.Join(root, "conf")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(docs, filepath.Join(root, "docs")); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, filepath.Join(cfgDir, "ragline.yaml"), "sources:\n  - path: ../docs\n")

	fromArgs := buildSnapshot(t, filepath.Join(root, "args.db"), quickstartDocs)
	fromConfig := buildSnapshot(t, filepath.Join(root, "config.db"), "--config", file)
	if fromArgs != fromConfig {
		t.Errorf("digest from sources %s, from PATH arguments %s", fromConfig, fromArgs)
	}
	code, out, errOut := run(t, "index", "verify", filepath.Join(root, "config.db"))
	if code != ExitOK || !strings.Contains(out, ": 11 documents, ") {
		t.Errorf("verify: exit %d:\n%s%s", code, out, errOut)
	}
}

// TestIndexUsage checks the argument errors of index build and verify.
func TestIndexUsage(t *testing.T) {
	root := t.TempDir()
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"build without --out", []string{"index", "build", quickstartDocs}, ExitUsage, "--out is required"},
		{"build with nothing to build", []string{"index", "build", "--out", filepath.Join(root, "x.db"), "--data", filepath.Join(root, "none")}, ExitUsage, "no sources given"},
		{"verify without a file", []string{"index", "verify"}, ExitUsage, ""},
		{"verify of a missing file", []string{"index", "verify", filepath.Join(root, "missing.db")}, ExitFailure, "missing.db"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := run(t, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d:\n%s", code, c.code, errOut)
			}
			if !strings.Contains(errOut, c.msg) {
				t.Errorf("stderr %q lacks %q", errOut, c.msg)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(root, "x.db")); err == nil {
		t.Error("a failed build wrote a snapshot")
	}
}
