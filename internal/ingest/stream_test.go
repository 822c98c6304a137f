package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/schema"
)

// TestStreamFileMatchesLoadFile streams a corpus of more than one batch
// and expects exactly LoadFile's documents, delivered in batches.
func TestStreamFileMatchesLoadFile(t *testing.T) {
	var b strings.Builder
	n := StreamBatch*2 + 17
	for i := range n {
		fmt.Fprintf(&b, `{"_id":"d%d","title":"Title %d","text":"Body number %d."}`+"\n", i, i, i)
	}
	b.WriteString("not json\n")
	path := filepath.Join(t.TempDir(), "corpus.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	want, wantErr := LoadFile(ctx, path, Limits{})
	var got []schema.Document
	var sizes []int
	err := StreamFile(ctx, path, Limits{}, func(docs []schema.Document) bool {
		sizes = append(sizes, len(docs))
		got = append(got, docs...)
		return true
	})
	if wantErr == nil || err == nil || err.Error() != wantErr.Error() {
		t.Fatalf("errors differ: stream %v, load %v", err, wantErr)
	}
	if len(got) != n || len(want) != n {
		t.Fatalf("stream %d docs, load %d, want %d", len(got), len(want), n)
	}
	for i := range got {
		if got[i].Key != want[i].Key || got[i].Text != want[i].Text || got[i].Hash != want[i].Hash {
			t.Fatalf("doc %d differs: %+v vs %+v", i, got[i], want[i])
		}
	}
	if len(sizes) != 3 || sizes[0] != StreamBatch || sizes[2] != 17 {
		t.Errorf("batch sizes %v", sizes)
	}
	// Stopping early ends the stream.
	calls := 0
	_ = StreamFile(ctx, path, Limits{}, func([]schema.Document) bool { calls++; return false })
	if calls != 1 {
		t.Errorf("sink called %d times after returning false", calls)
	}
}
