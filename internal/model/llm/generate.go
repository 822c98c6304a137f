package llm

import (
	"context"
	"fmt"
	"strings"

	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/schema"
)

// Options configure a Generator.
type Options struct {
	Prompts Prompts
	// MaxTokens caps the answer (0: the model's configured default).
	MaxTokens int
	// MaxChunkChars cuts each chunk in the prompt (0: 4000 characters).
	MaxChunkChars int
}

// Generator answers from chunks with a chat model. It is safe for
// concurrent use.
type Generator struct {
	chat model.Chat
	o    Options
}

// New returns a generator; the templates are checked now.
func New(chat model.Chat, o Options) (*Generator, error) {
	if o.MaxChunkChars <= 0 {
		o.MaxChunkChars = 4000
	}
	for _, lang := range []string{"en", "zh"} {
		if _, err := compile(o.Prompts, lang); err != nil {
			return nil, err
		}
	}
	return &Generator{chat: chat, o: o}, nil
}

// Input is one question with its retrieved chunks.
type Input struct {
	Question string
	// Language picks the built-in prompt ("zh": Chinese, else English).
	Language string
	// History holds earlier turns, oldest first.
	History []schema.Message
	// Hits are the chunks, numbered 1… in this order in the prompt.
	Hits []schema.Hit
	// Controls are the client's settings for this answer, if any.
	Controls *model.Controls
}

// Answer is a generated answer.
type Answer struct {
	Text      string
	Citations []schema.Citation
	// Invalid counts citation numbers the model made up (dropped).
	Invalid int
	// NoAnswer is set when the answer cites no source.
	NoAnswer bool
	Usage    model.Usage
	// FinishReason is the model's ("stop", "length", "tool_calls").
	FinishReason string
	// ToolCalls are calls of the client's tools the model asks for
	// instead of (or before) answering.
	ToolCalls []model.ToolCall
}

// Context numbers the chunks as the prompt shows them.
func (g *Generator) Context(hits []schema.Hit) string {
	var b strings.Builder
	for i, h := range hits {
		fmt.Fprintf(&b, "[%d] %s", i+1, h.Source)
		if h.Title != "" && h.Title != h.Source {
			fmt.Fprintf(&b, " — %s", h.Title)
		}
		if h.Chunk.Page > 0 {
			fmt.Fprintf(&b, " (p. %d)", h.Chunk.Page)
		}
		if len(h.Chunk.Headings) > 0 {
			fmt.Fprintf(&b, " § %s", strings.Join(h.Chunk.Headings, " > "))
		}
		text := h.Chunk.Text
		if r := []rune(text); len(r) > g.o.MaxChunkChars {
			text = string(r[:g.o.MaxChunkChars]) + "…"
		}
		b.WriteString("\n" + strings.TrimSpace(text) + "\n\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Messages builds the chat request messages for in.
func (g *Generator) Messages(in Input) ([]model.Message, error) {
	t, err := compile(g.o.Prompts, in.Language)
	if err != nil {
		return nil, err
	}
	data := struct{ Question, Context, Language string }{in.Question, g.Context(in.Hits), in.Language}
	sys, err := render(t.system, data)
	if err != nil {
		return nil, err
	}
	usr, err := render(t.user, data)
	if err != nil {
		return nil, err
	}
	msgs := []model.Message{{Role: "system", Content: sys}}
	if c := in.Controls; c != nil && strings.TrimSpace(c.Instructions) != "" {
		msgs = append(msgs, model.Message{Role: "system", Content: c.Instructions})
	}
	for _, m := range in.History {
		if (m.Role == "user" || m.Role == "assistant") && strings.TrimSpace(m.Content) != "" {
			msgs = append(msgs, model.Message{Role: m.Role, Content: m.Content})
		}
	}
	msgs = append(msgs, model.Message{Role: "user", Content: usr})
	if c := in.Controls; c != nil {
		msgs = append(msgs, c.Continuation...)
	}
	return msgs, nil
}

// Generate answers in. With onDelta set the answer is streamed: onDelta
// receives the answer text piece by piece, invalid citations already
// removed; the pieces concatenate to Answer.Text.
func (g *Generator) Generate(ctx context.Context, in Input, onDelta func(string) error) (Answer, error) {
	msgs, err := g.Messages(in)
	if err != nil {
		return Answer{}, err
	}
	req := model.ChatRequest{Messages: msgs, MaxTokens: g.o.MaxTokens}
	in.Controls.Apply(&req)
	if in.Controls.Structured() {
		return g.structured(ctx, in, req, onDelta)
	}
	f := newCiteFilter(len(in.Hits))
	var text strings.Builder
	var resp model.ChatResponse
	if onDelta != nil {
		resp, err = g.chat.Stream(ctx, req, func(piece string) error {
			out := f.write(piece)
			if out == "" {
				return nil
			}
			text.WriteString(out)
			return onDelta(out)
		})
		if err == nil {
			if rest := f.flush(); rest != "" {
				text.WriteString(rest)
				err = onDelta(rest)
			}
		}
	} else {
		resp, err = g.chat.Chat(ctx, req)
		if err == nil {
			text.WriteString(f.write(resp.Message.Content))
			text.WriteString(f.flush())
		}
	}
	ans := Answer{Usage: resp.Usage, FinishReason: resp.FinishReason, ToolCalls: resp.Message.ToolCalls}
	if err != nil {
		return ans, err
	}
	ans.Text = strings.TrimSpace(text.String())
	ans.Invalid = f.invalid
	ans.Citations = citations(in.Hits, f.cited)
	ans.NoAnswer = len(ans.Citations) == 0 && len(ans.ToolCalls) == 0
	return ans, nil
}

// citations returns the citations of the numbered hits cited, in order.
func citations(hits []schema.Hit, cited []int) []schema.Citation {
	out := make([]schema.Citation, 0, len(cited))
	for _, n := range cited {
		h := hits[n-1]
		out = append(out, schema.Citation{
			Index:      n,
			DocumentID: h.Chunk.DocumentID,
			ChunkID:    h.Chunk.ID,
			Source:     h.Source,
			Title:      h.Title,
			Page:       h.Chunk.Page,
			Section:    strings.Join(h.Chunk.Headings, " > "),
			Start:      h.Chunk.Start,
			End:        h.Chunk.End,
			Text:       h.Chunk.Text,
			Score:      h.Score,
		})
	}
	return out
}
