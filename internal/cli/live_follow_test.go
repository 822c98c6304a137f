package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ragline/ragline/internal/store"
)

// cliProcess runs the CLI with args in its own process (the test binary
// re-executed as the real command line) and waits for it to exit.
func cliProcess(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "RAGLINE_CLI_MAIN=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
}

// citesSource asks the server question and reports whether an answer
// cites source.
func citesSource(s *cliServer, question, source string) bool {
	for _, c := range s.chat(question).Citations {
		if c.Source == source {
			return true
		}
	}
	return false
}

// TestServerFollowsCLIWrites runs `ragline serve` on a knowledge base and
// then, in other processes, `ragline ingest` and `ragline delete` on the
// same knowledge base: the server picks both up from the change log,
// without restarting or rebuilding, and answers from the new state. The
// time each took to appear is logged (the speed itself is measured by
// `ragline bench live --external`, see docs/benchmarks.md).
func TestServerFollowsCLIWrites(t *testing.T) {
	data := t.TempDir()
	if code, _, stderr := run(t, "ingest", "--data", data, quickstartDocs); code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	srv := startServer(t, "serve", "--data", data, "--addr", "127.0.0.1:0")
	for deadline := time.Now().Add(safetyBound); ; {
		if code, _ := srv.get("/readyz"); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready:\n%s", srv.log())
		}
		time.Sleep(10 * time.Millisecond)
	}
	const question = "Where is the zorblax calibration rig kept?"
	const source = "zorblax-lab.md"
	if citesSource(srv, question, source) {
		t.Fatal("cited a document that does not exist yet")
	}

	dir := t.TempDir()
	doc := filepath.Join(dir, source)
	if err := os.WriteFile(doc, []byte("# Zorblax lab\n\nThe zorblax calibration rig is kept in room 4.12 of the east wing.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Keyed relative to its folder, so the key is its file name.
	cliProcess(t, "ingest", "--data", data, "--root", dir, doc)
	written := time.Now()
	waitFor(t, srv, func() bool { return citesSource(srv, question, source) }, "the ingested document")
	t.Logf("CLI ingest searchable on the server %v after the ingest process exited", time.Since(written).Round(time.Millisecond))

	cliProcess(t, "delete", "--data", data, store.DocumentID("default", source))
	deleted := time.Now()
	waitFor(t, srv, func() bool { return !citesSource(srv, question, source) }, "the deletion")
	t.Logf("CLI delete applied on the server %v after the delete process exited", time.Since(deleted).Round(time.Millisecond))
	if strings.Contains(srv.log(), "index follower") {
		t.Errorf("the follower reported errors:\n%s", srv.log())
	}
}

// waitFor polls cond until it holds, within the safety bound.
func waitFor(t *testing.T, srv *cliServer, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(safetyBound); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("the server never saw %s:\n%s", what, srv.log())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
