package eval

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ragline/ragline/internal/schema"
)

// Retrieved is one retrieved document with its score.
type Retrieved struct {
	ID    string  `json:"id"`
	Score float64 `json:"score"`
}

// System is what an evaluation runs against: the knowledge base in this
// process or a running server. Implementations are safe for concurrent
// use.
type System interface {
	// Retrieve returns up to depth documents for a question, best first,
	// each named by its key (the dataset's id, or the ingested path).
	Retrieve(ctx context.Context, collection, question string, depth int) ([]Retrieved, error)
	// Answer answers a question as the production path does.
	Answer(ctx context.Context, collection, question string) (schema.Response, error)
}

// RunOptions configure a run.
type RunOptions struct {
	// Collection is asked (empty: the system's default).
	Collection string
	// Concurrency is the number of questions in flight (default 4).
	Concurrency int
	// Depth is the number of documents retrieved per question for the
	// retrieval metrics (default 100).
	Depth int
	// Ks are the cut-offs of recall@k, precision@k and hit@k (default 1,
	// 5, 10, 100).
	Ks []int
	// Progress, when set, is called after each question with the number
	// done so far.
	Progress func(done, total int)
	// Judge, when set, scores every answered question's faithfulness and
	// answer relevancy with a judge model.
	Judge Judge
}

// ErrNotScored is returned by a Judge that cannot score a question (no
// embedder for answer relevancy, no statement in the answer); the metric
// then skips the question without an error.
var ErrNotScored = errors.New("not scored")

// Judge scores answers with a judge model (models.judge), following the
// Ragas definitions. Implementations are safe for concurrent use.
type Judge interface {
	// Faithfulness is the share of the answer's statements the contexts
	// support; tokens is what the judge spent.
	Faithfulness(ctx context.Context, question, answer string, contexts []string) (score float64, tokens int, err error)
	// AnswerRelevancy is how directly the answer addresses the question.
	AnswerRelevancy(ctx context.Context, question, answer string) (score float64, tokens int, err error)
}

// DefaultKs are the default cut-offs of the @k metrics.
var DefaultKs = []int{1, 5, 10, 100}

// Record is the outcome of one question.
type Record struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Tags     []string `json:"tags,omitempty"`
	// Retrieved are the documents retrieved for the retrieval metrics.
	Retrieved []Retrieved       `json:"retrieved"`
	Answer    string            `json:"answer"`
	NoAnswer  bool              `json:"no_answer"`
	Citations []schema.Citation `json:"citations"`
	// LatencyMS is the time to answer (timing: differs between runs).
	LatencyMS float64 `json:"latency_ms"`
	Tokens    int     `json:"tokens"`
	// Metrics are this question's values of the metrics that apply to it.
	Metrics map[string]float64 `json:"metrics"`
	// Expected are the reference answers; ExpectNoAnswer is set when the
	// dataset says the corpus does not answer the question.
	Expected       []string `json:"expected,omitempty"`
	ExpectNoAnswer bool     `json:"expect_no_answer,omitempty"`
	// Error is set when the system failed on this question.
	Error string `json:"error,omitempty"`
	// JudgeError is set when the judge model failed on this question; the
	// judge metrics then skip it.
	JudgeError string `json:"judge_error,omitempty"`
}

