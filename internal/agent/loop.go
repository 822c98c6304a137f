package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/tool"
)

// loop lets the chat model answer, calling allow-listed tools in rounds:
// at most agent.max_steps rounds with tools, then one without, and never
// past agent.token_budget (then retrieval answers instead). A call of a
// tool off the allow-list is refused before it reaches the registry's
// tool, whatever the model was told by a document or a tool result.
func (a *Agent) loop(ctx context.Context, tr *tracer, req Request, p Perception) (schema.Response, error) {
	allowed := a.cfg.Agent.Tools
	var specs []model.ToolSpec
	for _, s := range a.tools.Specs(allowed) {
		specs = append(specs, model.ToolSpec{Name: s.Name, Description: s.Description, Parameters: s.Parameters})
	}
	limit := int(a.cfg.Agent.MaxToolOutput)
	msgs := []model.Message{
		{Role: "system", Content: systemPrompt},
		{Role: "user", Content: quote("question", "", p.Standalone, 4000)},
	}
	var cites []schema.Citation
	used := 0
	for round := 1; ; round++ {
		if used >= a.cfg.Agent.TokenBudget {
			tr.step("decide", time.Now(), map[string]any{"by": "budget", "action": ActionRetrieve,
				"reason": "token budget spent", "tokens": used, "token_budget": a.cfg.Agent.TokenBudget})
			return a.retrieve(ctx, req, p, req.Collection, 0)
		}
		final := round > a.cfg.Agent.MaxSteps
		creq := model.ChatRequest{Messages: msgs}
		if !final {
			creq.Tools = specs
		}
		t0 := time.Now()
		var resp model.ChatResponse
		var err error
		if final {
			// The last round has no tools: its text is the answer, streamed.
			resp, err = a.chat.Stream(ctx, creq, emitter(req))
		} else {
			resp, err = a.chat.Chat(ctx, creq)
		}
		if err != nil {
			return schema.Response{}, err
		}
		spent := resp.Usage.TotalTokens
		if spent == 0 {
			spent = estimateTokens(msgs, resp.Message)
		}
		used += spent
		tr.usage = tr.usage.Add(resp.Usage)
		if len(resp.Message.ToolCalls) == 0 || final {
			tr.step("generate", t0, map[string]any{"generator": "model", "round": round, "tokens": spent,
				"finish_reason": resp.FinishReason, "citations": len(cites)})
			answer := resp.Message.Content
			if !final {
				if err := a.emit(req, answer); err != nil {
					return schema.Response{}, err
				}
			}
			return a.stamp(ctx, schema.Response{Answer: answer, Citations: cites, NoAnswer: answer == ""})
		}
		names := make([]string, len(resp.Message.ToolCalls))
		for i, c := range resp.Message.ToolCalls {
			names[i] = c.Name
		}
		tr.step("decide", t0, map[string]any{"by": "model", "round": round, "action": ActionTool, "tool_calls": names,
			"tokens": spent, "tokens_used": used, "token_budget": a.cfg.Agent.TokenBudget})
		msgs = append(msgs, resp.Message)
		for _, c := range resp.Message.ToolCalls {
			t1 := time.Now()
			if c.Name == "search_documents" {
				c.Arguments = pinCollection(c.Arguments, req.Collection)
			}
			var out json.RawMessage
			args, err := guardToolCall(req, c.Name, json.RawMessage(c.Arguments), req.Collection)
			if err == nil {
				out, err = a.tools.CallAllowed(ctx, allowed, c.Name, args)
			} else {
				err = fmt.Errorf("%w: %w", tool.ErrDenied, err)
			}
			detail := map[string]any{"tool": c.Name, "by": "model", "arguments": tool.Redact(json.RawMessage(c.Arguments)), "outcome": tool.OutcomeOf(err)}
			var content string
			if err != nil {
				if ctx.Err() != nil {
					return schema.Response{}, ctx.Err()
				}
				detail["error"] = err.Error()
				content = quote("tool_error", c.Name, err.Error(), limit)
			} else {
				if c.Name == "search_documents" {
					out, cites = numberHits(out, cites)
				}
				content = quote("tool_result", c.Name, string(out), limit)
			}
			tr.step("tool", t1, detail)
			msgs = append(msgs, model.Message{Role: "tool", ToolCallID: c.ID, Name: c.Name, Content: content})
		}
	}
}

// pinCollection sets the collection of a search_documents call to the one
// the question was asked about: the caller was allowed that collection,
// and a model (or a document it read) must not widen it.
func pinCollection(args, collection string) string {
	var m map[string]any
	if json.Unmarshal([]byte(args), &m) != nil || m == nil {
		return args // the schema check reports it
	}
	m["collection"] = collection
	b, err := json.Marshal(m)
	if err != nil {
		return args
	}
	return string(b)
}

// numberHits gives each search_documents hit a ref number continuing
// after the citations so far, and returns them as citations.
func numberHits(out json.RawMessage, cites []schema.Citation) (json.RawMessage, []schema.Citation) {
	var res struct {
		Query string           `json:"query"`
		Hits  []map[string]any `json:"hits"`
	}
	if json.Unmarshal(out, &res) != nil {
		return out, cites
	}
	for _, h := range res.Hits {
		n := len(cites) + 1
		h["ref"] = n
		str := func(k string) string { s, _ := h[k].(string); return s }
		num := func(k string) float64 { f, _ := h[k].(float64); return f }
		cites = append(cites, schema.Citation{Index: n, DocumentID: str("document_id"), ChunkID: str("chunk_id"),
			Source: str("source"), Title: str("title"), Page: int(num("page")), Section: str("section"),
			Start: int(num("start")), End: int(num("end")), Text: str("text"), Score: num("score")})
	}
	b, err := json.Marshal(res)
	if err != nil {
		return out, cites
	}
	return b, cites
}

// estimateTokens guesses a call's tokens (four bytes a token) for servers
// that report no usage, so the budget still binds.
func estimateTokens(msgs []model.Message, reply model.Message) int {
	n := len(reply.Content)
	for _, m := range msgs {
		n += len(m.Content)
	}
	for _, c := range reply.ToolCalls {
		n += len(c.Arguments)
	}
	return n/4 + 1
}
