package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/eval"
	"github.com/ragline/ragline/internal/model/modeltest"
)

const (
	quickstartGolden = "../../examples/quickstart/golden.jsonl"
	quickstartGate   = "../../examples/quickstart/gate.yaml"
)

func readReport(t *testing.T, dir string) *eval.Report {
	t.Helper()
	r, err := eval.ReadReport(filepath.Join(dir, eval.ReportJSON))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ragline.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEvalQuickstartGate runs the quick-start golden set through its gate
// as CI does: it passes, writes every report and the pipeline results.
func TestEvalQuickstartGate(t *testing.T) {
	out, res := t.TempDir(), t.TempDir()
	code, stdout, stderr := run(t, "eval", "--dataset", quickstartGolden, "--gate", quickstartGate, "--out", out, "--results-dir", res)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "gate passed") {
		t.Errorf("summary:\n%s", stdout)
	}
	for _, f := range []string{eval.ReportJSON, eval.SummaryMD, eval.JUnitXML, eval.ReportHTML} {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	r := readReport(t, out)
	if r.Dataset.Name != "golden:quickstart" || r.Dataset.Questions != 22 || r.Target != "in-process" ||
		!strings.HasPrefix(r.Dataset.Digest, "sha256:") || r.KBDigest == "" || r.ConfigDigest == "" || r.Version == "" {
		t.Errorf("report identity: %+v", r.Dataset)
	}
	// The offline default answers every answerable question from the right
	// document, and says so when the handbook has no answer.
	for name, want := range map[string]float64{"hit@5": 1, "answer_contains": 1, "groundedness": 1, "error_rate": 0} {
		if r.Metrics[name] != want {
			t.Errorf("%s = %v, want %v", name, r.Metrics[name], want)
		}
	}
	if r.Tags["no_answer"].Metrics["no_answer_rate"] != 1 || r.Tags["zh"].Questions != 9 {
		t.Errorf("per tag: %+v", r.Tags)
	}
	passed, _ := os.ReadFile(filepath.Join(res, eval.ResultPassed))
	digest, _ := os.ReadFile(filepath.Join(res, eval.ResultDigest))
	js, _ := os.ReadFile(filepath.Join(out, eval.ReportJSON))
	if string(passed) != "true" || string(digest) != eval.Digest(js) {
		t.Errorf("results: passed %q, digest %q", passed, digest)
	}
}

// stripTiming removes what legitimately differs between two runs: clock
// times and latencies.
func stripTiming(r *eval.Report) *eval.Report {
	c := *r
	c.Timing = eval.Timing{}
	c.Metrics = map[string]float64{}
	for k, v := range r.Metrics {
		if !strings.HasPrefix(k, "latency_") {
			c.Metrics[k] = v
		}
	}
	c.Tags = nil
	c.Questions = make([]eval.Record, len(r.Questions))
	for i, q := range r.Questions {
		q.LatencyMS = 0
		m := map[string]float64{}
		for k, v := range q.Metrics {
			if k != "latency_ms" {
				m[k] = v
			}
		}
		q.Metrics = m
		c.Questions[i] = q
	}
	return &c
}

// TestEvalReproducible: two runs on the same inputs give identical
// metrics and per-question records apart from timing.
func TestEvalReproducible(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if code, _, stderr := run(t, "eval", "--dataset", quickstartGolden, "--out", dir); code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	ra, rb := stripTiming(readReport(t, a)), stripTiming(readReport(t, b))
	if !reflect.DeepEqual(ra, rb) {
		ja, _ := json.Marshal(ra)
		jb, _ := json.Marshal(rb)
		t.Fatalf("two runs differ:\n%s\n%s", ja, jb)
	}
}

// TestEvalBaselineRegressionAndHarmlessChange compares changes with the
// default's report: a harmful one fails the gate naming the significant
// metrics, a harmless one passes with no significant change.
func TestEvalBaselineRegressionAndHarmlessChange(t *testing.T) {
	base := t.TempDir()
	if code, _, stderr := run(t, "eval", "--dataset", quickstartGolden, "--out", base); code != ExitOK {
		t.Fatalf("baseline: exit %d: %s", code, stderr)
	}
	baseline := filepath.Join(base, eval.ReportJSON)
	gate := filepath.Join(t.TempDir(), "gate.yaml")
	os.WriteFile(gate, []byte("metrics:\n  answer_contains: {max_regression: 0.1}\n  ndcg@10: {max_regression: 0.05}\n"), 0o644)

	// Harmful: an answer threshold so strict that most answers are withheld.
	strict := writeConfig(t, "generator:\n  min_score: 0.95\n")
	out := t.TempDir()
	code, stdout, stderr := run(t, "--config", strict, "eval", "--dataset", quickstartGolden, "--baseline", baseline, "--gate", gate, "--out", out)
	if code != ExitFailure {
		t.Fatalf("harmful change: exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "gate failed") || !strings.Contains(stderr, "answer_contains") || !strings.Contains(stderr, "95% CI") {
		t.Errorf("failure output must name the metric with its numbers:\n%s", stderr)
	}
	r := readReport(t, out)
	if c := r.Comparison.Metrics["answer_contains"]; c.Verdict != eval.Regressed || c.CIHigh >= 0 {
		t.Errorf("answer_contains: %+v", c)
	}
	if c := r.Comparison.Metrics["ndcg@10"]; c.Verdict != eval.NoSignificant || c.Delta != 0 {
		t.Errorf("retrieval is unchanged by the answer threshold: %+v", c)
	}
	if passed := r.Gate.Passed; passed {
		t.Error("gate passed")
	}

	// Harmless: fewer chunks handed to the generator.
	topk := writeConfig(t, "retrieval:\n  top_k: 6\n")
	code, stdout, stderr = run(t, "--config", topk, "eval", "--dataset", quickstartGolden, "--baseline", baseline, "--gate", gate)
	if code != ExitOK || !strings.Contains(stdout, "no significant change") {
		t.Errorf("harmless change: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestEvalTarget evaluates a running server through its API and gets the
// same numbers as the in-process run on the same corpus.
func TestEvalTarget(t *testing.T) {
	data := filepath.Join(t.TempDir(), "kb")
	s := startServer(t, "quickstart", "--data", data, "--docs", quickstartDocs, "--addr", "127.0.0.1:0")
	remote, local := t.TempDir(), t.TempDir()
	code, stdout, stderr := run(t, "eval", "--dataset", quickstartGolden, "--target", s.base, "--gate", quickstartGate, "--out", remote)
	if code != ExitOK {
		t.Fatalf("--target: exit %d\n%s\n%s\n%s", code, stdout, stderr, s.log())
	}
	// Evaluation requests are stateless: the server keeps no conversation.
	if n := serverSessions(t, s.base); n != 0 {
		t.Errorf("eval --target left %d conversations on the server", n)
	}
	if code, _, stderr := run(t, "eval", "--dataset", quickstartGolden, "--data", data, "--out", local); code != ExitOK {
		t.Fatalf("--data: exit %d: %s", code, stderr)
	}
	rr, rl := readReport(t, remote), readReport(t, local)
	if rr.Target != s.base || rr.KBDigest != rl.KBDigest || rr.ConfigDigest == "" {
		t.Errorf("remote identity: target %s kb %s (local %s)", rr.Target, rr.KBDigest, rl.KBDigest)
	}
	for i := range rl.Questions {
		a, b := stripTiming(rr).Questions[i], stripTiming(rl).Questions[i]
		if !reflect.DeepEqual(a.Metrics, b.Metrics) || a.Answer != b.Answer {
			t.Errorf("%s: remote %v %q, in-process %v %q", a.ID, a.Metrics, a.Answer, b.Metrics, b.Answer)
		}
	}
	s.stop()
}

// TestEvalTargetAuth: a server that requires a key is evaluated with the
// key from RAGLINE_API_KEY; a wrong key is a clear usage error.
func TestEvalTargetAuth(t *testing.T) {
	data := filepath.Join(t.TempDir(), "kb")
	if code, _, stderr := run(t, "ingest", "--data", data, quickstartDocs); code != ExitOK {
		t.Fatal(stderr)
	}
	cfg := writeConfig(t, "server:\n  api_key: s3cret-key-for-tests\n")
	s := startServer(t, "--config", cfg, "serve", "--data", data, "--read-only", "--addr", "127.0.0.1:0")
	t.Setenv("RAGLINE_API_KEY", "wrong")
	code, _, stderr := run(t, "eval", "--dataset", quickstartGolden, "--target", s.base, "--limit", "3")
	if code != ExitUsage || !strings.Contains(stderr, "401") {
		t.Errorf("wrong key: exit %d: %s", code, stderr)
	}
	t.Setenv("RAGLINE_API_KEY", "s3cret-key-for-tests")
	if code, _, stderr := run(t, "eval", "--dataset", quickstartGolden, "--target", s.base, "--limit", "3"); code != ExitOK {
		t.Errorf("right key: exit %d: %s", code, stderr)
	}
}

func TestEvalUsageErrors(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other.json")
	base := t.TempDir()
	if code, _, stderr := run(t, "eval", "--dataset", quickstartGolden, "--limit", "2", "--out", base); code != ExitOK {
		t.Fatal(stderr)
	}
	// A baseline of another dataset.
	r := readReport(t, base)
	r.Dataset.Digest = "sha256:0000"
	js, _ := json.Marshal(r)
	os.WriteFile(other, js, 0o644)
	badGate := filepath.Join(dir, "gate.yaml")
	os.WriteFile(badGate, []byte("metrics:\n  ndcg@11: {min: 1}\n"), 0o644)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no dataset", []string{"eval"}, "--dataset is required"},
		{"missing file", []string{"eval", "--dataset", filepath.Join(dir, "none.jsonl")}, "no such file"},
		{"unknown scheme", []string{"eval", "--dataset", "trec:x"}, "unknown dataset scheme"},
		{"bad gate", []string{"eval", "--dataset", quickstartGolden, "--gate", badGate}, "gate.yaml:2:3: metrics.ndcg@11: unknown metric"},
		{"other dataset's baseline", []string{"eval", "--dataset", quickstartGolden, "--baseline", other}, "compare runs of the same dataset"},
		{"different questions", []string{"eval", "--dataset", quickstartGolden, "--limit", "3", "--baseline", filepath.Join(base, eval.ReportJSON)}, "question ids differ"},
		{"not a report", []string{"eval", "--dataset", quickstartGolden, "--baseline", badGate}, "not a ragline eval report"},
		{"bad target", []string{"eval", "--dataset", quickstartGolden, "--target", "localhost"}, "want http://host:port"},
		{"no corpus", []string{"eval", "--dataset", writeGoldenNoCorpus(t)}, "names no corpus"},
		{"bad k", []string{"eval", "--dataset", quickstartGolden, "--k", "1,x"}, "--k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, tt.args...)
			if code != ExitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.want)
			}
		})
	}
}

func writeGoldenNoCorpus(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "set.jsonl")
	os.WriteFile(p, []byte(`{"id":"a","question":"How many vacation days?"}`+"\n"), 0o644)
	return p
}

