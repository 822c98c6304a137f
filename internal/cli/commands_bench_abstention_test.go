package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/datasettest"
)

// TestBenchAbstention measures leave-gold-out abstention on 40 questions
// of the CMRC 2018 trial set: with their passages in the corpus the
// generator answers most of them, with the passages removed it says "no
// answer" to most, and the curve is monotone in the threshold.
func TestBenchAbstention(t *testing.T) {
	trial := datasettest.Require(t, "cmrc2018", "cmrc2018_trial.json")
	t.Setenv("TMPDIR", t.TempDir())
	code, out, errOut := run(t, "bench", "abstention", "--dataset", "cmrc:"+trial, "--sample", "40", "--json")
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	var res AbstentionBench
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("stdout: %v\n%s", err, out)
	}
	if res.Queries != 40 || res.Removed == 0 || len(res.Curve) != 21 || res.Threshold != 0.32 {
		t.Fatalf("result %+v", res)
	}
	if res.At.AnswerRate < 0.7 || res.At.Abstention < 0.7 || res.At.AnswerContains == nil || *res.At.AnswerContains < 0.5 {
		t.Errorf("at the default threshold: %+v (contains %v)", res.At, *res.At.AnswerContains)
	}
	for i := 1; i < len(res.Curve); i++ {
		a, b := res.Curve[i-1], res.Curve[i]
		if b.AnswerRate > a.AnswerRate || b.Abstention < a.Abstention {
			t.Errorf("curve not monotone at %.2f: %+v then %+v", b.Threshold, a, b)
		}
	}
	if res.Curve[0].AnswerRate != 1 {
		t.Errorf("at threshold 0 every question with a passage is answered: %+v", res.Curve[0])
	}

	code, _, errOut = run(t, "bench", "abstention", "--dataset", "cmrc:x.json", "--parity", "both")
	if code != ExitUsage || !strings.Contains(errOut, "--parity") {
		t.Errorf("bad parity: exit %d, %s", code, errOut)
	}
}
