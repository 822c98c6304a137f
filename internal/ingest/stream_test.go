package ingest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/schema"
)

// TestStreamCorpusNotBoundByFileSize checks that a JSONL corpus over
// MaxFileSize — plain or gzip-compressed, whose text then also exceeds
// four times the limit — is streamed whole, while a document file over
// the limit is still refused.
func TestStreamCorpusNotBoundByFileSize(t *testing.T) {
	dir := t.TempDir()
	var corpus bytes.Buffer
	for i := range 200 {
		fmt.Fprintf(&corpus, `{"_id": "d%d", "title": "Record %d", "text": "Body of record number %d, long enough to matter."}`+"\n", i, i, i)
	}
	plain := filepath.Join(dir, "corpus.jsonl")
	if err := os.WriteFile(plain, corpus.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(corpus.Bytes())
	zw.Close()
	packed := filepath.Join(dir, "corpus.jsonl.gz")
	if err := os.WriteFile(packed, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	lim := Limits{MaxFileSize: int64(gz.Len()) - 1}
	if int64(corpus.Len()) <= 4*lim.MaxFileSize {
		t.Fatalf("test corpus too small: %d bytes, limit %d", corpus.Len(), lim.MaxFileSize)
	}
	for _, path := range []string{plain, packed} {
		n := 0
		err := StreamFile(t.Context(), path, lim, func(docs []schema.Document) bool { n += len(docs); return true })
		if err != nil || n != 200 {
			t.Errorf("%s: %d records, err %v; want all 200", filepath.Base(path), n, err)
		}
	}
	doc := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(doc, []byte(strings.Repeat("word ", 200)), 0o644); err != nil {
		t.Fatal(err)
	}
	err := StreamFile(t.Context(), doc, Limits{MaxFileSize: 100}, func([]schema.Document) bool { return true })
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("a text file over the limit: err %v, want ErrTooLarge", err)
	}
}
