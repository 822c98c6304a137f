package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPin records resolved digests in a pin file and rewrites references,
// tagged or already pinned, in the files that use them.
func TestPin(t *testing.T) {
	dir := t.TempDir()
	pins := filepath.Join(dir, "pins.yaml")
	os.WriteFile(pins, []byte(`images:
  - ref: docker.io/library/bash:5.2.37
    digest: ""
    unverified: no registry access
    used-by: report
  - ref: registry.k8s.io/kubectl:v1.34.2
    digest: sha256:`+strings.Repeat("1", 64)+`
    used-by: deploy
`), 0o644)
	task := filepath.Join(dir, "task.yaml")
	os.WriteFile(task, []byte("image: docker.io/library/bash:5.2.37\nimage: registry.k8s.io/kubectl:v1.34.2@sha256:"+strings.Repeat("1", 64)+"\nimage: docker.io/library/bash:5.2.38\n"), 0o644)
	resolved := map[string]string{
		"docker.io/library/bash:5.2.37":   "sha256:" + strings.Repeat("a", 64),
		"registry.k8s.io/kubectl:v1.34.2": "sha256:" + strings.Repeat("b", 64),
	}
	got, err := Pin(pins, []string{task}, func(ref string) (string, error) { return resolved[ref], nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("pinned %v", got)
	}
	p, _ := os.ReadFile(pins)
	if strings.Contains(string(p), "unverified") || !strings.Contains(string(p), "digest: sha256:"+strings.Repeat("a", 64)) ||
		!strings.Contains(string(p), "digest: sha256:"+strings.Repeat("b", 64)) || !strings.Contains(string(p), "used-by: deploy") {
		t.Errorf("pin file:\n%s", p)
	}
	f, _ := os.ReadFile(task)
	want := "image: docker.io/library/bash:5.2.37@sha256:" + strings.Repeat("a", 64) + "\nimage: registry.k8s.io/kubectl:v1.34.2@sha256:" + strings.Repeat("b", 64) + "\nimage: docker.io/library/bash:5.2.38\n"
	if string(f) != want {
		t.Errorf("rewritten:\n%s\nwant:\n%s", f, want)
	}
}
