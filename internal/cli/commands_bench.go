package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/eval"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/search"
)

func (a *app) benchCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure retrieval quality and speed on public datasets"}
	cmd.AddCommand(a.benchRetrievalCommand(), a.benchHTTPCommand(), a.benchLiveCommand(), a.benchAbstentionCommand())
	return cmd
}

// RetrievalBench is the JSON printed by `ragline bench retrieval --json`.
type RetrievalBench struct {
	Dataset       string  `json:"dataset"`
	Documents     int     `json:"documents"`
	Chunks        int     `json:"chunks"`
	Queries       int     `json:"queries"`
	NDCG10        float64 `json:"ndcg@10"`
	Recall5       float64 `json:"recall@5"`
	Recall10      float64 `json:"recall@10"`
	Recall100     float64 `json:"recall@100"`
	MRR10         float64 `json:"mrr@10"`
	P50MS         float64 `json:"p50_ms"`
	P99MS         float64 `json:"p99_ms"`
	IngestSeconds float64 `json:"ingest_seconds"`
	IngestMBps    float64 `json:"ingest_mb_per_s"`
	KBDigest      string  `json:"kb_digest"`
	ConfigDigest  string  `json:"config_digest"`
	Analyzer      string  `json:"analyzer"`
	GoMaxProcs    int     `json:"gomaxprocs"`
	// Baseline compares nDCG@10 with a --baseline per-query file.
	Baseline *eval.Comparison `json:"baseline,omitempty"`

	// perQuery holds each query's nDCG@10 in dataset order.
	perQuery []QueryScore
}

// QueryScore is one line of the --per-query file: a query's id and its
// nDCG@10, so two runs can be compared question by question.
type QueryScore struct {
	ID     string  `json:"id"`
	NDCG10 float64 `json:"ndcg@10"`
}

