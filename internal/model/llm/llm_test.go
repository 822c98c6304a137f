package llm

import (
	"context"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/model/modeltest"
	"github.com/ragline/ragline/internal/model/openai"
	"github.com/ragline/ragline/internal/schema"
)

func TestCiteFilter(t *testing.T) {
	tests := []struct {
		in, want string
		cited    []int
		invalid  int
	}{
		{"Twenty days [1].", "Twenty days [1].", []int{1}, 0},
		{"A [2][1] and B [1].", "A [2][1] and B [1].", []int{2, 1}, 0},
		{"A [1, 3].", "A [1][3].", []int{1, 3}, 0},
		{"Made up [7] and [0].", "Made up  and .", nil, 2},
		{"Group [2, 9].", "Group [2].", []int{2}, 1},
		{"Array a[i] and [see above] stay.", "Array a[i] and [see above] stay.", nil, 0},
		{"Empty [] stays, [[1]] nests.", "Empty [] stays, [[1]] nests.", []int{1}, 0},
		{"中文【1】和[2、3]。", "中文[1]和[2][3]。", []int{1, 2, 3}, 0},
		{"Unclosed [1", "Unclosed [1", nil, 0},
	}
	for _, tt := range tests {
		// Whole, and one rune at a time as a stream would deliver it.
		for _, split := range []bool{false, true} {
			f := newCiteFilter(3)
			var out strings.Builder
			if split {
				for _, r := range tt.in {
					out.WriteString(f.write(string(r)))
				}
			} else {
				out.WriteString(f.write(tt.in))
			}
			out.WriteString(f.flush())
			if out.String() != tt.want || f.invalid != tt.invalid || len(f.cited) != len(tt.cited) {
				t.Errorf("%q (split %v): got %q cited %v invalid %d; want %q %v %d", tt.in, split, out.String(), f.cited, f.invalid, tt.want, tt.cited, tt.invalid)
				continue
			}
			for i := range tt.cited {
				if f.cited[i] != tt.cited[i] {
					t.Errorf("%q: cited %v, want %v", tt.in, f.cited, tt.cited)
				}
			}
		}
	}
}

func hits() []schema.Hit {
	mk := func(id, src, text string) schema.Hit {
		return schema.Hit{Chunk: schema.Chunk{ID: id + "#0", DocumentID: id, Text: text, Start: 10, End: 10 + len(text), Headings: []string{"Leave"}}, Source: src, Score: 1}
	}
	return []schema.Hit{
		mk("d1", "handbook.md", "New hires get 20 vacation days per year."),
		mk("d2", "policy.md", "Unused days carry over up to five days."),
	}
}

