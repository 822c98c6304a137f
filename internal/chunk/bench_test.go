package chunk

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"testing"

	"github.com/ragline/ragline/internal/schema"

	"github.com/ragline/ragline/internal/datasettest"
)

// The benchmarks read real text in place from the shared evaluation
// datasets beside the repository and skip when they are absent.
var (
	scifactPath = datasettest.Path("scifact", "corpus.jsonl.gz")
	cmrcPath    = datasettest.Path("cmrc2018", "cmrc2018_dev.json")
)

const (
	benchBytes = 2 << 20
)

// scifactDocs returns about 2 MiB of SciFact abstracts as documents of a
// title heading and an abstract paragraph.
func scifactDocs(b *testing.B) ([]*schema.Document, int) {
	b.Helper()
	f, err := os.Open(scifactPath)
	if err != nil {
		b.Skipf("dataset not available: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	var docs []*schema.Document
	total := 0
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() && total < benchBytes {
		var rec struct {
			ID    string `json:"_id"`
			Title string `json:"title"`
			Text  string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			b.Fatal(err)
		}
		doc := makeDoc(rec.ID,
			part{schema.BlockHeading, rec.Title, 0, []string{rec.Title}},
			part{schema.BlockParagraph, rec.Text, 0, []string{rec.Title}},
		)
		docs = append(docs, doc)
		total += len(doc.Text)
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	return docs, total
}

// cmrcDocs returns about 2 MiB of CMRC 2018 passages as documents without
// blocks.
func cmrcDocs(b *testing.B) ([]*schema.Document, int) {
	b.Helper()
	data, err := os.ReadFile(cmrcPath)
	if err != nil {
		b.Skipf("dataset not available: %v", err)
	}
	var passages []struct {
		ID   string `json:"context_id"`
		Text string `json:"context_text"`
	}
	if err := json.Unmarshal(data, &passages); err != nil {
		b.Fatal(err)
	}
	var docs []*schema.Document
	total := 0
	for _, p := range passages {
		if total >= benchBytes {
			break
		}
		docs = append(docs, &schema.Document{ID: p.ID, Text: p.Text})
		total += len(p.Text)
	}
	return docs, total
}

func benchmarkSplit(b *testing.B, docs []*schema.Document, total int, o Options) {
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			Split(d, o)
		}
	}
}

func BenchmarkSplit(b *testing.B) {
	docs, total := scifactDocs(b)
	benchmarkSplit(b, docs, total, Options{Size: 128, Overlap: 24})
}

func BenchmarkSplitDefaults(b *testing.B) {
	docs, total := scifactDocs(b)
	benchmarkSplit(b, docs, total, Options{})
}

func BenchmarkSplitChinese(b *testing.B) {
	docs, total := cmrcDocs(b)
	benchmarkSplit(b, docs, total, Options{Size: 128, Overlap: 24})
}
