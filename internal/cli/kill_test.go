package cli

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/ragline/ragline/internal/store"
)

// writeCorpus writes n text files of a few kilobytes each.
func writeCorpus(t *testing.T, dir string, n int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		var b strings.Builder
		for p := range 40 {
			fmt.Fprintf(&b, "Paragraph %d of file %d talks about topic%d and topic%d. It has a second sentence about item%d.\n\n", p, i, i%17, p%13, i*p)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%04d.txt", i)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func countDocs(t *testing.T, dbFile string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+dbFile+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return -1
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM documents`).Scan(&n); err != nil {
		return -1
	}
	return n
}

// TestKillDuringIngest kills a real `ragline ingest` process with SIGKILL
// mid-run, then checks the store is consistent and that a re-run
// completes the job.
func TestKillDuringIngest(t *testing.T) {
	const files = 2000
	root := t.TempDir()
	docs := filepath.Join(root, "docs")
	data := filepath.Join(root, "kb")
	writeCorpus(t, docs, files)

	cmd := exec.Command(os.Args[0], "ingest", "--data", data, docs)
	cmd.Env = append(os.Environ(), "RAGLINE_CLI_MAIN=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dbFile := filepath.Join(data, store.FileName)
	deadline := time.Now().Add(60 * time.Second)
	killedAt := -1
	for time.Now().Before(deadline) {
		if n := countDocs(t, dbFile); n >= 30 {
			killedAt = n
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if killedAt < 0 {
		t.Fatalf("ingest never stored 30 documents; stderr:\n%s", stderr.String())
	}

	ctx := context.Background()
	st, err := store.Open(ctx, data, store.Options{})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	rep, err := st.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Consistent {
		t.Fatalf("store inconsistent after kill -9: %v", rep.Problems)
	}
	if rep.Documents >= files {
		t.Fatalf("ingest finished before the kill (%d documents): make the corpus larger", rep.Documents)
	}
	// Every stored document has all its chunks.
	docsInfo, err := st.Documents(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docsInfo {
		if d.Chunks == 0 {
			t.Errorf("document %s stored without chunks", d.Key)
		}
	}
	st.Close()
	t.Logf("killed with %d/%d documents stored", rep.Documents, files)

	code, _, errOut := run(t, "ingest", "--data", data, docs)
	if code != 0 {
		t.Fatalf("re-run exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, fmt.Sprintf("%d unchanged", rep.Documents)) {
		t.Errorf("re-run should skip the %d stored documents: %s", rep.Documents, errOut)
	}
	if n := countDocs(t, dbFile); n != files {
		t.Fatalf("after re-run: %d documents, want %d", n, files)
	}
}
