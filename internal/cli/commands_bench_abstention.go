package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"github.com/spf13/cobra"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/eval"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/schema"
)

// AbstentionBench is the JSON printed by `ragline bench abstention --json`.
type AbstentionBench struct {
	Dataset string `json:"dataset"`
	// Queries is the number of sampled questions.
	Queries int `json:"queries"`
	// Removed is the number of gold documents left out of the reduced corpus.
	Removed int `json:"removed"`
	// Threshold is the configured generator.min_score.
	Threshold float64 `json:"threshold"`
	// At is the row of Curve at the configured threshold.
	At AbstentionPoint `json:"at_threshold"`
	// Curve has one row per threshold, from 0 to 1 in steps of 0.05.
	Curve []AbstentionPoint `json:"curve"`
}

// AbstentionPoint is the abstention trade-off at one threshold.
type AbstentionPoint struct {
	Threshold float64 `json:"threshold"`
	// AnswerRate is the share of questions answered on the intact corpus.
	AnswerRate float64 `json:"answer_rate"`
	// AnswerContains is the share of questions (with reference answers)
	// whose answer on the intact corpus contains a reference answer.
	AnswerContains *float64 `json:"answer_contains,omitempty"`
	// Abstention is the share of questions answered "no answer" once their
	// gold documents are removed from the corpus.
	Abstention float64 `json:"abstention"`
}

// abstentionRun is one question's outcome on one corpus.
type abstentionRun struct {
	score    float64 // the generator's decision score
	answered bool    // answered at threshold 0
	contains float64 // answer contains a reference answer (at threshold 0)
}

