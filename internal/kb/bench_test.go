package kb

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/eval"

	"github.com/ragline/ragline/internal/datasettest"
)

var scifact = datasettest.Path("scifact")

var (
	benchOnce sync.Once
	benchKB   *KB
	benchDS   *eval.Dataset
	benchErr  error
)

// sciFactKB builds the SciFact knowledge base once per benchmark binary.
func sciFactKB(b *testing.B) (*KB, *eval.Dataset) {
	b.Helper()
	if _, err := os.Stat(scifact); err != nil {
		b.Skip("datasets not present beside the repository")
	}
	benchOnce.Do(func() {
		ctx := context.Background()
		benchDS, benchErr = eval.Open("beir:" + scifact + ":train")
		if benchErr != nil {
			return
		}
		dir, err := os.MkdirTemp("", "ragline-bench-kb-")
		if err != nil {
			benchErr = err
			return
		}
		benchKB, benchErr = Open(ctx, config.Default(), dir, false)
		if benchErr != nil {
			return
		}
		benchErr = benchKB.PutDocuments(ctx, "default", benchDS.Corpus)
		if benchErr == nil {
			benchErr = benchKB.Warm(ctx, "")
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchKB, benchDS
}

// BenchmarkRetrieveSciFact is one top-10 retrieval (analysis, BM25F over
// 6k chunks, loading the chunks) per iteration.
func BenchmarkRetrieveSciFact(b *testing.B) {
	k, ds := sciFactKB(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := k.Retrieve(ctx, "", ds.Queries[i%len(ds.Queries)].Text, 10); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAskSciFact is the whole in-process question path: perceive,
// retrieve, generate, digest.
func BenchmarkAskSciFact(b *testing.B) {
	k, ds := sciFactKB(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := k.Ask(ctx, "", ds.Queries[i%len(ds.Queries)].Text, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIngestSciFact measures chunking, analysis and storage of the
// SciFact corpus (text already in memory).
func BenchmarkIngestSciFact(b *testing.B) {
	if _, err := os.Stat(scifact); err != nil {
		b.Skip("datasets not present beside the repository")
	}
	ds, err := eval.Open("beir:" + scifact + ":train")
	if err != nil {
		b.Fatal(err)
	}
	var bytes int64
	for _, d := range ds.Corpus {
		bytes += int64(len(d.Text) + len(d.Title))
	}
	b.SetBytes(bytes)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		k, err := Open(context.Background(), config.Default(), dir, false)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := k.PutDocuments(context.Background(), "default", ds.Corpus); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		k.Close()
		b.StartTimer()
	}
}
