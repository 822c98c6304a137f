package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ragline/ragline/internal/agent"
	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/eval"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/store"
	"github.com/ragline/ragline/internal/telemetry"
)

// evalFlags are the flags of `ragline eval`.
type evalFlags struct {
	dataset, data, target, baseline, gate, out, results, collection string
	concurrency, resamples, limit, depth                            int
	seed                                                            uint64
	ks                                                              string
	asJSON                                                          bool
}

func (a *app) evalCommand() *cobra.Command {
	var f evalFlags
	cmd := &cobra.Command{
		Use:   "eval --dataset SPEC [flags]",
		Short: "Evaluate retrieval and answers on a golden set, compare with a baseline report and apply a quality gate",
		Long: `SPEC is a ragline golden set (FILE.jsonl, its corpus named by a dataset.yaml beside it),
beir:DIR[:split], cranfield:DIR or cmrc:FILE[,FILE...].

Without --data or --target the corpus is ingested into a throwaway knowledge base
and evaluated in this process. --data evaluates an existing knowledge base (read-only);
--target http://host:port evaluates a running server through its API (/v1/invoke and
/v1/chat) with the API key in RAGLINE_API_KEY.

--baseline compares every metric with an earlier report.json: delta and a 95% paired
bootstrap confidence interval over questions, verdict improved, regressed or
"no significant change". --gate applies a gate file (min, max, max_regression per
metric). Reports go to --out (report.json, summary.md, junit.xml, report.html);
--results-dir writes passed, summary and report-digest for a pipeline step.

Exit status: 0 passed (or no gate), 1 the gate failed, 2 usage, configuration or data error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return a.runEval(cmd.Context(), f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dataset, "dataset", "", "dataset SPEC (golden FILE.jsonl, beir:DIR[:split], cranfield:DIR, cmrc:FILE[,FILE...])")
	fl.StringVar(&f.data, "data", "", "evaluate this existing knowledge base instead of ingesting the dataset's corpus")
	fl.StringVar(&f.target, "target", "", "evaluate the ragline server at this URL (API key from RAGLINE_API_KEY)")
	fl.StringVar(&f.baseline, "baseline", "", "report.json of the last release to compare with")
	fl.StringVar(&f.gate, "gate", "", "gate file (YAML)")
	fl.StringVar(&f.out, "out", "", "write report.json, summary.md, junit.xml and report.html into this folder")
	fl.StringVar(&f.results, "results-dir", "", "write passed, summary and report-digest into this folder (a Tekton results folder)")
	fl.StringVar(&f.collection, "collection", "", "collection to ask (default: the configuration's)")
	fl.IntVar(&f.concurrency, "concurrency", 0, "questions in flight (default: processors in-process, 4 with --target)")
	fl.IntVar(&f.resamples, "resamples", eval.DefaultResample, "bootstrap resamples for --baseline")
	fl.Uint64Var(&f.seed, "seed", eval.DefaultSeed, "bootstrap seed")
	fl.IntVar(&f.limit, "limit", 0, "use only the first N questions")
	fl.IntVar(&f.depth, "depth", 100, "documents retrieved per question for the retrieval metrics")
	fl.StringVar(&f.ks, "k", "1,5,10,100", "cut-offs of recall@k, precision@k and hit@k")
	fl.BoolVar(&f.asJSON, "json", false, "print report.json to stdout instead of the summary")
	return cmd
}

func parseKs(s string) ([]int, error) {
	var ks []int
	for _, p := range strings.Split(s, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || k < 1 {
			return nil, fmt.Errorf("--k: %q is not a positive integer", p)
		}
		ks = append(ks, k)
	}
	return ks, nil
}

func (a *app) runEval(ctx context.Context, f evalFlags) error {
	started := time.Now()
	if f.dataset == "" {
		return usageErr("eval: --dataset is required")
	}
	if f.target != "" && f.data != "" {
		return usageErr("eval: give --data or --target, not both")
	}
	ks, err := parseKs(f.ks)
	if err != nil {
		return usageErr("eval: %v", err)
	}
	if f.resamples < 100 {
		return usageErr("eval: --resamples must be at least 100")
	}
	defs := eval.Metrics(ks)
	// Read everything that can be wrong before the (long) run.
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	if f.collection != "" {
		cfg.Collection = f.collection
	}
	ds, err := eval.Open(f.dataset)
	if err != nil {
		return usageErr("eval: dataset: %v", err)
	}
	// The digest names the whole set; --limit shows as fewer question ids.
	dsDigest := eval.DatasetDigest(ds)
	if f.limit > 0 && len(ds.Queries) > f.limit {
		ds.Queries = ds.Queries[:f.limit]
	}
	an, err := kb.NewAnalyzer(cfg)
	if err != nil {
		return usageErr("eval: %v", err)
	}
	jd, err := evalJudge(cfg, an)
	if err != nil {
		return usageErr("eval: models.judge: %v", err)
	}
	var gate *eval.Gate
	if f.gate != "" {
		if gate, err = eval.LoadGate(f.gate, defs); err != nil {
			return usageErr("eval: gate:\n%v", err)
		}
	}
	var base *eval.Report
	if f.baseline != "" {
		if base, err = eval.ReadReport(f.baseline); err != nil {
			return usageErr("eval: baseline: %v", err)
		}
	}

	rep := &eval.Report{
		Format:  eval.ReportVersion,
		Version: Version,
		Dataset: eval.DatasetInfo{Spec: f.dataset, Name: ds.Name, Digest: dsDigest, Questions: len(ds.Queries)},
		Settings: eval.Settings{Ks: ks, Depth: f.depth, Resamples: f.resamples, Seed: f.seed,
			Concurrency: f.concurrency},
		Timing: eval.Timing{Started: started.UTC().Format(time.RFC3339)},
	}
	if jd != nil {
		rep.Judge = cfg.Models.Judge.Model
	}
	if base != nil {
		if err := eval.SameDataset(base.Dataset, rep.Dataset); err != nil {
			return usageErr("eval: baseline %s: %v", f.baseline, err)
		}
	}

	sys, closeSys, err := a.evalSystem(ctx, f, cfg, ds, rep)
	if err != nil {
		return err
	}
	defer closeSys()
	if rep.Settings.Concurrency < 1 {
		rep.Settings.Concurrency = runtime.GOMAXPROCS(0)
		if f.target != "" {
			rep.Settings.Concurrency = 4
		}
	}
	fmt.Fprintf(a.stderr, "eval: %s: %d questions against %s\n", ds.Name, len(ds.Queries), rep.Target)
	bar := newCounter(a.stderr, "eval", len(ds.Queries), "questions")
	recs, err := eval.Run(ctx, ds, sys, eval.RunOptions{
		Collection: f.collection, Concurrency: rep.Settings.Concurrency, Depth: f.depth, Ks: ks, Judge: jd,
		Progress: func(done, total int) { bar.Add(1) },
	})
	bar.Finish()
	if err != nil {
		return failErr(err)
	}
	rep.Questions = recs
	if failed := rep.Failing(); len(failed) == len(recs) && len(recs) > 0 {
		return usageErr("eval: every question failed; the first: %s: %s", failed[0].ID, failed[0].Error)
	}
	rep.Summarize(defs)

	var cmps map[string]map[string]eval.Comparison
	if base != nil {
		opt := eval.BootstrapOptions{Resamples: f.resamples, Seed: f.seed}
		overall, err := eval.Compare(defs, base, rep, opt)
		if err != nil {
			return usageErr("eval: baseline %s: %v", f.baseline, err)
		}
		rep.Comparison = &eval.ComparisonSection{BaselineVersion: base.Version, BaselineKBDigest: base.KBDigest,
			BaselineConfig: base.ConfigDigest, Metrics: overall}
		cmps = map[string]map[string]eval.Comparison{"": overall}
		if gate != nil {
			for _, r := range gate.Rules {
				if r.Tag == "" || r.MaxRegression == nil || cmps[r.Tag] != nil {
					continue
				}
				cmps[r.Tag], _ = eval.Compare(defs, eval.OnlyTag(base, r.Tag, defs), eval.OnlyTag(rep, r.Tag, defs), opt)
			}
		}
	}
	if gate != nil {
		res := gate.Evaluate(rep, cmps, defs)
		rep.Gate = &res
	}
	rep.Timing.DurationSeconds = float64(time.Since(started).Milliseconds()) / 1000

	js, err := eval.MarshalReport(rep)
	if err != nil {
		return failErr(err)
	}
	digest := eval.Digest(js)
	if f.out != "" {
		if digest, err = eval.WriteReports(f.out, rep, defs); err != nil {
			return failErr(fmt.Errorf("eval: write reports: %w", err))
		}
	}
	if f.results != "" {
		if err := eval.WriteResults(f.results, rep, digest); err != nil {
			return failErr(fmt.Errorf("eval: write results: %w", err))
		}
	}
	if f.asJSON {
		_, _ = a.stdout.Write(js)
	} else {
		fmt.Fprint(a.stdout, eval.Markdown(rep, defs))
	}
	if rep.Gate != nil && !rep.Gate.Passed {
		var b strings.Builder
		b.WriteString("eval: gate failed:")
		for _, c := range rep.Gate.Failed() {
			b.WriteString("\n  " + c.Message)
		}
		return failErr(errors.New(b.String()))
	}
	return nil
}

// evalSystem opens what is evaluated: a server (--target), an existing
// knowledge base (--data) or a throwaway one holding the dataset's corpus.
func (a *app) evalSystem(ctx context.Context, f evalFlags, cfg *config.Config, ds *eval.Dataset, rep *eval.Report) (eval.System, func(), error) {
	if f.target != "" {
		u, err := url.Parse(f.target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, usageErr("eval: --target %q: want http://host:port", f.target)
		}
		rm := &eval.Remote{BaseURL: f.target, APIKey: os.Getenv("RAGLINE_API_KEY")}
		info, err := rm.Info(ctx)
		if err != nil {
			return nil, nil, usageErr("eval: --target: %v", err)
		}
		rep.Target, rep.KBDigest, rep.ConfigDigest = f.target, info.KBDigest, info.ConfigDigest
		rep.Collection = f.collection
		return rm, func() {}, nil
	}
	rep.Target = "in-process"
	rep.ConfigDigest = cfg.Digest()
	rep.Collection = cfg.Collection
	var k *kb.KB
	cleanup := func() {}
	if f.data != "" {
		var err error
		if k, err = kb.Open(ctx, cfg, f.data, true); err != nil {
			if errors.Is(err, store.ErrSettingsMismatch) {
				return nil, nil, usageErr("eval: %v", err)
			}
			return nil, nil, usageErr("eval: --data: %v", err)
		}
	} else {
		if len(ds.Corpus) == 0 && len(ds.CorpusPaths) == 0 {
			return nil, nil, usageErr("eval: dataset %s names no corpus: give --data DIR, --target URL, or a corpus in its dataset.yaml", ds.Name)
		}
		dir, err := os.MkdirTemp("", "ragline-eval-")
		if err != nil {
			return nil, nil, failErr(err)
		}
		if k, err = kb.Open(ctx, cfg, dir, false); err != nil {
			os.RemoveAll(dir)
			return nil, nil, failErr(err)
		}
		cleanup = func() { os.RemoveAll(dir) }
		t0 := time.Now()
		if len(ds.CorpusPaths) > 0 {
			p := newProgress(a.stderr)
			r, err := k.Ingest(ctx, cfg.Collection, ds.CorpusPaths, p)
			p.finish(r)
			if err == nil && r.Failed > 0 {
				for _, fr := range r.Results {
					if fr.Err != nil {
						err = fmt.Errorf("corpus file %s: %v", fr.Path, fr.Err)
						break
					}
				}
			}
			if err != nil {
				k.Close()
				cleanup()
				return nil, nil, usageErr("eval: %v", err)
			}
		} else {
			docs := make([]schema.Document, len(ds.Corpus))
			for i, d := range ds.Corpus {
				docs[i] = asDocument(d)
			}
			if err := k.PutDocuments(ctx, cfg.Collection, docs); err != nil {
				k.Close()
				cleanup()
				return nil, nil, failErr(err)
			}
		}
		fmt.Fprintf(a.stderr, "eval: corpus indexed in %.1fs\n", time.Since(t0).Seconds())
	}
	d, err := k.Digest(ctx)
	if err != nil {
		k.Close()
		cleanup()
		return nil, nil, failErr(err)
	}
	rep.KBDigest = d
	// Questions go through the same agent as in production, so routing
	// rules, tools and models are evaluated too.
	parts, err := buildAgent(ctx, k, cfg, telemetry.NewLogger(a.stderr, slog.LevelWarn), nil)
	if err != nil {
		k.Close()
		cleanup()
		return nil, nil, err
	}
	coll := cfg.Collection
	sys := eval.Local{
		RetrieveFunc: k.Retrieve,
		AnswerFunc: func(ctx context.Context, collection, question string) (schema.Response, error) {
			if collection == "" {
				collection = coll
			}
			return parts.agent.Run(ctx, agent.Request{Collection: collection, Question: question})
		},
	}
	return sys, func() { parts.Close(); k.Close(); cleanup() }, nil
}
