package judge

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/model/modeltest"
	"github.com/ragline/ragline/internal/model/openai"
)

// judgeServer scripts a judge: statements are the answer's sentences,
// and a statement is supported when the context contains it verbatim.
func judgeServer(t *testing.T) (*openai.Client, *modeltest.Server) {
	srv := modeltest.New(t)
	srv.Chat = func(r modeltest.ChatRequest) modeltest.Reply {
		p := r.Last()
		switch {
		case strings.HasPrefix(p, "Given a question and an answer"):
			ans := p[strings.Index(p, "Answer: ")+len("Answer: "):]
			var out []string
			for _, s := range strings.Split(ans, ". ") {
				if s = strings.Trim(s, ". "); s != "" {
					out = append(out, `"`+s+`."`)
				}
			}
			return modeltest.Reply{Text: `{"statements": [` + strings.Join(out, ",") + `]}`}
		case strings.HasPrefix(p, "Judge the faithfulness"):
			ctxText := p[strings.Index(p, "Context:\n")+9 : strings.Index(p, "\n\nStatements:")]
			var vs []string
			for _, line := range strings.Split(strings.TrimSpace(p[strings.Index(p, "Statements:\n")+12:]), "\n") {
				st := line[strings.Index(line, ". ")+2:]
				v := "0"
				if strings.Contains(ctxText, strings.TrimSuffix(st, ".")) {
					v = "1"
				}
				vs = append(vs, `{"statement": "x", "reason": "r", "verdict": `+v+`}`)
			}
			return modeltest.Reply{Text: "```json\n{\"verdicts\": [" + strings.Join(vs, ",") + "]}\n```"}
		case strings.HasPrefix(p, "Write 3 different questions"):
			if strings.Contains(p[strings.Index(p, "Answer: "):], "not sure") {
				return modeltest.Reply{Text: `{"questions": ["What is unknown?"], "noncommittal": 1}`}
			}
			return modeltest.Reply{Text: `{"questions": ["How many vacation days do new hires get?", "What do new hires get?", "vacation days new hires"], "noncommittal": 0}`}
		}
		return modeltest.Reply{Status: 400, Body: `{"error":{"message":"unexpected prompt"}}`}
	}
	c, err := openai.New(openai.Options{BaseURL: srv.URL + "/v1", Model: "judge"})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

type wordsAnalyzer struct{}

func (wordsAnalyzer) Terms(s string) []string {
	return strings.Fields(strings.ToLower(strings.Trim(s, "?.")))
}

func TestFaithfulness(t *testing.T) {
	chat, srv := judgeServer(t)
	ctxs := []string{"New hires get 20 vacation days", "Unused days carry over"}
	tests := []struct {
		answer string
		want   float64
	}{
		{"New hires get 20 vacation days. Unused days carry over.", 1},
		{"New hires get 20 vacation days. Managers get 40 days. The office has a gym. Unused days carry over.", 0.5},
		{"Everyone gets a car.", 0},
	}
	for _, tt := range tests {
		got, usage, err := Faithfulness(context.Background(), chat, "vacation?", tt.answer, ctxs)
		if err != nil || math.Abs(got-tt.want) > 1e-9 || usage.TotalTokens == 0 {
			t.Errorf("%q: %v %+v %v, want %v", tt.answer, got, usage, err, tt.want)
		}
	}
	if _, _, err := Faithfulness(context.Background(), chat, "q", "", ctxs); err != ErrNoStatements {
		t.Errorf("empty answer: %v", err)
	}
	srv.Chat = func(modeltest.ChatRequest) modeltest.Reply { return modeltest.Reply{Text: "The answer is faithful."} }
	if _, _, err := Faithfulness(context.Background(), chat, "q", "a.", ctxs); err == nil || !strings.Contains(err.Error(), "judge statements: unreadable reply") {
		t.Errorf("prose reply: %v", err)
	}
	srv.Chat = func(modeltest.ChatRequest) modeltest.Reply {
		return modeltest.Reply{Status: 401, Body: `{"error":{"message":"bad key"}}`}
	}
	if _, _, err := Faithfulness(context.Background(), chat, "q", "a.", ctxs); err == nil || !strings.Contains(err.Error(), "openai model judge: HTTP 401: bad key") {
		t.Errorf("provider error: %v", err)
	}
}

func TestAnswerRelevancy(t *testing.T) {
	chat, _ := judgeServer(t)
	emb := hashembedFor(t)
	good, _, err := AnswerRelevancy(context.Background(), chat, emb, "How many vacation days do new hires get?", "New hires get 20 vacation days.")
	if err != nil || good <= 0.5 || good > 1.0000001 {
		t.Errorf("relevant answer scored %v (%v)", good, err)
	}
	nc, _, err := AnswerRelevancy(context.Background(), chat, emb, "How many vacation days do new hires get?", "I'm not sure.")
	if err != nil || nc != 0 {
		t.Errorf("noncommittal answer scored %v (%v)", nc, err)
	}
	if _, _, err := AnswerRelevancy(context.Background(), chat, nil, "q", "a"); err == nil {
		t.Error("no embedder accepted")
	}
}

func TestConfiguredPrompts(t *testing.T) {
	chat, _ := judgeServer(t)
	if _, err := New(chat, nil, PromptsFrom(map[string]string{"verdicts": "{{.Nope"})); err == nil {
		t.Error("broken template accepted")
	}
	j, err := New(chat, nil, PromptsFrom(map[string]string{"statements": "Given a question and an answer (custom)\nAnswer: {{.Answer}}"}))
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := j.Faithfulness(context.Background(), "q", "New hires get 20 vacation days.", []string{"New hires get 20 vacation days"})
	if err != nil || got != 1 {
		t.Errorf("custom prompt: %v %v", got, err)
	}
}
