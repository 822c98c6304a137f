package judge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"text/template"

	"github.com/ragline/ragline/internal/model"
)

// ErrNoStatements is returned by Faithfulness for an answer in which the
// judge finds no statement to check (e.g. an empty answer).
var ErrNoStatements = errors.New("judge: the answer has no statements to check")

// Built-in prompts.
const (
	StatementsPrompt = `Given a question and an answer, break the answer down into standalone statements: each one a single claim that is understandable without the others (replace pronouns with what they refer to).
Reply with a JSON object {"statements": ["...", ...]}.

Question: {{.Question}}
Answer: {{.Answer}}`
	VerdictsPrompt = `Judge the faithfulness of statements to a context. For each statement, give verdict 1 if it can be directly inferred from the context, or 0 if it cannot.
Reply with a JSON object {"verdicts": [{"statement": "...", "reason": "...", "verdict": 0 or 1}, ...]}, one entry per statement, in order.

Context:
{{.Context}}

Statements:
{{.Statements}}`
	QuestionsPrompt = `Write {{.N}} different questions that the given answer answers, and say whether the answer is noncommittal: 1 if it is evasive, vague or ambiguous ("I don't know", "I'm not sure"), 0 if it commits to an answer.
Reply with a JSON object {"questions": ["...", ...], "noncommittal": 0 or 1}.

Answer: {{.Answer}}`
)

// Prompts are the judge's templates; empty ones use the built-in ones.
type Prompts struct {
	Statements, Verdicts, Questions string
}

// PromptsFrom reads models.judge.prompts (keys "statements", "verdicts",
// "questions").
func PromptsFrom(m map[string]string) Prompts {
	return Prompts{Statements: m["statements"], Verdicts: m["verdicts"], Questions: m["questions"]}
}

// Judge scores answers. It is safe for concurrent use.
type Judge struct {
	chat                            model.Chat
	emb                             model.Embedder
	statements, verdicts, questions *template.Template
	// N is the number of questions generated for answer relevancy.
	N int
}

// New returns a judge; embedder may be nil when only faithfulness is
// scored.
func New(chat model.Chat, embedder model.Embedder, p Prompts) (*Judge, error) {
	j := &Judge{chat: chat, emb: embedder, N: 3}
	var err error
	parse := func(name, text, def string) *template.Template {
		if text == "" {
			text = def
		}
		t, e := template.New(name).Option("missingkey=error").Parse(text)
		if e != nil && err == nil {
			err = fmt.Errorf("judge prompt %s: %w", name, e)
		}
		return t
	}
	j.statements = parse("statements", p.Statements, StatementsPrompt)
	j.verdicts = parse("verdicts", p.Verdicts, VerdictsPrompt)
	j.questions = parse("questions", p.Questions, QuestionsPrompt)
	return j, err
}

// Faithfulness scores answer with the built-in prompts (see the package
// documentation).
func Faithfulness(ctx context.Context, chat model.Chat, question, answer string, contexts []string) (float64, model.Usage, error) {
	j, _ := New(chat, nil, Prompts{})
	return j.Faithfulness(ctx, question, answer, contexts)
}

// AnswerRelevancy scores answer with the built-in prompts (see the
// package documentation).
func AnswerRelevancy(ctx context.Context, chat model.Chat, embedder model.Embedder, question, answer string) (float64, model.Usage, error) {
	j, _ := New(chat, embedder, Prompts{})
	return j.AnswerRelevancy(ctx, question, answer)
}

var zero = 0.0

// ask renders a prompt, asks for a JSON reply and decodes it into out.
func (j *Judge) ask(ctx context.Context, t *template.Template, data any, out any) (model.Usage, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return model.Usage{}, fmt.Errorf("judge prompt %s: %w", t.Name(), err)
	}
	resp, err := j.chat.Chat(ctx, model.ChatRequest{Messages: []model.Message{{Role: "user", Content: b.String()}}, JSON: true, Temperature: &zero})
	if err != nil {
		return resp.Usage, fmt.Errorf("judge %s: %w", t.Name(), err)
	}
	s := strings.TrimSpace(resp.Message.Content)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "```json"), "```")
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "```"))
	if err := json.Unmarshal([]byte(s), out); err != nil {
		return resp.Usage, fmt.Errorf("judge %s: unreadable reply (%v): %.300q", t.Name(), err, resp.Message.Content)
	}
	return resp.Usage, nil
}

