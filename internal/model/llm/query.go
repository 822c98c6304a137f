package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/schema"
)

// Query rewrites and expands questions with a chat model. It is safe for
// concurrent use.
type Query struct {
	chat            model.Chat
	rewrite, expand string
}

// NewQuery returns query understanding with the given templates (empty:
// the built-in RewritePrompt and ExpandPrompt).
func NewQuery(chat model.Chat, rewrite, expand string) (*Query, error) {
	if rewrite == "" {
		rewrite = RewritePrompt
	}
	if expand == "" {
		expand = ExpandPrompt
	}
	for name, t := range map[string]string{"rewrite": rewrite, "expand": expand} {
		if _, err := parse(name, t); err != nil {
			return nil, err
		}
	}
	return &Query{chat: chat, rewrite: rewrite, expand: expand}, nil
}

// maxHistoryTurns bounds the conversation shown to the rewriter.
const maxHistoryTurns = 6

var zero = 0.0

// Rewrite returns question as a standalone question given the earlier
// turns of the conversation.
func (q *Query) Rewrite(ctx context.Context, question string, history []schema.Message) (string, model.Usage, error) {
	if len(history) > maxHistoryTurns {
		history = history[len(history)-maxHistoryTurns:]
	}
	var h strings.Builder
	for _, m := range history {
		fmt.Fprintf(&h, "%s: %s\n", m.Role, strings.TrimSpace(m.Content))
	}
	t, _ := parse("rewrite", q.rewrite)
	prompt, err := render(t, struct{ History, Question string }{h.String(), question})
	if err != nil {
		return "", model.Usage{}, err
	}
	resp, err := q.chat.Chat(ctx, model.ChatRequest{Messages: []model.Message{{Role: "user", Content: prompt}}, MaxTokens: 200, Temperature: &zero})
	if err != nil {
		return "", resp.Usage, fmt.Errorf("rewrite question: %w", err)
	}
	out := strings.TrimSpace(resp.Message.Content)
	out = strings.Trim(out, "\"“”")
	if out == "" {
		return "", resp.Usage, fmt.Errorf("rewrite question: the model returned nothing")
	}
	return out, resp.Usage, nil
}

// Expand returns up to n alternative search queries for question.
func (q *Query) Expand(ctx context.Context, question string, n int) ([]string, model.Usage, error) {
	t, _ := parse("expand", q.expand)
	prompt, err := render(t, struct {
		Question string
		N        int
	}{question, n})
	if err != nil {
		return nil, model.Usage{}, err
	}
	resp, err := q.chat.Chat(ctx, model.ChatRequest{Messages: []model.Message{{Role: "user", Content: prompt}}, JSON: true, MaxTokens: 400, Temperature: &zero})
	if err != nil {
		return nil, resp.Usage, fmt.Errorf("expand question: %w", err)
	}
	qs, err := parseQueries(resp.Message.Content)
	if err != nil {
		return nil, resp.Usage, fmt.Errorf("expand question: %w", err)
	}
	out := make([]string, 0, n)
	seen := map[string]bool{strings.ToLower(question): true}
	for _, s := range qs {
		s = strings.TrimSpace(s)
		if s != "" && !seen[strings.ToLower(s)] && len(out) < n {
			seen[strings.ToLower(s)] = true
			out = append(out, s)
		}
	}
	return out, resp.Usage, nil
}

// parseQueries reads {"queries": [...]} or a bare JSON list, tolerating a
// Markdown code fence around it.
func parseQueries(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "```json")
	s = strings.TrimPrefix(s, "```")
	s = strings.TrimSuffix(strings.TrimSpace(s), "```")
	var obj struct {
		Queries []string `json:"queries"`
	}
	if err := json.Unmarshal([]byte(s), &obj); err == nil && len(obj.Queries) > 0 {
		return obj.Queries, nil
	}
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err == nil {
		return list, nil
	}
	return nil, fmt.Errorf("want a JSON object {\"queries\": [...]}, got %.200q", s)
}

// languageNames are the languages Translate writes, by code.
var languageNames = map[string]string{"en": "English", "zh": "Simplified Chinese"}

// Translate returns question translated into the language lang ("en" or
// "zh").
func (q *Query) Translate(ctx context.Context, question, lang string) (string, model.Usage, error) {
	name, ok := languageNames[lang]
	if !ok {
		return "", model.Usage{}, fmt.Errorf("translate question: unsupported language %q", lang)
	}
	t, err := parse("translate", TranslatePrompt)
	if err != nil {
		return "", model.Usage{}, err
	}
	prompt, err := render(t, struct{ Question, Language string }{question, name})
	if err != nil {
		return "", model.Usage{}, err
	}
	resp, err := q.chat.Chat(ctx, model.ChatRequest{Messages: []model.Message{{Role: "user", Content: prompt}}, MaxTokens: 200, Temperature: &zero})
	if err != nil {
		return "", resp.Usage, fmt.Errorf("translate question: %w", err)
	}
	out := strings.Trim(strings.TrimSpace(resp.Message.Content), "\"“”")
	if out == "" {
		return "", resp.Usage, fmt.Errorf("translate question: the model returned nothing")
	}
	return out, resp.Usage, nil
}
