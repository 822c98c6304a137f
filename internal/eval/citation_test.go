package eval

import (
	"math"
	"testing"

	"github.com/ragline/ragline/internal/schema"
)

func TestAnswerContains(t *testing.T) {
	tests := []struct {
		answer string
		refs   []string
		want   float64
	}{
		{"Primary caregivers receive 16 weeks of paid leave. [1]", []string{"16 weeks"}, 1},
		{"The budget is $1,500 per year.", []string{"$1,500"}, 1},
		{"The budget is $1,000 per year.", []string{"$1,500"}, 0},
		{"经直属经理批准后，员工每周最多可远程办公三天。", []string{"三天"}, 1},
		{"每周最多两天。", []string{"三天"}, 0},
		{"anything", nil, 0},
		{"The Answer", []string{"the answer"}, 1}, // normalised: case and article
		{"text", []string{"  "}, 0},               // an empty reference matches nothing
	}
	for _, tt := range tests {
		if got := AnswerContains(StripCitations(tt.answer), tt.refs); got != tt.want {
			t.Errorf("AnswerContains(%q, %q) = %v, want %v", tt.answer, tt.refs, got, tt.want)
		}
	}
}

func TestStripCitations(t *testing.T) {
	if got := StripCitations("A fact. [1] Another [2, 3] one.[4]"); got != "A fact. Another one." {
		t.Errorf("StripCitations = %q", got)
	}
}

func cite(i int, source, text string) schema.Citation {
	return schema.Citation{Index: i, DocumentID: "id-" + source, Source: source, Text: text}
}

func TestCitationPrecisionRecall(t *testing.T) {
	a := cite(1, "a.md", "Full-time employees receive 20 days of paid vacation per calendar year.")
	b := cite(2, "b.md", "Travel is booked through the portal.")
	c := cite(3, "c.md", "Employees receive 10 days of paid sick leave per year.")
	byDoc := Judgement{Relevant: map[string]int{"a.md": 1, "c.md": 2}}
	byPassage := Judgement{Passages: []string{
		"Full-time employees receive 20 days of paid vacation per calendar year.",
		"Part-time employees accrue vacation in proportion to their hours.",
	}}
	tests := []struct {
		name          string
		cites         []schema.Citation
		j             Judgement
		prec, rec     float64
		precOK, recOK bool
	}{
		{"documents: 2 of 3 citations relevant, both documents cited", []schema.Citation{a, b, c}, byDoc, 2.0 / 3, 1, true, true},
		{"documents: one of two cited", []schema.Citation{a}, byDoc, 1, 0.5, true, true},
		{"passages: one of two passages cited, 1 of 2 citations", []schema.Citation{a, b}, byPassage, 0.5, 0.5, true, true},
		{"no citations: precision undefined, recall 0", nil, byDoc, 0, 0, false, true},
		{"nothing judged: both undefined", []schema.Citation{a}, Judgement{}, 0, 0, false, false},
		{"judged by key path", []schema.Citation{cite(1, "a.md", "x")}, Judgement{Relevant: map[string]int{"docs/a.md": 1}}, 0, 0, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, pok := CitationPrecision(tt.cites, tt.j)
			r, rok := CitationRecall(tt.cites, tt.j)
			if pok != tt.precOK || rok != tt.recOK {
				t.Fatalf("ok = %v/%v, want %v/%v", pok, rok, tt.precOK, tt.recOK)
			}
			if pok && math.Abs(p-tt.prec) > 1e-9 {
				t.Errorf("precision = %v, want %v", p, tt.prec)
			}
			if rok && math.Abs(r-tt.rec) > 1e-9 {
				t.Errorf("recall = %v, want %v", r, tt.rec)
			}
		})
	}
}

func TestGroundedness(t *testing.T) {
	vac := cite(1, "a.md", "Full-time employees receive 20 days of paid vacation per calendar year.")
	sick := cite(2, "a.md", "Employees receive 10 days of paid sick leave per year, in addition to vacation.")
	zh := cite(1, "zh.md", "经直属经理批准后，员工每周最多可远程办公三天。")
	tests := []struct {
		name   string
		answer string
		cites  []schema.Citation
		want   float64
		ok     bool
	}{
		{"markers after the full stop (extractive)", vac.Text + " [1] " + sick.Text + " [2]", []schema.Citation{vac, sick}, 1, true},
		{"markers before the full stop (LLM)", "Full-time employees receive 20 days of paid vacation per calendar year [1]. Employees also receive 10 days of paid sick leave per year [2].", []schema.Citation{vac, sick}, 1, true},
		{"a claim its citation does not support", "Full-time employees receive 30 days of paid vacation and a company car [1].", []schema.Citation{vac}, 0, true},
		{"an uncited sentence", vac.Text + " [1] Everyone also gets a bonus.", []schema.Citation{vac, sick}, 0.5, true},
		{"a marker naming no citation", vac.Text + " [7]", []schema.Citation{vac}, 0, true},
		{"combined marker", "Employees get 20 days of paid vacation and 10 days of paid sick leave per year [1, 2].", []schema.Citation{vac, sick}, 1, true},
		{"Chinese", zh.Text + " [1]", []schema.Citation{zh}, 1, true},
		{"Chinese paraphrase beyond the source", "员工每个月可以远程办公二十天。[1]", []schema.Citation{zh}, 0, true},
		{"empty answer", "", nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Groundedness(tt.answer, tt.cites)
			if ok != tt.ok || math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Groundedness = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestScoreRecordMapsIngestedKeysAndKeepsTieOrder(t *testing.T) {
	q := Query{ID: "q", Text: "x", Relevant: map[string]int{"a.md": 2, "b.md": 1}, Answers: []string{"20 days"}}
	rec := Record{
		// Equal scores: the system's order stands (no re-sorting by id).
		Retrieved: []Retrieved{{ID: "docs/c.md", Score: 1}, {ID: "docs/a.md", Score: 1}, {ID: "docs/b.md", Score: 0.5}},
		Answer:    "They get 20 days. [1]",
		Citations: []schema.Citation{cite(1, "a.md", "They get 20 days.")},
		Metrics:   map[string]float64{},
	}
	scoreRecord(&rec, q, []int{1, 2}, true)
	m := rec.Metrics
	// DCG = 2/log2(3) + 1/log2(4); IDCG = 2 + 1/log2(3).
	ndcg := (2/math.Log2(3) + 0.5) / (2 + 1/math.Log2(3))
	want := map[string]float64{"hit@1": 0, "recall@2": 0.5, "precision@2": 0.5, "mrr@10": 0.5, "ndcg@10": ndcg,
		"answer_contains": 1, "exact_match": 0, "citation_precision": 1, "citation_recall": 0.5, "groundedness": 1, "no_answer": 0, "error": 0}
	for k, v := range want {
		if got, ok := m[k]; !ok || math.Abs(got-v) > 1e-9 {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	// A no-answer response to an answerable question scores 0 on answers
	// and has no groundedness.
	rec2 := Record{NoAnswer: true, Answer: "I could not find an answer.", Metrics: map[string]float64{}}
	scoreRecord(&rec2, q, []int{1}, true)
	if rec2.Metrics["f1"] != 0 || rec2.Metrics["no_answer"] != 1 {
		t.Errorf("no-answer metrics = %v", rec2.Metrics)
	}
	if _, ok := rec2.Metrics["groundedness"]; ok {
		t.Error("groundedness scored for a no-answer response")
	}
}