// Run asks every question of ds and scores the answers. A failure of the
// system on one question is recorded on that question (and counted in
// error_rate); only cancellation stops the run.
func Run(ctx context.Context, ds *Dataset, sys System, opt RunOptions) ([]Record, error) {
	if opt.Concurrency < 1 {
		opt.Concurrency = 4
	}
	if opt.Depth < 1 {
		opt.Depth = 100
	}
	if len(opt.Ks) == 0 {
		opt.Ks = DefaultKs
	}
	recs := make([]Record, len(ds.Queries))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < min(opt.Concurrency, len(ds.Queries)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				recs[i] = runQuery(ctx, ds.Queries[i], sys, opt)
				if opt.Progress != nil {
					mu.Lock()
					done++
					opt.Progress(done, len(recs))
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for i := range ds.Queries {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return recs, nil
}

func runQuery(ctx context.Context, q Query, sys System, opt RunOptions) Record {
	rec := Record{ID: q.ID, Question: q.Text, Tags: q.Tags, Retrieved: []Retrieved{}, Citations: []schema.Citation{}, Metrics: map[string]float64{},
		Expected: q.Answers, ExpectNoAnswer: len(q.Answers) == 0 && len(q.Relevant) == 0 && len(q.Passages) == 0}
	var errs []string
	if len(q.Relevant) > 0 {
		got, err := sys.Retrieve(ctx, opt.Collection, q.Text, opt.Depth)
		if err != nil {
			errs = append(errs, fmt.Sprintf("retrieve: %v", err))
		} else {
			rec.Retrieved = got
		}
	}
	t := time.Now()
	resp, err := sys.Answer(ctx, opt.Collection, q.Text)
	if err != nil {
		errs = append(errs, fmt.Sprintf("answer: %v", err))
	} else {
		rec.LatencyMS = float64(time.Since(t).Microseconds()) / 1000
		rec.Answer, rec.NoAnswer = resp.Answer, resp.NoAnswer
		if resp.Citations != nil {
			rec.Citations = resp.Citations
		}
		if resp.Usage != nil {
			rec.Tokens = resp.Usage.TotalTokens
		}
	}
	if len(errs) > 0 {
		rec.Error = errs[0]
		if len(errs) > 1 {
			rec.Error += "; " + errs[1]
		}
	}
	scoreRecord(&rec, q, opt.Ks, err == nil)
	if opt.Judge != nil && err == nil {
		judgeRecord(ctx, &rec, opt.Judge)
	}
	return rec
}

// judgeRecord adds the judge metrics of an answered question: faithfulness
// against the passages the answer cites, and answer relevancy.
func judgeRecord(ctx context.Context, rec *Record, j Judge) {
	answer := StripCitations(rec.Answer)
	if rec.NoAnswer || answer == "" {
		return
	}
	contexts := make([]string, 0, len(rec.Citations))
	for _, c := range rec.Citations {
		contexts = append(contexts, c.Text)
	}
	tokens := 0
	var errs []string
	if len(contexts) > 0 {
		f, n, err := j.Faithfulness(ctx, rec.Question, answer, contexts)
		tokens += n
		switch {
		case errors.Is(err, ErrNotScored):
		case err != nil:
			errs = append(errs, "faithfulness: "+err.Error())
		default:
			rec.Metrics["faithfulness"] = f
		}
	}
	r, n, err := j.AnswerRelevancy(ctx, rec.Question, answer)
	tokens += n
	switch {
	case errors.Is(err, ErrNotScored):
	case err != nil:
		errs = append(errs, "answer_relevancy: "+err.Error())
	default:
		rec.Metrics["answer_relevancy"] = r
	}
	rec.Metrics["judge_tokens"] = float64(tokens)
	rec.JudgeError = strings.Join(errs, "; ")
}

// scoreRecord fills a record's per-question metric values: only those
// that apply to the question (retrieval metrics need judged documents,
// answer metrics reference answers, groundedness an answer).
func scoreRecord(rec *Record, q Query, ks []int, answered bool) {
	m := rec.Metrics
	m["error"] = b2f(rec.Error != "")
	if len(q.Relevant) > 0 {
		ranked := make([]string, len(rec.Retrieved))
		for i, r := range rec.Retrieved {
			ranked[i] = r.ID
			// A judged "a.md" names the ingested key "docs/a.md".
			if b := baseName(r.ID); q.Relevant[r.ID] == 0 && q.Relevant[b] > 0 {
				ranked[i] = b
			}
		}
		for _, k := range ks {
			m[fmt.Sprintf("recall@%d", k)] = RecallAt(ranked, q.Relevant, k)
			m[fmt.Sprintf("precision@%d", k)] = PrecisionAt(ranked, q.Relevant, k)
			m[fmt.Sprintf("hit@%d", k)] = HitAt(ranked, q.Relevant, k)
		}
		m["mrr@10"] = MRR(ranked, q.Relevant, 10)
		m["ndcg@10"] = NDCG(ranked, q.Relevant, 10)
	}
	if !answered {
		if len(q.Answers) > 0 {
			m["exact_match"], m["f1"], m["answer_contains"] = 0, 0, 0
		}
		return
	}
	m["latency_ms"] = rec.LatencyMS
	m["tokens"] = float64(rec.Tokens)
	m["no_answer"] = b2f(rec.NoAnswer)
	plain := StripCitations(rec.Answer)
	if len(q.Answers) > 0 {
		if rec.NoAnswer {
			plain = ""
		}
		m["exact_match"] = ExactMatch(plain, q.Answers)
		m["f1"] = F1(plain, q.Answers)
		m["answer_contains"] = AnswerContains(plain, q.Answers)
	}
	j := Judgement{Relevant: q.Relevant, Passages: q.Passages}
	if v, ok := CitationPrecision(rec.Citations, j); ok {
		m["citation_precision"] = v
	}
	if v, ok := CitationRecall(rec.Citations, j); ok {
		m["citation_recall"] = v
	}
	if !rec.NoAnswer {
		if v, ok := Groundedness(rec.Answer, rec.Citations); ok {
			m["groundedness"] = v
		}
	}
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// MetricDef defines one reported metric: which per-question value it
// aggregates, how, and which direction is better.
type MetricDef struct {
	Name string
	// Source is the per-question value aggregated.
	Source string
	// Agg aggregates the values of the questions the metric applies to.
	Agg func([]float64) float64
	// LowerIsBetter marks latency, cost, error and refusal metrics.
	LowerIsBetter bool
	// Timing marks metrics that measure time and so differ between runs.
	Timing bool
}

// Metrics returns the definitions of every reported metric for the
// cut-offs ks, in report order.
func Metrics(ks []int) []MetricDef {
	if len(ks) == 0 {
		ks = DefaultKs
	}
	var out []MetricDef
	same := func(name string) MetricDef { return MetricDef{Name: name, Source: name, Agg: Mean} }
	for _, fam := range []string{"recall", "precision", "hit"} {
		for _, k := range ks {
			out = append(out, same(fmt.Sprintf("%s@%d", fam, k)))
		}
	}
	out = append(out, same("mrr@10"), same("ndcg@10"),
		same("exact_match"), same("f1"), same("answer_contains"),
		same("citation_precision"), same("citation_recall"), same("groundedness"),
		MetricDef{Name: "no_answer_rate", Source: "no_answer", Agg: Mean, LowerIsBetter: true},
		MetricDef{Name: "error_rate", Source: "error", Agg: Mean, LowerIsBetter: true},
	)
	for _, p := range []float64{50, 95, 99} {
		p := p
		out = append(out, MetricDef{Name: fmt.Sprintf("latency_p%d_ms", int(p)), Source: "latency_ms", LowerIsBetter: true, Timing: true,
			Agg: func(v []float64) float64 { return Percentile(v, p) }})
	}
	out = append(out, MetricDef{Name: "tokens_total", Source: "tokens", Agg: Sum, LowerIsBetter: true},
		// With a judge model (models.judge) only.
		same("faithfulness"), same("answer_relevancy"),
		MetricDef{Name: "judge_tokens_total", Source: "judge_tokens", Agg: Sum, LowerIsBetter: true})
	return out
}

// Sum adds values.
func Sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

// Aggregate computes every metric over recs (the questions each applies
// to); metrics that apply to no question are absent.
func Aggregate(defs []MetricDef, recs []Record) map[string]float64 {
	out := make(map[string]float64, len(defs))
	for _, d := range defs {
		var vals []float64
		for i := range recs {
			if v, ok := recs[i].Metrics[d.Source]; ok {
				vals = append(vals, v)
			}
		}
		if len(vals) > 0 {
			out[d.Name] = roundMetric(d.Agg(vals))
		}
	}
	return out
}

// roundMetric keeps six decimals, so reports are stable across platforms'
// last-bit differences in summation order.
func roundMetric(f float64) float64 {
	const p = 1e6
	if f >= 0 {
		return float64(int64(f*p+0.5)) / p
	}
	return -float64(int64(-f*p+0.5)) / p
}
