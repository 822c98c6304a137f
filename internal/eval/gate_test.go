package eval

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestParseGateFiles(t *testing.T) {
	defs := Metrics(nil)
	// Each bad file's error must name the file, line and field.
	want := map[string]string{
		"unknown-metric.bad.yaml":      "unknown-metric.bad.yaml:2:3: metrics.ndcg@11: unknown metric",
		"unknown-bound.bad.yaml":       "unknown-bound.bad.yaml:2:13: metrics.ndcg@10.minimum: unknown bound",
		"not-a-number.bad.yaml":        `not-a-number.bad.yaml:2:18: metrics.ndcg@10.min: want a number, got "high"`,
		"min-above-max.bad.yaml":       "min-above-max.bad.yaml:2:3: metrics.f1: min 0.9 is above max 0.5",
		"negative-regression.bad.yaml": "metrics.f1.max_regression: must be ≥ 0",
		"unknown-key.bad.yaml":         "unknown-key.bad.yaml:1:1: metric: unknown key (want metrics or tags)",
		"no-bound.bad.yaml":            "metrics.f1: no bound given",
		"not-a-mapping.bad.yaml":       "metrics: want a mapping",
		"invalid-yaml.bad.yaml":        "invalid YAML",
	}
	files, _ := filepath.Glob("testdata/gates/*.yaml")
	if len(files) < 10 {
		t.Fatalf("found %d gate fixtures", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			g, err := LoadGate(f, defs)
			if strings.HasSuffix(name, ".good.yaml") {
				if err != nil {
					t.Fatal(err)
				}
				if len(g.Rules) != 4 || g.Rules[3].Tag != "zh" || *g.Rules[0].MaxRegression != 0.02 {
					t.Errorf("rules = %+v", g.Rules)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), want[name]) {
				t.Errorf("error %q\nwant it to contain %q", err, want[name])
			}
		})
	}
}

func TestParseGateReportsEveryProblem(t *testing.T) {
	_, err := ParseGate("g.yaml", []byte("metrics:\n  nope: {min: 1}\n  f1: {min: x}\n  hit@5: {max: 2, min: 3}\n"), Metrics(nil))
	if err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Fatalf("want three problems, got %v", err)
	}
}

func f64(v float64) *float64 { return &v }

func TestGateEvaluate(t *testing.T) {
	defs := Metrics(nil)
	rep := &Report{Metrics: map[string]float64{"ndcg@10": 0.55, "latency_p95_ms": 40, "f1": 0.3},
		Tags: map[string]TagMetrics{"zh": {Questions: 3, Metrics: map[string]float64{"f1": 0.1}}}}
	g := &Gate{File: "g.yaml", Rules: []GateRule{
		{Metric: "ndcg@10", Min: f64(0.6), MaxRegression: f64(0.02)},
		{Metric: "latency_p95_ms", Max: f64(50), MaxRegression: f64(5)},
		{Metric: "f1", MaxRegression: f64(0.05)},
		{Tag: "zh", Metric: "f1", Min: f64(0.2)},
		{Metric: "groundedness", Min: f64(0.9)}, // not measured: fails
	}}
	// Without a baseline the regression checks are skipped.
	res := g.Evaluate(rep, nil, defs)
	var failed []string
	for _, c := range res.Failed() {
		failed = append(failed, c.Name)
	}
	if res.Passed || strings.Join(failed, ";") != "ndcg@10 min 0.6;tag zh: f1 min 0.2;groundedness min 0.9" {
		t.Errorf("failed = %v", failed)
	}
	if !res.Checks[len(res.Checks)-1].Skipped || res.Checks[0].Passed {
		t.Error("failing checks must come first and regression checks be skipped")
	}
	// With a baseline: ndcg fell 0.05 with CI [-0.08, -0.03] (beyond 0.02:
	// fails); f1 fell 0.04 with CI [-0.09, 0.01] (not significant: passes);
	// latency rose 8 ms with CI [6, 10] (beyond 5 ms: fails, lower is better).
	cmp := map[string]map[string]Comparison{"": {
		"ndcg@10":        {Baseline: 0.6, Candidate: 0.55, Delta: -0.05, CILow: -0.08, CIHigh: -0.03, Verdict: Regressed},
		"f1":             {Baseline: 0.34, Candidate: 0.3, Delta: -0.04, CILow: -0.09, CIHigh: 0.01, Verdict: NoSignificant},
		"latency_p95_ms": {Baseline: 32, Candidate: 40, Delta: 8, CILow: 6, CIHigh: 10, Verdict: Regressed, LowerIsBetter: true},
	}}
	res = g.Evaluate(rep, cmp, defs)
	got := map[string]bool{}
	for _, c := range res.Checks {
		got[c.Name] = c.Passed
	}
	for name, want := range map[string]bool{"ndcg@10 max_regression 0.02": false, "f1 max_regression 0.05": true, "latency_p95_ms max_regression 5": false, "latency_p95_ms max 50": true} {
		if got[name] != want {
			t.Errorf("%s passed = %v, want %v", name, got[name], want)
		}
	}
	for _, c := range res.Failed() {
		if c.Kind == "max_regression" && (!strings.Contains(c.Message, "95% CI") || c.CIHigh == nil) {
			t.Errorf("failure message lacks the numbers: %q", c.Message)
		}
	}
}
