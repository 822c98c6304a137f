package openai

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ragline/ragline/internal/model"
)

// wire types of POST /chat/completions.
type (
	chatPayload struct {
		Model             string          `json:"model"`
		Messages          []wireMessage   `json:"messages"`
		Tools             []wireTool      `json:"tools,omitempty"`
		ToolChoice        json.RawMessage `json:"tool_choice,omitempty"`
		ParallelToolCalls *bool           `json:"parallel_tool_calls,omitempty"`
		ResponseFormat    json.RawMessage `json:"response_format,omitempty"`
		MaxTokens         int             `json:"max_tokens,omitempty"`
		Temperature       *float64        `json:"temperature,omitempty"`
		TopP              *float64        `json:"top_p,omitempty"`
		Seed              *int64          `json:"seed,omitempty"`
		Stop              []string        `json:"stop,omitempty"`
		User              string          `json:"user,omitempty"`
		Stream            bool            `json:"stream,omitempty"`
		StreamOptions     *streamOptions  `json:"stream_options,omitempty"`
	}
	streamOptions struct {
		IncludeUsage bool `json:"include_usage"`
	}
	wireMessage struct {
		Role       string         `json:"role"`
		Content    *string        `json:"content"`
		ToolCalls  []wireToolCall `json:"tool_calls,omitempty"`
		ToolCallID string         `json:"tool_call_id,omitempty"`
		Name       string         `json:"name,omitempty"`
	}
	wireToolCall struct {
		Index    *int   `json:"index,omitempty"`
		ID       string `json:"id,omitempty"`
		Type     string `json:"type,omitempty"`
		Function struct {
			Name      string `json:"name,omitempty"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	}
	wireTool struct {
		Type     string       `json:"type"`
		Function wireFunction `json:"function"`
	}
	wireFunction struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters,omitempty"`
	}
	wireUsage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	}
	chatResponse struct {
		Choices []struct {
			Message      wireMessage `json:"message"`
			FinishReason string      `json:"finish_reason"`
		} `json:"choices"`
		Usage *wireUsage      `json:"usage"`
		Error json.RawMessage `json:"error"`
	}
	chatChunk struct {
		Choices []struct {
			Delta struct {
				Content   *string        `json:"content"`
				ToolCalls []wireToolCall `json:"tool_calls"`
			} `json:"delta"`
			FinishReason *string `json:"finish_reason"`
		} `json:"choices"`
		Usage *wireUsage      `json:"usage"`
		Error json.RawMessage `json:"error"`
	}
)

func (u *wireUsage) usage() model.Usage {
	if u == nil {
		return model.Usage{}
	}
	out := model.Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
	if out.TotalTokens == 0 {
		out.TotalTokens = out.PromptTokens + out.CompletionTokens
	}
	return out
}

