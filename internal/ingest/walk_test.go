package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestWalk(t *testing.T) {
	root := t.TempDir()
	write := func(rel string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, rel string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(root, rel)); err != nil {
			t.Fatal(err)
		}
	}
	write("b.txt")
	write("a/z.md")
	write("a/b/c.pdf")
	write(".hidden.txt")
	write(".git/config")
	write("a/.cache/x.txt")
	write("other/o.txt")
	link("..", "a/b/up")                               // loop back to a
	link(root, "a/root")                               // loop back to the root
	link(filepath.Join(root, "b.txt"), "a/b-link.txt") // link to a file
	link(filepath.Join(root, "missing"), "a/broken")   // broken link

	got, err := Walk([]string{root, filepath.Join(root, "b.txt"), filepath.Join(root, ".hidden.txt")})
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, p := range got {
		r, err := filepath.Rel(root, p)
		if err != nil {
			t.Fatal(err)
		}
		rel = append(rel, r)
	}
	want := []string{".hidden.txt", "a/b-link.txt", "a/b/c.pdf", "a/z.md", "b.txt", "other/o.txt"}
	if !slices.Equal(rel, want) {
		t.Errorf("Walk = %q, want %q", rel, want)
	}
}

func TestWalkMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Walk([]string{filepath.Join(dir, "nope"), dir})
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want the missing path reported", err)
	}
	if len(got) != 1 || filepath.Base(got[0]) != "a.txt" {
		t.Errorf("Walk = %q, want the files that exist", got)
	}
}