// Faithfulness is supported statements / statements of answer, judged
// against contexts.
func (j *Judge) Faithfulness(ctx context.Context, question, answer string, contexts []string) (float64, model.Usage, error) {
	var st struct {
		Statements []string `json:"statements"`
	}
	usage, err := j.ask(ctx, j.statements, struct{ Question, Answer string }{question, answer}, &st)
	if err != nil {
		return 0, usage, err
	}
	var list []string
	for _, s := range st.Statements {
		if s = strings.TrimSpace(s); s != "" {
			list = append(list, s)
		}
	}
	if len(list) == 0 {
		return 0, usage, ErrNoStatements
	}
	var numbered strings.Builder
	for i, s := range list {
		fmt.Fprintf(&numbered, "%d. %s\n", i+1, s)
	}
	var vd struct {
		Verdicts []struct {
			Statement string `json:"statement"`
			Verdict   any    `json:"verdict"`
		} `json:"verdicts"`
	}
	u, err := j.ask(ctx, j.verdicts, struct{ Context, Statements string }{strings.Join(contexts, "\n\n"), numbered.String()}, &vd)
	usage = usage.Add(u)
	if err != nil {
		return 0, usage, err
	}
	if len(vd.Verdicts) != len(list) {
		return 0, usage, fmt.Errorf("judge verdicts: %d verdicts for %d statements", len(vd.Verdicts), len(list))
	}
	supported := 0
	for i, v := range vd.Verdicts {
		ok, err := verdict(v.Verdict)
		if err != nil {
			return 0, usage, fmt.Errorf("judge verdicts: statement %d: %w", i+1, err)
		}
		if ok {
			supported++
		}
	}
	return float64(supported) / float64(len(list)), usage, nil
}

// verdict reads 1/0, "1"/"0", "yes"/"no" or true/false.
func verdict(v any) (bool, error) {
	switch x := v.(type) {
	case float64:
		return x >= 1, nil
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "1", "yes", "true":
			return true, nil
		case "0", "no", "false":
			return false, nil
		}
	}
	return false, fmt.Errorf("verdict %v is not 0 or 1", v)
}

// AnswerRelevancy is the mean cosine similarity of question to the
// questions the judge derives from answer, 0 for a noncommittal answer.
func (j *Judge) AnswerRelevancy(ctx context.Context, question, answer string) (float64, model.Usage, error) {
	if j.emb == nil {
		return 0, model.Usage{}, fmt.Errorf("judge: answer relevancy needs an embedder (models.embedding)")
	}
	var q struct {
		Questions    []string `json:"questions"`
		Noncommittal any      `json:"noncommittal"`
	}
	usage, err := j.ask(ctx, j.questions, struct {
		Answer string
		N      int
	}{answer, j.N}, &q)
	if err != nil {
		return 0, usage, err
	}
	if nc, err := verdict(q.Noncommittal); err == nil && nc {
		return 0, usage, nil
	}
	var gen []string
	for _, s := range q.Questions {
		if s = strings.TrimSpace(s); s != "" {
			gen = append(gen, s)
		}
	}
	if len(gen) == 0 {
		return 0, usage, fmt.Errorf("judge questions: the judge wrote no questions")
	}
	vecs, err := j.emb.Embed(ctx, append([]string{question}, gen...))
	if err != nil {
		return 0, usage, fmt.Errorf("judge: embed questions: %w", err)
	}
	var sum float64
	for _, v := range vecs[1:] {
		sum += cosine(vecs[0], v)
	}
	return sum / float64(len(gen)), usage, nil
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range min(len(a), len(b)) {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}
