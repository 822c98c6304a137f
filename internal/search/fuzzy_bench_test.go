package search

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"syscall"
	"testing"

	"github.com/ragline/ragline/internal/datasettest"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/text"
)

// sciFactVocabulary is the analysed vocabulary of the SciFact corpus in
// the shared datasets beside the repository, with document frequencies.
func sciFactVocabulary(b testing.TB) map[string]int {
	f, err := os.Open(datasettest.Require(b, "scifact", "corpus.jsonl.gz"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	an, err := text.NewAnalyzer(text.Options{})
	if err != nil {
		b.Fatal(err)
	}
	df := map[string]int{}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var d struct{ Title, Text string }
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			b.Fatal(err)
		}
		seen := map[string]bool{}
		for _, t := range an.Terms(d.Title + " " + d.Text) {
			if !seen[t] {
				seen[t] = true
				df[t]++
			}
		}
	}
	return df
}

// BenchmarkFuzzy measures typo tolerance on the SciFact vocabulary: the
// one-off vocabulary build per write generation, and the expansion of a
// question with one misspelt term (what a query pays when it has one).
func BenchmarkFuzzy(b *testing.B) {
	df := sciFactVocabulary(b)
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			vocab(df)
		}
		b.ReportMetric(float64(len(df)), "terms")
	})
	v := vocab(df)
	for _, typo := range []string{"methyltrasnferas", "microenviro", "matastes", "tumour"} {
		b.Run(typo, func(b *testing.B) {
			q := []schema.QueryTerm{{Term: "cell", Weight: 1}, {Term: typo, Weight: 1}}
			c0 := cpuTime()
			n := 0
			for b.Loop() {
				expandFuzzy(q, v)
				n++
			}
			// CPU time per expansion, which a loaded machine inflates
			// less than wall time.
			b.ReportMetric(float64(cpuTime()-c0)/float64(n), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user + system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