func newGen(t *testing.T, reply func(modeltest.ChatRequest) modeltest.Reply, p Prompts) (*Generator, *modeltest.Server) {
	srv := modeltest.New(t)
	srv.Chat = reply
	c, err := openai.New(openai.Options{BaseURL: srv.URL + "/v1", Model: "test-llm"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(c, Options{Prompts: p})
	if err != nil {
		t.Fatal(err)
	}
	return g, srv
}

func TestGenerate(t *testing.T) {
	var prompt modeltest.ChatRequest
	g, _ := newGen(t, func(r modeltest.ChatRequest) modeltest.Reply {
		prompt = r
		return modeltest.Reply{Text: "New hires get 20 days [1], and up to five carry over [2][5]."}
	}, Prompts{})
	for _, stream := range []bool{false, true} {
		var pieces []string
		var onDelta func(string) error
		if stream {
			onDelta = func(s string) error { pieces = append(pieces, s); return nil }
		}
		ans, err := g.Generate(context.Background(), Input{Question: "How many vacation days?", Language: "en", Hits: hits(),
			History: []schema.Message{{Role: "user", Content: "Hi"}, {Role: "assistant", Content: "Hello"}}}, onDelta)
		if err != nil {
			t.Fatal(err)
		}
		want := "New hires get 20 days [1], and up to five carry over [2]."
		if ans.Text != want || ans.Invalid != 1 || ans.NoAnswer {
			t.Errorf("stream %v: text %q invalid %d", stream, ans.Text, ans.Invalid)
		}
		if stream && (len(pieces) < 5 || strings.Join(pieces, "") != want) {
			t.Errorf("pieces %q", pieces)
		}
		if len(ans.Citations) != 2 || ans.Citations[0].Index != 1 || ans.Citations[0].DocumentID != "d1" || ans.Citations[1].Index != 2 ||
			ans.Citations[1].Source != "policy.md" || ans.Citations[0].Section != "Leave" || ans.Citations[0].ChunkID != "d1#0" {
			t.Errorf("citations %+v", ans.Citations)
		}
		if ans.Usage.PromptTokens == 0 || ans.Usage.CompletionTokens == 0 {
			t.Errorf("usage %+v", ans.Usage)
		}
	}
	// The prompt: system instructions, the history, then the numbered sources.
	if len(prompt.Messages) != 4 || prompt.Messages[0].Role != "system" || !strings.Contains(prompt.Messages[0].Content, "[1]") ||
		prompt.Messages[1].Content != "Hi" || !strings.Contains(prompt.Last(), "[1] handbook.md § Leave\nNew hires get 20") ||
		!strings.Contains(prompt.Last(), "[2] policy.md") || !strings.HasSuffix(prompt.Last(), "Question: How many vacation days?") {
		t.Errorf("prompt %+v", prompt.Messages)
	}
}

func TestGenerateChineseAndCustomPrompts(t *testing.T) {
	var got modeltest.ChatRequest
	g, _ := newGen(t, func(r modeltest.ChatRequest) modeltest.Reply {
		got = r
		return modeltest.Reply{Text: "二十天【1】。"}
	}, Prompts{})
	ans, err := g.Generate(context.Background(), Input{Question: "新员工有几天假？", Language: "zh", Hits: hits()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.Messages[0].Content, "编号资料") || !strings.Contains(got.Last(), "问题：新员工有几天假？") || ans.Text != "二十天[1]。" {
		t.Errorf("chinese prompt %q / answer %q", got.Messages[0].Content, ans.Text)
	}
	g, _ = newGen(t, func(r modeltest.ChatRequest) modeltest.Reply { got = r; return modeltest.Reply{Text: "I do not know."} },
		Prompts{System: "Custom system ({{.Language}}).", User: "Q={{.Question}}\n{{.Context}}"})
	ans, err = g.Generate(context.Background(), Input{Question: "Why?", Language: "en", Hits: hits()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Messages[0].Content != "Custom system (en)." || !strings.HasPrefix(got.Last(), "Q=Why?\n[1] handbook.md") {
		t.Errorf("custom prompts %+v", got.Messages)
	}
	if !ans.NoAnswer || len(ans.Citations) != 0 {
		t.Errorf("an uncited answer is a no-answer: %+v", ans)
	}
	if _, err := New(nil, Options{Prompts: Prompts{User: "{{.Nope"}}); err == nil {
		t.Error("a broken template was accepted")
	}
}

func TestGenerateModelError(t *testing.T) {
	g, _ := newGen(t, func(modeltest.ChatRequest) modeltest.Reply {
		return modeltest.Reply{Status: 401, Body: `{"error":{"message":"Invalid API key","code":"invalid_api_key"}}`}
	}, Prompts{})
	_, err := g.Generate(context.Background(), Input{Question: "q", Hits: hits()}, func(string) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "openai model test-llm: HTTP 401: Invalid API key (invalid_api_key)") {
		t.Errorf("error %v", err)
	}
}

func TestQuery(t *testing.T) {
	srv := modeltest.New(t)
	srv.Chat = func(r modeltest.ChatRequest) modeltest.Reply {
		if r.ResponseFormat != nil && r.ResponseFormat.Type == "json_object" {
			return modeltest.Reply{Text: "```json\n{\"queries\": [\"vacation allowance new employees\", \"How many vacation days?\", \"annual leave entitlement\", \"extra\"]}\n```"}
		}
		if !strings.Contains(r.Last(), "user: How many vacation days do new hires get?") || !strings.Contains(r.Last(), "Last question: And in Munich?") {
			t.Errorf("rewrite prompt %q", r.Last())
		}
		return modeltest.Reply{Text: "\"How many vacation days do new hires in Munich get?\"\n"}
	}
	c, _ := openai.New(openai.Options{BaseURL: srv.URL + "/v1", Model: "m"})
	q, err := NewQuery(c, "", "")
	if err != nil {
		t.Fatal(err)
	}
	hist := []schema.Message{{Role: "user", Content: "How many vacation days do new hires get?"}, {Role: "assistant", Content: "20 [1]."}}
	s, u, err := q.Rewrite(context.Background(), "And in Munich?", hist)
	if err != nil || s != "How many vacation days do new hires in Munich get?" || u.TotalTokens == 0 {
		t.Errorf("rewrite %q %+v %v", s, u, err)
	}
	qs, _, err := q.Expand(context.Background(), "How many vacation days?", 2)
	if err != nil || len(qs) != 2 || qs[0] != "vacation allowance new employees" || qs[1] != "annual leave entitlement" {
		t.Errorf("expand %q %v", qs, err)
	}
	if _, err := parseQueries("sure! here you go"); err == nil {
		t.Error("prose accepted as queries")
	}
}
