package eval

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// pairedReports builds a baseline and a candidate report over n questions
// whose per-question "f1" values are drawn by gen.
func pairedReports(n int, gen func(i int) (base, cand float64)) (*Report, *Report) {
	mk := func() *Report {
		return &Report{Format: ReportVersion, Dataset: DatasetInfo{Name: "golden:test", Digest: "sha256:x", Questions: n}}
	}
	b, c := mk(), mk()
	for i := 0; i < n; i++ {
		bv, cv := gen(i)
		id := fmt.Sprintf("q%03d", i)
		b.Questions = append(b.Questions, Record{ID: id, Metrics: map[string]float64{"f1": bv, "latency_ms": 10 + bv}})
		c.Questions = append(c.Questions, Record{ID: id, Metrics: map[string]float64{"f1": cv, "latency_ms": 10 + cv}})
	}
	defs := Metrics(nil)
	b.Summarize(defs)
	c.Summarize(defs)
	return b, c
}

// TestBootstrapCalibration checks the interval's coverage: with no true
// difference between the systems, "no significant change" must be the
// verdict in at least 93% of seeded trials (nominally 95%); with a real
// shift the regression must be detected.
func TestBootstrapCalibration(t *testing.T) {
	defs := onlyMetric("f1")
	const trials, n = 500, 120
	quiet, detected := 0, 0
	for trial := 0; trial < trials; trial++ {
		rng := rand.New(rand.NewPCG(uint64(trial), 99))
		// Same distribution for both: each question has a difficulty, and
		// both systems score it with independent noise of equal size.
		b, c := pairedReports(n, func(int) (float64, float64) {
			d := rng.Float64()
			return clamp01(d + rng.NormFloat64()*0.2), clamp01(d + rng.NormFloat64()*0.2)
		})
		cmp, err := Compare(defs, b, c, BootstrapOptions{Resamples: 1000, Seed: uint64(trial) + 1})
		if err != nil {
			t.Fatal(err)
		}
		if cmp["f1"].Verdict == NoSignificant {
			quiet++
		}
		// The candidate loses 0.1 on every question.
		b2, c2 := pairedReports(n, func(int) (float64, float64) {
			d := rng.Float64()
			return clamp01(d + rng.NormFloat64()*0.2), clamp01(d - 0.1 + rng.NormFloat64()*0.2)
		})
		cmp2, _ := Compare(defs, b2, c2, BootstrapOptions{Resamples: 1000, Seed: uint64(trial) + 1})
		if cmp2["f1"].Verdict == Regressed {
			detected++
		}
	}
	t.Logf("no true difference: %d/%d quiet; shift of -0.1: %d/%d detected", quiet, trials, detected, trials)
	if float64(quiet) < 0.93*trials {
		t.Errorf("no significant change in only %d/%d trials without a true difference (want ≥ 93%%)", quiet, trials)
	}
	if float64(detected) < 0.9*trials {
		t.Errorf("a real regression was detected in only %d/%d trials", detected, trials)
	}
}

func clamp01(v float64) float64 { return min(1, max(0, v)) }

func TestCompareVerdictsAndDirections(t *testing.T) {
	defs := Metrics(nil)
	// Candidate better on f1 and (since latency follows f1 here) slower.
	b, c := pairedReports(60, func(i int) (float64, float64) { return 0.5, 0.8 })
	cmp, err := Compare(defs, b, c, BootstrapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f := cmp["f1"]; f.Verdict != Improved || f.Delta != 0.3 || f.CILow != 0.3 || f.CIHigh != 0.3 {
		t.Errorf("f1 comparison = %+v", f)
	}
	if l := cmp["latency_p95_ms"]; l.Verdict != Regressed || !l.LowerIsBetter {
		t.Errorf("latency comparison = %+v, want regressed (lower is better)", l)
	}
	// Identical runs: zero-width interval at 0, no change.
	same, same2 := pairedReports(30, func(i int) (float64, float64) { v := float64(i%3) / 2; return v, v })
	cmp, _ = Compare(defs, same, same2, BootstrapOptions{})
	if f := cmp["f1"]; f.Verdict != NoSignificant || f.Delta != 0 || f.CILow != 0 || f.CIHigh != 0 {
		t.Errorf("identical runs: %+v", f)
	}
	// The same seed gives the same interval.
	b, c = pairedReports(50, func(i int) (float64, float64) { return float64(i%5) / 4, float64(i%7) / 6 })
	x, _ := Compare(defs, b, c, BootstrapOptions{Seed: 7})
	y, _ := Compare(defs, b, c, BootstrapOptions{Seed: 7})
	if x["f1"] != y["f1"] {
		t.Errorf("same seed, different intervals: %+v vs %+v", x["f1"], y["f1"])
	}
}

func TestCompareRefusesDifferentRuns(t *testing.T) {
	defs := Metrics(nil)
	b, c := pairedReports(10, func(int) (float64, float64) { return 1, 1 })
	c.Dataset.Digest = "sha256:other"
	if _, err := Compare(defs, b, c, BootstrapOptions{}); !errors.Is(err, ErrIncomparable) || !strings.Contains(err.Error(), "sha256:other") {
		t.Errorf("different datasets: %v", err)
	}
	b, c = pairedReports(10, func(int) (float64, float64) { return 1, 1 })
	c.Questions[3].ID = "new-question"
	_, err := Compare(defs, b, c, BootstrapOptions{})
	if !errors.Is(err, ErrIncomparable) || !strings.Contains(err.Error(), "q003") || !strings.Contains(err.Error(), "new-question") {
		t.Errorf("different question ids: %v", err)
	}
}

func onlyMetric(name string) []MetricDef {
	for _, d := range Metrics(nil) {
		if d.Name == name {
			return []MetricDef{d}
		}
	}
	panic(name)
}
