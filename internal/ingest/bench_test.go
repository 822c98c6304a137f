package ingest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func benchmarkLoad(b *testing.B, file string) {
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// The first PDF starts the runtime; that is not what is measured.
	if _, err := Load(ctx, file, data, DefaultLimits()); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(ctx, file, data, DefaultLimits()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadPDF(b *testing.B)      { benchmarkLoad(b, "multipage.pdf") }
func BenchmarkLoadHTML(b *testing.B)     { benchmarkLoad(b, "article.html") }
func BenchmarkLoadDOCX(b *testing.B)     { benchmarkLoad(b, "handbook.docx") }
func BenchmarkLoadMarkdown(b *testing.B) { benchmarkLoad(b, "guide.md") }
func BenchmarkLoadCSV(b *testing.B)      { benchmarkLoad(b, "records.csv") }
