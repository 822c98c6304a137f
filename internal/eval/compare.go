package eval

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Verdicts of a comparison.
const (
	Improved        = "improved"
	Regressed       = "regressed"
	NoSignificant   = "no significant change"
	DefaultSeed     = 1
	DefaultResample = 2000
)

// Comparison is one metric compared between a baseline and a candidate.
type Comparison struct {
	Baseline  float64 `json:"baseline"`
	Candidate float64 `json:"candidate"`
	Delta     float64 `json:"delta"`
	// CILow and CIHigh bound the 95% paired bootstrap confidence interval
	// of Delta.
	CILow  float64 `json:"ci_low"`
	CIHigh float64 `json:"ci_high"`
	// Questions is the number of questions both runs scored.
	Questions int    `json:"questions"`
	Verdict   string `json:"verdict"`
	// LowerIsBetter says which direction of Delta is an improvement.
	LowerIsBetter bool `json:"lower_is_better,omitempty"`
}

// BootstrapOptions configure the resampling.
type BootstrapOptions struct {
	// Resamples is the number of bootstrap resamples (default 2000).
	Resamples int
	// Seed makes the resampling reproducible (default 1).
	Seed uint64
}

// ErrIncomparable is wrapped by Compare when two runs did not ask the same
// questions of the same dataset.
var ErrIncomparable = fmt.Errorf("reports are not comparable")

// SameDataset returns an error naming both datasets when a baseline was
// run on another dataset than the candidate.
func SameDataset(base, cand DatasetInfo) error {
	if base.Digest != cand.Digest || base.Name != cand.Name {
		return fmt.Errorf("%w: the baseline was run on dataset %s (%s), this run on %s (%s); compare runs of the same dataset",
			ErrIncomparable, base.Name, base.Digest, cand.Name, cand.Digest)
	}
	return nil
}

// CheckComparable returns an error naming what differs when two runs
// cannot be compared question by question.
func CheckComparable(base, cand *Report) error {
	if err := SameDataset(base.Dataset, cand.Dataset); err != nil {
		return err
	}
	inBase := make(map[string]bool, len(base.Questions))
	for _, q := range base.Questions {
		inBase[q.ID] = true
	}
	var onlyCand, onlyBase []string
	inCand := make(map[string]bool, len(cand.Questions))
	for _, q := range cand.Questions {
		inCand[q.ID] = true
		if !inBase[q.ID] {
			onlyCand = append(onlyCand, q.ID)
		}
	}
	for _, q := range base.Questions {
		if !inCand[q.ID] {
			onlyBase = append(onlyBase, q.ID)
		}
	}
	if len(onlyCand)+len(onlyBase) > 0 {
		return fmt.Errorf("%w: question ids differ: %d only in the baseline %s, %d only in this run %s",
			ErrIncomparable, len(onlyBase), listSome(onlyBase), len(onlyCand), listSome(onlyCand))
	}
	return nil
}

func listSome(ids []string) string {
	if len(ids) == 0 {
		return "[]"
	}
	if len(ids) > 5 {
		return "[" + strings.Join(ids[:5], ", ") + ", …]"
	}
	return "[" + strings.Join(ids, ", ") + "]"
}

// Compare compares every metric of cand with base using a paired
// bootstrap over questions: each resample draws questions with
// replacement, recomputes the metric on both runs' values for the same
// questions, and records the difference. The 2.5th and 97.5th percentiles
// of the differences bound the 95% confidence interval; a verdict is
// improved or regressed only when the interval excludes zero.
func Compare(defs []MetricDef, base, cand *Report, opt BootstrapOptions) (map[string]Comparison, error) {
	if err := CheckComparable(base, cand); err != nil {
		return nil, err
	}
	if opt.Resamples < 1 {
		opt.Resamples = DefaultResample
	}
	if opt.Seed == 0 {
		opt.Seed = DefaultSeed
	}
	baseBy := make(map[string]*Record, len(base.Questions))
	for i := range base.Questions {
		baseBy[base.Questions[i].ID] = &base.Questions[i]
	}
	out := map[string]Comparison{}
	for di, d := range defs {
		var b, c []float64
		for i := range cand.Questions {
			cr := &cand.Questions[i]
			br := baseBy[cr.ID]
			cv, ok1 := cr.Metrics[d.Source]
			bv, ok2 := br.Metrics[d.Source]
			if ok1 && ok2 {
				b, c = append(b, bv), append(c, cv)
			}
		}
		if len(b) == 0 {
			continue
		}
		bVal, bOK := base.Metrics[d.Name]
		cVal, cOK := cand.Metrics[d.Name]
		if !bOK || !cOK {
			continue
		}
		// One stream per metric, so adding a metric does not move the
		// intervals of the others.
		rng := rand.New(rand.NewPCG(opt.Seed, uint64(di)+1))
		lo, hi := PairedBootstrap(b, c, d.Agg, opt.Resamples, rng)
		cmp := Comparison{
			Baseline: bVal, Candidate: cVal, Delta: roundMetric(cVal - bVal),
			CILow: roundMetric(lo), CIHigh: roundMetric(hi), Questions: len(b),
			LowerIsBetter: d.LowerIsBetter,
		}
		cmp.Verdict = Verdict(cmp.CILow, cmp.CIHigh, d.LowerIsBetter)
		out[d.Name] = cmp
	}
	return out, nil
}

// Verdict judges a change by the 95% interval [lo, hi] of its delta:
// Improved or Regressed when the interval excludes 0 on that side
// (lowerIsBetter flips which side is better), NoSignificant otherwise.
func Verdict(lo, hi float64, lowerIsBetter bool) string {
	switch {
	case lo > 0 && !lowerIsBetter, hi < 0 && lowerIsBetter:
		return Improved
	case hi < 0 && !lowerIsBetter, lo > 0 && lowerIsBetter:
		return Regressed
	default:
		return NoSignificant
	}
}

// PairedBootstrap returns the 95% percentile interval of agg(c) − agg(b)
// over resamples of paired observations (b[i], c[i]).
func PairedBootstrap(b, c []float64, agg func([]float64) float64, resamples int, rng *rand.Rand) (lo, hi float64) {
	n := len(b)
	deltas := make([]float64, resamples)
	rb, rc := make([]float64, n), make([]float64, n)
	for r := range deltas {
		for i := 0; i < n; i++ {
			j := rng.IntN(n)
			rb[i], rc[i] = b[j], c[j]
		}
		deltas[r] = agg(rc) - agg(rb)
	}
	return Percentile(deltas, 2.5), Percentile(deltas, 97.5)
}