func (a *app) benchAbstentionCommand() *cobra.Command {
	var spec, parity string
	var asJSON bool
	var sample int
	var seed uint64
	cmd := &cobra.Command{
		Use:   "abstention --dataset SPEC",
		Short: "Leave-gold-out abstention: answer rate on the intact corpus and \"no answer\" rate with each question's gold documents removed, over the threshold",
		Long: `A sample of the dataset's questions is asked twice through the knowledge base:
on the whole corpus, and on the corpus without the sampled questions' gold
documents, where the right reply is "no answer". The generator records its
decision score for every question, so one pass per corpus gives the whole curve
over generator.min_score. --parity even|odd keeps only the questions at even or
odd positions of the dataset, so a threshold tuned on one half can be reported
on the other.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if spec == "" {
				return usageErr("bench abstention: --dataset is required")
			}
			if parity != "" && parity != "even" && parity != "odd" {
				return usageErr("bench abstention: --parity: want even or odd, got %q", parity)
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			ds, err := eval.Open(spec)
			if err != nil {
				return usageErr("bench abstention: %v", err)
			}
			ds.Queries = sampleQueries(ds.Queries, parity, sample, seed)
			if len(ds.Queries) == 0 {
				return usageErr("bench abstention: no questions with relevant documents in the sample")
			}
			res, err := runAbstentionBench(cmd.Context(), cfg, ds, a.stderr)
			if err != nil {
				return failErr(err)
			}
			if asJSON {
				return json.NewEncoder(a.stdout).Encode(res)
			}
			printAbstention(a.stdout, res)
			return nil
		},
	}
	cmd.Flags().StringVar(&spec, "dataset", "", "dataset SPEC (beir:DIR[:split] or cmrc:FILE[,FILE...])")
	cmd.Flags().StringVar(&parity, "parity", "", "only questions at even or odd positions")
	cmd.Flags().IntVar(&sample, "sample", 300, "questions sampled (0: all)")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "sampling seed")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

// sampleQueries keeps the questions with relevant documents, of one
// parity when asked, and a seeded sample of n of them in dataset order.
func sampleQueries(qs []eval.Query, parity string, n int, seed uint64) []eval.Query {
	var pool []eval.Query
	for i, q := range qs {
		if len(q.Relevant) == 0 || (parity == "even" && i%2 != 0) || (parity == "odd" && i%2 != 1) {
			continue
		}
		pool = append(pool, q)
	}
	if n <= 0 || n >= len(pool) {
		return pool
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	keep := r.Perm(len(pool))[:n]
	picked := make([]bool, len(pool))
	for _, i := range keep {
		picked[i] = true
	}
	out := make([]eval.Query, 0, n)
	for i, q := range pool {
		if picked[i] {
			out = append(out, q)
		}
	}
	return out
}

func runAbstentionBench(ctx context.Context, cfg *config.Config, ds *eval.Dataset, log io.Writer) (AbstentionBench, error) {
	res := AbstentionBench{Dataset: ds.Name, Queries: len(ds.Queries), Threshold: cfg.Generator.MinScore}
	gold := map[string]bool{}
	for _, q := range ds.Queries {
		for id := range q.Relevant {
			gold[id] = true
		}
	}
	var reduced []schema.Document
	for _, d := range ds.Corpus {
		if !gold[d.Key] {
			reduced = append(reduced, d)
		}
	}
	res.Removed = len(ds.Corpus) - len(reduced)
	// Every question is answered at threshold 0; the decision score says
	// where it would have abstained.
	run := *cfg
	run.Generator.MinScore = 0
	intact, err := askAll(ctx, &run, ds.Corpus, ds.Queries, log, "intact")
	if err != nil {
		return res, err
	}
	without, err := askAll(ctx, &run, reduced, ds.Queries, log, "gold removed")
	if err != nil {
		return res, err
	}
	hasAnswers := false
	for _, q := range ds.Queries {
		if len(q.Answers) > 0 {
			hasAnswers = true
		}
	}
	for i := 0; i <= 20; i++ {
		t := float64(i) / 20
		p := abstentionPoint(t, intact, without, ds.Queries, hasAnswers)
		res.Curve = append(res.Curve, p)
	}
	res.At = abstentionPoint(cfg.Generator.MinScore, intact, without, ds.Queries, hasAnswers)
	return res, nil
}

func abstentionPoint(t float64, intact, without []abstentionRun, qs []eval.Query, hasAnswers bool) AbstentionPoint {
	var ans, abst, cont, withRefs float64
	for i := range intact {
		if intact[i].answered && intact[i].score >= t {
			ans++
			cont += intact[i].contains
		}
		if !without[i].answered || without[i].score < t {
			abst++
		}
		if len(qs[i].Answers) > 0 {
			withRefs++
		}
	}
	n := float64(len(intact))
	p := AbstentionPoint{Threshold: t, AnswerRate: round(ans/n, 4), Abstention: round(abst/n, 4)}
	if hasAnswers && withRefs > 0 {
		c := round(cont/withRefs, 4)
		p.AnswerContains = &c
	}
	return p
}

// askAll indexes docs into a throwaway knowledge base and asks every
// question, keeping the generator's decision.
func askAll(ctx context.Context, cfg *config.Config, docs []schema.Document, qs []eval.Query, log io.Writer, label string) ([]abstentionRun, error) {
	dir, err := os.MkdirTemp("", "ragline-abstain-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	k, err := kb.Open(ctx, cfg, dir, false)
	if err != nil {
		return nil, err
	}
	defer k.Close()
	in := make([]schema.Document, len(docs))
	for i, d := range docs {
		in[i] = asDocument(d)
	}
	if err := k.PutDocuments(ctx, cfg.Collection, in); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "bench: %s corpus: %d documents\n", label, len(in))
	out := make([]abstentionRun, len(qs))
	for i, q := range qs {
		resp, err := k.Ask(ctx, cfg.Collection, q.Text, nil)
		if err != nil {
			return nil, fmt.Errorf("question %s: %w", q.ID, err)
		}
		r := abstentionRun{answered: !resp.NoAnswer, score: decisionScore(resp)}
		if r.answered {
			r.contains = eval.AnswerContains(resp.Answer, q.Answers)
		}
		out[i] = r
	}
	return out, nil
}

// decisionScore is the answer decision's score from the generate step of
// the trace.
func decisionScore(resp schema.Response) float64 {
	for _, s := range resp.Trace {
		if s.Step != "generate" {
			continue
		}
		if v, ok := s.Detail["score"].(float64); ok {
			return v
		}
	}
	return 0
}

func printAbstention(w io.Writer, res AbstentionBench) {
	fmt.Fprintf(w, "%s: %d questions, %d gold documents removed, threshold %.2f\n\n", res.Dataset, res.Queries, res.Removed, res.Threshold)
	fmt.Fprintln(w, "| threshold | answer rate (intact) | answer_contains (intact) | abstention (gold removed) |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|")
	for i, p := range append(res.Curve, res.At) {
		c := "–"
		if p.AnswerContains != nil {
			c = fmt.Sprintf("%.3f", *p.AnswerContains)
		}
		mark := ""
		if i == len(res.Curve) {
			mark = " (configured)"
		}
		fmt.Fprintf(w, "| %.2f%s | %.3f | %s | %.3f |\n", p.Threshold, mark, p.AnswerRate, c, p.Abstention)
	}
}
