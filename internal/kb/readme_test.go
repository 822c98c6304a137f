package kb

import (
	"context"
	"os"
	"regexp"
	"testing"

	"github.com/ragline/ragline/internal/eval"
)

// readmeAnswers says what each question asked in README.md must get from
// the quick-start handbook: an answer containing one of the strings, or,
// with none, "no answer" (the handbook does not answer it). A README
// example missing here fails the test, so every example is checked.
var readmeAnswers = map[string][]string{
	"How many weeks of paid parental leave does a primary caregiver get?": {"16 weeks"},
	// The password policy says when to change a password, not how to
	// reset one; the learning budget "resets" on January 1.
	"How do I reset my password?": nil,
	// Annual leave is described only in the English vacation policy;
	// offline, Chinese terms cannot match it.
	"新员工有多少天年假？": nil,
}

var (
	readmeAsk     = regexp.MustCompile(`ragline ask [^"\n]*"([^"]+)"`)
	readmeMessage = regexp.MustCompile(`"message":"([^"]+)"`)
)

// TestReadmeExamples asks every question of the README's examples and
// expects the right answer or "no answer", never a wrong cited one.
func TestReadmeExamples(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var questions []string
	for _, re := range []*regexp.Regexp{readmeMessage, readmeAsk} {
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			questions = append(questions, m[1])
		}
	}
	if len(questions) < 3 {
		t.Fatalf("found %d example questions in README.md: %q", len(questions), questions)
	}
	k := openKB(t, t.TempDir(), false)
	ingestOK(t, k, quickstartDocs)
	for _, q := range questions {
		t.Run(q, func(t *testing.T) {
			want, ok := readmeAnswers[q]
			if !ok {
				t.Fatalf("README example %q has no expected answer in readmeAnswers", q)
			}
			resp, err := k.Ask(context.Background(), "", q, nil)
			if err != nil {
				t.Fatal(err)
			}
			g := detail(resp, "generate")
			if g["decision"] == nil || g["score"] == nil {
				t.Errorf("generate step lacks the decision and its score: %v", g)
			}
			if want == nil {
				if !resp.NoAnswer || len(resp.Citations) != 0 {
					t.Errorf("want no answer, got %q (score %v)", resp.Answer, g["score"])
				}
				return
			}
			if resp.NoAnswer || eval.AnswerContains(resp.Answer, want) != 1 {
				t.Errorf("want an answer containing %q, got %q (score %v)", want, resp.Answer, g["score"])
			}
		})
	}
}
