package text

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/datasettest"
)

// The benchmarks read real text in place from the shared evaluation
// datasets beside the repository and skip when they are absent.
var (
	scifactPath = datasettest.Path("scifact", "corpus.jsonl.gz")
	cmrcPath    = datasettest.Path("cmrc2018", "cmrc2018_dev.json")
)

const (
	// benchBytes bounds the sample so that one iteration stays short.
	benchBytes = 1 << 20
)

// englishSample returns about 1 MiB of SciFact titles and abstracts.
func englishSample(b *testing.B) string {
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
	var sb strings.Builder
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() && sb.Len() < benchBytes {
		var doc struct{ Title, Text string }
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			b.Fatal(err)
		}
		sb.WriteString(doc.Title)
		sb.WriteString(". ")
		sb.WriteString(doc.Text)
		sb.WriteString("\n\n")
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	return sb.String()
}

// chineseSample returns about 1 MiB of CMRC 2018 passages.
func chineseSample(b *testing.B) string {
	b.Helper()
	data, err := os.ReadFile(cmrcPath)
	if err != nil {
		b.Skipf("dataset not available: %v", err)
	}
	var passages []struct {
		ContextText string `json:"context_text"`
	}
	if err := json.Unmarshal(data, &passages); err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	for _, p := range passages {
		if sb.Len() >= benchBytes {
			break
		}
		sb.WriteString(p.ContextText)
		sb.WriteString("\n\n")
	}
	return sb.String()
}

func benchmarkTokens(b *testing.B, o Options, s string) {
	a, err := NewAnalyzer(o)
	if err != nil {
		b.Fatal(err)
	}
	a.Tokens(s[:min(len(s), 4096)]) // load lazily initialised state first
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		a.Tokens(s)
	}
}

func BenchmarkAnalyzerEnglish(b *testing.B) {
	benchmarkTokens(b, Options{}, englishSample(b))
}

// BenchmarkAnalyzerEnglishColdStem empties the stem memo before every
// pass, so that each pass pays for stemming every distinct word once, as a
// first pass over new text does.
func BenchmarkAnalyzerEnglishColdStem(b *testing.B) {
	s := englishSample(b)
	a := mustAnalyzer(b, Options{})
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		for i := range stemMemo {
			stemMemo[i].mu.Lock()
			clear(stemMemo[i].m)
			stemMemo[i].mu.Unlock()
		}
		a.Tokens(s)
	}
}

func BenchmarkAnalyzerEnglishNoStem(b *testing.B) {
	benchmarkTokens(b, Options{Stemming: "none"}, englishSample(b))
}

func BenchmarkAnalyzerChinese(b *testing.B) {
	benchmarkTokens(b, Options{}, chineseSample(b))
}

func BenchmarkAnalyzerChineseGSE(b *testing.B) {
	if !gseAvailable {
		b.Skip("gse is not in this build (-tags gse)")
	}
	benchmarkTokens(b, Options{CJK: "gse"}, chineseSample(b))
}

func BenchmarkSentences(b *testing.B) {
	s := englishSample(b)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		Sentences(s)
	}
}

func BenchmarkSentencesChinese(b *testing.B) {
	s := chineseSample(b)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		Sentences(s)
	}
}

func BenchmarkCountTokens(b *testing.B) {
	s := englishSample(b)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		CountTokens(s)
	}
}