// TestEvalJudgeMetrics: with models.judge set, faithfulness and answer
// relevancy are scored by the judge model over the OpenAI wire (a scripted
// server), and the judge's tokens are counted.
func TestEvalJudgeMetrics(t *testing.T) {
	srv := modeltest.New(t)
	srv.Chat = func(req modeltest.ChatRequest) modeltest.Reply {
		p := req.Last()
		switch {
		case strings.Contains(p, "standalone statements"):
			return modeltest.Reply{Text: `{"statements": ["one claim", "another claim"]}`}
		case strings.Contains(p, "faithfulness"):
			return modeltest.Reply{Text: `{"verdicts": [{"statement": "one claim", "reason": "stated", "verdict": 1}, {"statement": "another claim", "reason": "not stated", "verdict": 0}]}`}
		case strings.Contains(p, "questions that the given answer answers"):
			return modeltest.Reply{Text: `{"questions": ["q1?", "q2?", "q3?"], "noncommittal": 0}`}
		}
		return modeltest.Reply{Status: 400, Body: `{"error":{"message":"unexpected prompt"}}`}
	}
	srv.Embed = func(string) []float32 { return []float32{1, 0, 0, 0} }
	cfg := writeConfig(t, "models:\n  judge: {provider: openai, base_url: "+srv.URL+"/v1, model: judge-model}\n"+
		"  embedding: {provider: openai, base_url: "+srv.URL+"/v1, model: embed-model, dimensions: 4}\n")
	out := t.TempDir()
	code, stdout, stderr := run(t, "--config", cfg, "eval", "--dataset", quickstartGolden, "--limit", "4", "--out", out)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	r := readReport(t, out)
	if r.Judge != "judge-model" || r.Metrics["faithfulness"] != 0.5 || r.Metrics["answer_relevancy"] != 1 || r.Metrics["judge_tokens_total"] <= 0 {
		t.Errorf("judge metrics: judge %q, %v", r.Judge, r.Metrics)
	}
	for _, q := range r.Questions {
		if q.JudgeError != "" {
			t.Errorf("%s: %s", q.ID, q.JudgeError)
		}
	}

	// A judge that fails is recorded per question; the run still reports.
	srv.Chat = func(modeltest.ChatRequest) modeltest.Reply {
		return modeltest.Reply{Status: 401, Body: `{"error":{"message":"invalid api key"}}`}
	}
	code, _, stderr = run(t, "--config", cfg, "eval", "--dataset", quickstartGolden, "--limit", "2", "--out", out)
	r = readReport(t, out)
	if _, ok := r.Metrics["faithfulness"]; code != ExitOK || ok || !strings.Contains(r.Questions[0].JudgeError, "invalid api key") {
		t.Errorf("failing judge: exit %d, metrics %v, judge error %q\n%s", code, r.Metrics, r.Questions[0].JudgeError, stderr)
	}
}
