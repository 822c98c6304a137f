package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/ragline/ragline/internal/eval"
)

// writeQueryScores writes one JSON line per query.
func writeQueryScores(path string, scores []QueryScore) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, s := range scores {
		if err := enc.Encode(s); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readQueryScores reads a --per-query file; a bad line is an error that
// names it.
func readQueryScores(path string) ([]QueryScore, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []QueryScore
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var s QueryScore
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if s.ID == "" {
			return nil, fmt.Errorf("%s:%d: id: must not be empty", path, line)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// compareQueryScores pairs the runs by query id and bounds the nDCG@10
// delta with the paired bootstrap of eval reports (same resamples and
// seed). Both runs must hold the same queries.
func compareQueryScores(base, cand []QueryScore) (*eval.Comparison, error) {
	by := make(map[string]float64, len(base))
	for _, s := range base {
		by[s.ID] = s.NDCG10
	}
	if len(by) != len(cand) {
		return nil, fmt.Errorf("baseline has %d queries, this run %d", len(by), len(cand))
	}
	b, c := make([]float64, len(cand)), make([]float64, len(cand))
	for i, s := range cand {
		v, ok := by[s.ID]
		if !ok {
			return nil, fmt.Errorf("query %q is not in the baseline", s.ID)
		}
		b[i], c[i] = v, s.NDCG10
	}
	rng := rand.New(rand.NewPCG(eval.DefaultSeed, 1))
	lo, hi := eval.PairedBootstrap(b, c, eval.Mean, eval.DefaultResample, rng)
	cmp := &eval.Comparison{
		Baseline: round(eval.Mean(b), 4), Candidate: round(eval.Mean(c), 4),
		Delta: round(eval.Mean(c)-eval.Mean(b), 4), CILow: round(lo, 4), CIHigh: round(hi, 4), Questions: len(c),
	}
	cmp.Verdict = eval.Verdict(cmp.CILow, cmp.CIHigh, false)
	return cmp, nil
}
