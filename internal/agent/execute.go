package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/tool"
)

// execute carries out a decision.
func (a *Agent) execute(ctx context.Context, tr *tracer, req Request, p Perception, d Decision) (schema.Response, error) {
	switch d.Action {
	case ActionTool:
		return a.runTool(ctx, tr, req, p, d)
	case ActionRespond, ActionHandoff:
		resp := schema.Response{Answer: d.Message}
		if err := a.emit(req, resp.Answer); err != nil {
			return resp, err
		}
		return a.stamp(ctx, resp)
	case ActionModel:
		return a.loop(ctx, tr, req, p)
	}
	if d.Collection != req.Collection && req.MayUse != nil {
		if err := req.MayUse(d.Collection); err != nil {
			return schema.Response{}, err
		}
	}
	return a.retrieve(ctx, req, p, d.Collection, d.TopK)
}

// retrieve answers from the knowledge base with the agent's perception.
func (a *Agent) retrieve(ctx context.Context, req Request, p Perception, collection string, topK int) (schema.Response, error) {
	kp := p.Perception
	return a.kb.AskWith(ctx, kb.AskRequest{Collection: collection, Question: req.Question, History: req.History,
		TopK: topK, Perception: &kp, OnDelta: req.OnDelta, Controls: req.Controls})
}

// runTool calls the rule's tool and turns its result into the answer: by
// the rule's answer template, by the result's text, or, with feed_back and
// a chat model, by the model phrasing it.
func (a *Agent) runTool(ctx context.Context, tr *tracer, req Request, p Perception, d Decision) (schema.Response, error) {
	start := time.Now()
	args, err := guardToolCall(req, d.Tool, d.Arguments, d.Collection)
	if err != nil {
		return schema.Response{}, err
	}
	d.Arguments = args
	out, err := a.tools.Call(ctx, d.Tool, d.Arguments)
	detail := map[string]any{"tool": d.Tool, "arguments": tool.Redact(d.Arguments), "outcome": tool.OutcomeOf(err), "rule": d.Rule}
	if err != nil {
		detail["error"] = err.Error()
		tr.step("tool", start, detail)
		if ctx.Err() != nil {
			return schema.Response{}, ctx.Err()
		}
		resp := schema.Response{Answer: "The " + d.Tool + " tool could not answer: " + err.Error(), NoAnswer: true}
		if e := a.emit(req, resp.Answer); e != nil {
			return resp, e
		}
		return a.stamp(ctx, resp)
	}
	limit := int(a.cfg.Agent.MaxToolOutput)
	detail["result"] = clip(string(out), limit)
	tr.step("tool", start, detail)

	var answer string
	if d.FeedBack && a.chat != nil {
		g := time.Now()
		resp, err := a.chat.Stream(ctx, model.ChatRequest{Messages: []model.Message{
			{Role: "system", Content: systemPrompt + "\nAnswer the question from the tool result alone, briefly."},
			{Role: "user", Content: quote("question", "", p.Standalone, 4000) + "\n" + quote("tool_result", d.Tool, string(out), limit)},
		}}, emitter(req))
		tr.usage = tr.usage.Add(resp.Usage)
		if err != nil {
			return schema.Response{}, err
		}
		tr.step("generate", g, map[string]any{"generator": "model", "from": "tool_result", "tool": d.Tool, "tokens": resp.Usage.TotalTokens})
		return a.stamp(ctx, schema.Response{Answer: resp.Message.Content})
	}
	answer, err = toolAnswer(d, p, out, limit)
	if err != nil {
		return schema.Response{}, err
	}
	if err := a.emit(req, answer); err != nil {
		return schema.Response{}, err
	}
	return a.stamp(ctx, schema.Response{Answer: answer})
}

// toolAnswer renders a tool result as the answer text.
func toolAnswer(d Decision, p Perception, out json.RawMessage, limit int) (string, error) {
	var v any
	_ = json.Unmarshal(out, &v)
	text := ""
	if m, ok := v.(map[string]any); ok {
		text, _ = m["text"].(string)
	} else if s, ok := v.(string); ok {
		text = s
	}
	if d.answer != nil {
		var b bytes.Buffer
		data := TemplateData{Question: p.Question, Standalone: p.Standalone, Language: p.Language, Intent: p.Intent,
			Match: p.Match, groups: p.Groups, Result: v, Text: text}
		if err := d.answer.Execute(&b, data); err != nil {
			return "", errorf("rule %s: answer: %v", d.Rule, err)
		}
		return clip(b.String(), limit), nil
	}
	if text != "" {
		return clip(text, limit), nil
	}
	return clip(string(out), limit), nil
}

// stamp sets the knowledge-base digest on an answer made without
// retrieval, so every response names what it was served from.
func (a *Agent) stamp(ctx context.Context, resp schema.Response) (schema.Response, error) {
	d, err := a.kb.Digest(ctx)
	if err != nil {
		return resp, err
	}
	resp.Digest = d
	return resp, nil
}

func (a *Agent) emit(req Request, text string) error {
	if req.OnDelta == nil || text == "" {
		return nil
	}
	return req.OnDelta(text)
}

func emitter(req Request) func(string) error {
	if req.OnDelta == nil {
		return func(string) error { return nil }
	}
	return req.OnDelta
}

// clip cuts s to limit bytes at a rune boundary, marking the cut.
func clip(s string, limit int) string {
	if limit <= 0 || len(s) <= limit {
		return s
	}
	s = strings.ToValidUTF8(s[:limit], "")
	return s + "…"
}
