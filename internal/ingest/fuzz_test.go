package ingest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzExts are the names fuzzed content is loaded under, one per loader
// and sniffing path.
var fuzzExts = []string{".pdf", ".docx", ".html", ".md", ".txt", ".csv", ".tsv", ".jsonl", ".jsonl.gz", ""}

// FuzzLoad feeds arbitrary bytes to Load under every extension: it must
// never panic or hang, and whatever it returns must keep the document
// invariants (valid UTF-8, exact, ordered, non-overlapping block spans).
func FuzzLoad(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join("testdata", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		for i, ext := range fuzzExts {
			if strings.HasSuffix(e.Name(), ext) && ext != "" {
				f.Add(uint8(i), data)
			}
		}
	}
	f.Add(uint8(9), []byte("<!doctype html><h1>x</h1>"))
	lim := Limits{MaxFileSize: 1 << 20, MaxPages: 20, MaxChars: 1 << 18}
	f.Fuzz(func(t *testing.T, ext uint8, data []byte) {
		name := "fuzz" + fuzzExts[int(ext)%len(fuzzExts)]
		docs, err := Load(context.Background(), name, data, lim)
		if err != nil && !strings.HasPrefix(err.Error(), name) {
			t.Errorf("error does not name the file: %v", err)
		}
		for _, doc := range docs {
			if err := validateDocument(doc); err != nil {
				t.Fatalf("%s: %v", doc.Key, err)
			}
		}
	})
}