func (c *Client) payload(req model.ChatRequest, stream bool) chatPayload {
	p := chatPayload{Model: c.o.Model, MaxTokens: c.o.MaxTokens, Stream: stream}
	if req.MaxTokens > 0 {
		p.MaxTokens = req.MaxTokens
	}
	t := c.o.Temperature
	if req.Temperature != nil {
		t = *req.Temperature
	}
	p.Temperature = &t
	switch {
	case len(req.ResponseFormat) > 0:
		p.ResponseFormat = req.ResponseFormat
	case req.JSON:
		p.ResponseFormat = json.RawMessage(`{"type":"json_object"}`)
	}
	p.TopP, p.Seed, p.Stop, p.User = req.TopP, req.Seed, req.Stop, req.User
	p.ToolChoice, p.ParallelToolCalls = req.ToolChoice, req.ParallelToolCalls
	if stream {
		p.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	for _, m := range req.Messages {
		wm := wireMessage{Role: m.Role, ToolCallID: m.ToolCallID, Name: m.Name}
		if m.Content != "" || len(m.ToolCalls) == 0 {
			content := m.Content
			wm.Content = &content
		}
		for _, tc := range m.ToolCalls {
			w := wireToolCall{ID: tc.ID, Type: "function"}
			w.Function.Name, w.Function.Arguments = tc.Name, tc.Arguments
			wm.ToolCalls = append(wm.ToolCalls, w)
		}
		p.Messages = append(p.Messages, wm)
	}
	for _, t := range req.Tools {
		p.Tools = append(p.Tools, wireTool{Type: "function", Function: wireFunction{Name: t.Name, Description: t.Description, Parameters: t.Parameters}})
	}
	return p
}

func (c *Client) fail(msg string, err error) *Error {
	return &Error{Provider: c.o.Provider, Model: c.o.Model, Message: msg, Err: err}
}

func (c *Client) report(u model.Usage) {
	if c.o.OnUsage != nil && (u.PromptTokens > 0 || u.CompletionTokens > 0) {
		c.o.OnUsage(c.o.Model, u)
	}
}

// Chat returns a whole completion.
func (c *Client) Chat(ctx context.Context, req model.ChatRequest) (model.ChatResponse, error) {
	attempts := 0
	var last *Error
	for {
		resp, err := c.chatOnce(ctx, req, &attempts, last)
		if err == nil {
			return resp, nil
		}
		var e *Error
		// A body that broke or timed out while being read is retried like
		// a failed request.
		if !errors.As(err, &e) || e.Status != 0 || !e.Temporary() || ctx.Err() != nil || attempts > c.o.MaxRetries {
			return model.ChatResponse{}, err
		}
		last = e
	}
}

func (c *Client) chatOnce(ctx context.Context, req model.ChatRequest, attempts *int, last *Error) (model.ChatResponse, error) {
	resp, wd, err := c.do(ctx, "chat/completions", c.payload(req, false), attempts, last)
	if err != nil {
		return model.ChatResponse{}, err
	}
	defer wd.done()
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		e := c.readError(ctx, wd, err)
		e.Attempts = *attempts
		return model.ChatResponse{}, e
	}
	var cr chatResponse
	if err := json.Unmarshal(raw, &cr); err != nil {
		return model.ChatResponse{}, c.fail(fmt.Sprintf("unreadable response (%v): %.200s", err, raw), nil)
	}
	if len(cr.Error) > 0 && string(cr.Error) != "null" {
		return model.ChatResponse{}, c.fail(serverMessage(raw, "error"), nil)
	}
	if len(cr.Choices) == 0 {
		return model.ChatResponse{}, c.fail(fmt.Sprintf("response has no choices: %.200s", raw), nil)
	}
	ch := cr.Choices[0]
	out := model.ChatResponse{FinishReason: ch.FinishReason, Usage: cr.Usage.usage()}
	out.Message.Role = "assistant"
	if ch.Message.Content != nil {
		out.Message.Content = *ch.Message.Content
	}
	for _, tc := range ch.Message.ToolCalls {
		out.Message.ToolCalls = append(out.Message.ToolCalls, model.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	c.report(out.Usage)
	return out, nil
}

// readError describes a failure while reading a response body.
func (c *Client) readError(ctx context.Context, wd *watchdog, err error) *Error {
	switch {
	case ctx.Err() != nil:
		return c.fail(ctx.Err().Error(), ctx.Err())
	case wd.timedOut():
		return c.fail(fmt.Sprintf("no data for %s", c.o.Timeout), errAttemptTimeout)
	}
	return c.fail("response broken off: "+err.Error(), err)
}

// Stream streams a completion, calling onDelta with each piece of text.
// Tool calls are assembled from their deltas. A failure before the first
// piece is retried like a failed request; after it, the error is returned
// (the pieces already delivered cannot be taken back).
func (c *Client) Stream(ctx context.Context, req model.ChatRequest, onDelta func(string) error) (model.ChatResponse, error) {
	attempts := 0
	var last *Error
	for {
		resp, delivered, err := c.streamOnce(ctx, req, onDelta, &attempts, last)
		if err == nil {
			return resp, nil
		}
		var e *Error
		if delivered || !errors.As(err, &e) || e.Status != 0 || !e.Temporary() || ctx.Err() != nil || attempts > c.o.MaxRetries {
			return resp, err
		}
		last = e
	}
}

// maxLine bounds one SSE line.
const maxLine = 4 << 20

func (c *Client) streamOnce(ctx context.Context, req model.ChatRequest, onDelta func(string) error, attempts *int, last *Error) (model.ChatResponse, bool, error) {
	var out model.ChatResponse
	out.Message.Role = "assistant"
	resp, wd, err := c.do(ctx, "chat/completions", c.payload(req, true), attempts, last)
	if err != nil {
		return out, false, err
	}
	defer wd.done()
	defer resp.Body.Close()

	var text strings.Builder
	calls := map[int]*model.ToolCall{}
	delivered, done, finished := false, false, false
	r := bufio.NewReaderSize(resp.Body, 64<<10)
	var line []byte
	for !done {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(line) > maxLine {
				return out, delivered, c.fail("stream line longer than 4 MiB", nil)
			}
			continue
		}
		if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
			if errors.Is(err, io.EOF) {
				if finished {
					break // servers that end without [DONE]
				}
				e := c.fail("stream ended before the completion finished", io.ErrUnexpectedEOF)
				e.Attempts = *attempts
				return out, delivered, e
			}
			e := c.readError(ctx, wd, err)
			e.Attempts = *attempts
			return out, delivered, e
		}
		wd.kick()
		data, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r\n"), []byte("data:"))
		line = line[:0]
		if !ok {
			continue // blank separator, comment, event: or id: line
		}
		data = bytes.TrimSpace(data)
		if string(data) == "[DONE]" {
			break
		}
		var ck chatChunk
		if err := json.Unmarshal(data, &ck); err != nil {
			return out, delivered, c.fail(fmt.Sprintf("unreadable stream chunk (%v): %.200s", err, data), nil)
		}
		if len(ck.Error) > 0 && string(ck.Error) != "null" {
			return out, delivered, c.fail(serverMessage(data, "error"), nil)
		}
		if ck.Usage != nil {
			out.Usage = ck.Usage.usage()
		}
		for _, ch := range ck.Choices {
			if d := ch.Delta.Content; d != nil && *d != "" {
				text.WriteString(*d)
				delivered = true
				if err := onDelta(*d); err != nil {
					return out, delivered, err
				}
			}
			for _, tc := range ch.Delta.ToolCalls {
				i := len(calls)
				if tc.Index != nil {
					i = *tc.Index
				}
				call := calls[i]
				if call == nil {
					call = &model.ToolCall{}
					calls[i] = call
				}
				if tc.ID != "" {
					call.ID = tc.ID
				}
				call.Name += tc.Function.Name
				call.Arguments += tc.Function.Arguments
				if req.OnToolCall != nil {
					delivered = true
					if err := req.OnToolCall(model.ToolCallDelta{Index: i, ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments}); err != nil {
						return out, delivered, err
					}
				}
			}
			if ch.FinishReason != nil && *ch.FinishReason != "" {
				out.FinishReason = *ch.FinishReason
				finished = true
			}
		}
	}
	out.Message.Content = text.String()
	idx := make([]int, 0, len(calls))
	for i := range calls {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		out.Message.ToolCalls = append(out.Message.ToolCalls, *calls[i])
	}
	c.report(out.Usage)
	return out, delivered, nil
}
