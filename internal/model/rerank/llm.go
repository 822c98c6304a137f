package rerank

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/ragline/ragline/internal/model"
)

// ListwisePrompt is the built-in listwise rerank prompt. Fields: .Query
// and .Passages (numbered from 1).
const ListwisePrompt = `Rank the passages below by how well they answer the query, most relevant first.
Reply with a JSON object {"ranking": [numbers of the passages, best first]}.

Query: {{.Query}}

{{.Passages}}`

// LLM is a listwise reranker that asks a chat model for an ordering.
// Passages the model leaves out follow the ones it ranked, in their
// original order.
type LLM struct {
	chat     model.Chat
	tmpl     *template.Template
	maxChars int
	// OnUsage, when set, receives the usage of each call.
	OnUsage func(model.Usage)
}

var _ model.Reranker = (*LLM)(nil)

// NewLLM returns a listwise reranker; prompt "" uses ListwisePrompt.
func NewLLM(chat model.Chat, prompt string) (*LLM, error) {
	if prompt == "" {
		prompt = ListwisePrompt
	}
	t, err := template.New("rerank").Option("missingkey=error").Parse(prompt)
	if err != nil {
		return nil, fmt.Errorf("rerank prompt: %w", err)
	}
	return &LLM{chat: chat, tmpl: t, maxChars: 1000}, nil
}

var number = regexp.MustCompile(`\d+`)

// Rerank orders docs by the model's ranking; a document's score is
// 1/position.
func (l *LLM) Rerank(ctx context.Context, query string, docs []string) ([]model.Ranked, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	var p strings.Builder
	for i, d := range docs {
		if r := []rune(d); len(r) > l.maxChars {
			d = string(r[:l.maxChars]) + "…"
		}
		fmt.Fprintf(&p, "[%d] %s\n\n", i+1, strings.TrimSpace(d))
	}
	var b bytes.Buffer
	if err := l.tmpl.Execute(&b, struct{ Query, Passages string }{query, p.String()}); err != nil {
		return nil, fmt.Errorf("rerank prompt: %w", err)
	}
	zero := 0.0
	resp, err := l.chat.Chat(ctx, model.ChatRequest{Messages: []model.Message{{Role: "user", Content: b.String()}}, JSON: true, Temperature: &zero})
	if l.OnUsage != nil {
		l.OnUsage(resp.Usage)
	}
	if err != nil {
		return nil, fmt.Errorf("rerank: %w", err)
	}
	order, err := parseRanking(resp.Message.Content)
	if err != nil {
		return nil, fmt.Errorf("rerank: %w", err)
	}
	var out []model.Ranked
	seen := map[int]bool{}
	add := func(i int) {
		if i >= 0 && i < len(docs) && !seen[i] {
			seen[i] = true
			out = append(out, model.Ranked{Index: i, Score: 1 / float64(len(out)+1)})
		}
	}
	for _, n := range order {
		add(n - 1)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("rerank: the model ranked none of the %d passages: %.200q", len(docs), resp.Message.Content)
	}
	for i := range docs {
		add(i)
	}
	return out, nil
}

// parseRanking reads {"ranking": [3, 1, 2]} (numbers or "[3]" strings),
// or failing that the numbers of the reply in order.
func parseRanking(s string) ([]int, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "```json"), "```"), "```"))
	var obj struct {
		Ranking []any `json:"ranking"`
	}
	if json.Unmarshal([]byte(s), &obj) == nil && len(obj.Ranking) > 0 {
		var out []int
		for _, v := range obj.Ranking {
			switch x := v.(type) {
			case float64:
				out = append(out, int(x))
			case string:
				if m := number.FindString(x); m != "" {
					n, _ := strconv.Atoi(m)
					out = append(out, n)
				}
			}
		}
		return out, nil
	}
	var out []int
	for _, m := range number.FindAllString(s, 100) {
		n, _ := strconv.Atoi(m)
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no ranking in the reply %.200q", s)
	}
	return out, nil
}
