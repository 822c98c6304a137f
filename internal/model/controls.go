package model

import "encoding/json"

// Controls are a client's settings for one answer: sampling, limits,
// tools and output format, passed to the chat model that writes it. The
// OpenAI-compatible API fills them from a request; nil means none.
type Controls struct {
	// Instructions are the client's own system text, sent after the
	// built-in answer prompt.
	Instructions string
	// Tools are the client's functions the model may call; the calls
	// come back to the client, which runs them.
	Tools             []ToolSpec
	ToolChoice        json.RawMessage
	ParallelToolCalls *bool
	// ResponseFormat is OpenAI's response_format object.
	ResponseFormat json.RawMessage
	// MaxTokens caps the answer (0: no cap of the client's).
	MaxTokens   int
	Temperature *float64
	TopP        *float64
	Seed        *int64
	Stop        []string
	User        string
	// Continuation holds the messages of this turn after the question:
	// the assistant's tool calls and the client's tool results.
	Continuation []Message
	// OnToolCall, when set, receives tool calls piece by piece as the
	// model streams them.
	OnToolCall func(ToolCallDelta) error
}

// Apply sets the controls on a chat request; nil changes nothing.
func (c *Controls) Apply(req *ChatRequest) {
	if c == nil {
		return
	}
	if c.MaxTokens > 0 {
		req.MaxTokens = c.MaxTokens
	}
	if c.Temperature != nil {
		req.Temperature = c.Temperature
	}
	req.TopP, req.Seed, req.Stop, req.User = c.TopP, c.Seed, c.Stop, c.User
	req.Tools = append(req.Tools, c.Tools...)
	req.ToolChoice, req.ParallelToolCalls = c.ToolChoice, c.ParallelToolCalls
	req.ResponseFormat = c.ResponseFormat
	req.OnToolCall = c.OnToolCall
}

// Structured reports whether the answer must be JSON
// (response_format json_object or json_schema).
func (c *Controls) Structured() bool {
	if c == nil || len(c.ResponseFormat) == 0 {
		return false
	}
	var f struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(c.ResponseFormat, &f)
	return f.Type == "json_object" || f.Type == "json_schema"
}

// NeedsModel reports whether only a chat model can honour the controls:
// client tools or a JSON response format.
func (c *Controls) NeedsModel() bool {
	return c != nil && (len(c.Tools) > 0 || c.Structured())
}