func (a *app) benchRetrievalCommand() *cobra.Command {
	var spec, split, perQuery, baseline string
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "retrieval --dataset SPEC",
		Short: "Build a throwaway knowledge base from a dataset's corpus, run its queries and report nDCG@10, recall, MRR and latency",
		Long: `SPEC is beir:DIR[:split] (default split test), cranfield:DIR, or cmrc:FILE[,FILE...]
(passages of every file are the corpus, questions of the first file the queries).
p50_ms and p99_ms are the latency of one top-10 retrieval, measured in-process.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if spec == "" {
				return usageErr("bench retrieval: --dataset is required")
			}
			if split != "" {
				spec = withSplit(spec, split)
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			ds, err := eval.Open(spec)
			if err != nil {
				return usageErr("bench retrieval: %v", err)
			}
			if limit > 0 && len(ds.Queries) > limit {
				ds.Queries = ds.Queries[:limit]
			}
			var base []QueryScore
			if baseline != "" {
				if base, err = readQueryScores(baseline); err != nil {
					return usageErr("bench retrieval: --baseline: %v", err)
				}
			}
			res, err := runRetrievalBench(cmd.Context(), cfg, ds, a.stderr)
			if err != nil {
				return failErr(err)
			}
			if perQuery != "" {
				if err := writeQueryScores(perQuery, res.perQuery); err != nil {
					return failErr(err)
				}
			}
			if base != nil {
				if res.Baseline, err = compareQueryScores(base, res.perQuery); err != nil {
					return usageErr("bench retrieval: --baseline %s: %v", baseline, err)
				}
			}
			if asJSON {
				return json.NewEncoder(a.stdout).Encode(res)
			}
			fmt.Fprintf(a.stdout, "%s: %d docs, %d queries\nnDCG@10 %.4f  recall@100 %.4f  MRR@10 %.4f  p50 %.2f ms  p99 %.2f ms  ingest %.1f MB/s\n",
				res.Dataset, res.Documents, res.Queries, res.NDCG10, res.Recall100, res.MRR10, res.P50MS, res.P99MS, res.IngestMBps)
			if c := res.Baseline; c != nil {
				fmt.Fprintf(a.stdout, "nDCG@10 vs baseline %.4f → %.4f: delta %+.4f, 95%% CI [%+.4f, %+.4f] over %d queries: %s\n",
					c.Baseline, c.Candidate, c.Delta, c.CILow, c.CIHigh, c.Questions, c.Verdict)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&spec, "dataset", "", "dataset SPEC")
	cmd.Flags().StringVar(&split, "split", "", "BEIR split (overrides the one in SPEC)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().IntVar(&limit, "limit", 0, "use only the first N queries")
	cmd.Flags().StringVar(&perQuery, "per-query", "", "write each query's id and nDCG@10 to this file (JSON lines)")
	cmd.Flags().StringVar(&baseline, "baseline", "", "compare nDCG@10 with a --per-query file of an earlier run (paired bootstrap)")
	return cmd
}

func withSplit(spec, split string) string {
	if len(spec) > 5 && spec[:5] == "beir:" {
		rest := spec[5:]
		// beir:DIR[:split] — replace or add the split.
		if i := lastColon(rest); i > 0 {
			if _, err := os.Stat(rest); err != nil {
				rest = rest[:i]
			}
		}
		return "beir:" + rest + ":" + split
	}
	return spec
}

func lastColon(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ':' {
			return i
		}
	}
	return -1
}

// AsDocument turns a dataset record into a document with its title as a
// heading block, as the BEIR JSONL loader does for files.
func asDocument(d schema.Document) schema.Document {
	if d.Title == "" {
		return d
	}
	text := d.Title + "\n\n" + d.Text
	d.Blocks = []schema.Block{
		{Kind: schema.BlockHeading, Start: 0, End: len(d.Title), Headings: []string{d.Title}, Level: 1},
		{Kind: schema.BlockParagraph, Start: len(d.Title) + 2, End: len(text), Headings: []string{d.Title}},
	}
	if d.Text == "" {
		d.Blocks = d.Blocks[:1]
	}
	d.Text = text
	return d
}

func runRetrievalBench(ctx context.Context, cfg *config.Config, ds *eval.Dataset, log io.Writer) (RetrievalBench, error) {
	dir, err := os.MkdirTemp("", "ragline-bench-")
	if err != nil {
		return RetrievalBench{}, err
	}
	defer os.RemoveAll(dir)
	k, err := kb.Open(ctx, cfg, dir, false)
	if err != nil {
		return RetrievalBench{}, err
	}
	defer k.Close()

	docs := make([]schema.Document, len(ds.Corpus))
	var bytes int64
	for i, d := range ds.Corpus {
		docs[i] = asDocument(d)
		bytes += int64(len(docs[i].Text))
	}
	fmt.Fprintf(log, "bench: indexing %d documents (%.1f MB of text)\n", len(docs), float64(bytes)/1e6)
	t0 := time.Now()
	if err := k.PutDocuments(ctx, cfg.Collection, docs); err != nil {
		return RetrievalBench{}, err
	}
	ingest := time.Since(t0).Seconds()
	fmt.Fprintf(log, "bench: %d documents (%.1f MB of text) indexed in %.1fs\n", len(docs), float64(bytes)/1e6, ingest)

	res := RetrievalBench{
		Dataset:       ds.Name,
		Documents:     len(docs),
		Queries:       len(ds.Queries),
		IngestSeconds: round(ingest, 3),
		IngestMBps:    round(float64(bytes)/1e6/ingest, 2),
		Analyzer:      k.Analyzer().Version(),
		ConfigDigest:  cfg.Digest(),
		GoMaxProcs:    runtime.GOMAXPROCS(0),
	}
	if res.KBDigest, err = k.Digest(ctx); err != nil {
		return res, err
	}
	infos, err := k.Store().Documents(ctx, cfg.Collection)
	if err != nil {
		return res, err
	}
	for _, d := range infos {
		res.Chunks += d.Chunks
	}

	// Quality: rank documents from a deep chunk list.
	depth := 100
	var ndcg, r5, r10, r100, mrr []float64
	bar := newCounter(log, "bench retrieval", 3*len(ds.Queries), "queries")
	defer bar.Finish()
	for _, q := range ds.Queries {
		bar.Add(1)
		r, err := k.Retrieve(ctx, cfg.Collection, q.Text, depth*3)
		if err != nil {
			return res, err
		}
		ranked := search.RankDocuments(r.Hits)
		if len(ranked) > depth {
			ranked = ranked[:depth]
		}
		ndcg = append(ndcg, eval.NDCG(ranked, q.Relevant, 10))
		res.perQuery = append(res.perQuery, QueryScore{ID: q.ID, NDCG10: ndcg[len(ndcg)-1]})
		r5 = append(r5, eval.RecallAt(ranked, q.Relevant, 5))
		r10 = append(r10, eval.RecallAt(ranked, q.Relevant, 10))
		r100 = append(r100, eval.RecallAt(ranked, q.Relevant, 100))
		mrr = append(mrr, eval.MRR(ranked, q.Relevant, 10))
	}
	res.NDCG10 = round(eval.Mean(ndcg), 4)
	res.Recall5 = round(eval.Mean(r5), 4)
	res.Recall10 = round(eval.Mean(r10), 4)
	res.Recall100 = round(eval.Mean(r100), 4)
	res.MRR10 = round(eval.Mean(mrr), 4)

	// Speed: one top-10 retrieval per query, after one warm-up pass.
	lat := make([]float64, 0, len(ds.Queries))
	for pass := 0; pass < 2; pass++ {
		for _, q := range ds.Queries {
			bar.Add(1)
			t := time.Now()
			if _, err := k.Retrieve(ctx, cfg.Collection, q.Text, 10); err != nil {
				return res, err
			}
			if pass == 1 {
				lat = append(lat, float64(time.Since(t).Microseconds())/1000)
			}
		}
	}
	res.P50MS, res.P99MS = p50p99(lat)
	return res, nil
}

// p50p99 returns the median and 99th percentile of latencies in
// milliseconds, rounded to the microsecond as benchmarks report them.
func p50p99(ms []float64) (p50, p99 float64) {
	return round(eval.Percentile(ms, 50), 3), round(eval.Percentile(ms, 99), 3)
}

func round(f float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(f*p) / p
}
