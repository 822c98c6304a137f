package kube

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// repo is the repository root, relative to this folder.
const repo = "../../.."

// raglineBin is the ragline binary built from the repository root for the
// cross-checks (config validate, serve and scrape).
var raglineBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ragline-validate-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	raglineBin = filepath.Join(dir, "ragline")
	cmd := exec.Command("go", "build", "-trimpath", "-o", raglineBin, "./cmd/ragline")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/ragline: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func overlayDir(env string) string { return filepath.Join(repo, "deploy/kubernetes/overlays", env) }

// find returns the objects of a kind (and name, when given).
func find(objs []Object, kind, name string) []Object {
	var out []Object
	for _, o := range objs {
		if o.GVK.Kind == kind && (name == "" || o.Name == name) {
			out = append(out, o)
		}
	}
	return out
}

func one[T any](t *testing.T, objs []Object, kind, name string) T {
	t.Helper()
	got := find(objs, kind, name)
	if len(got) != 1 {
		t.Fatalf("want exactly one %s %q, got %d", kind, name, len(got))
	}
	v, ok := got[0].Typed.(T)
	if !ok {
		t.Fatalf("%s decoded as %T", got[0], got[0].Typed)
	}
	return v
}
