package model

import (
	"context"
	"encoding/json"
)

// Message is one chat message in the OpenAI wire shape.
type Message struct {
	// Role is "system", "user", "assistant" or "tool".
	Role    string `json:"role"`
	Content string `json:"content"`
	// ToolCalls are the calls an assistant message asks for.
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ToolCallID links a "tool" message to the call it answers.
	ToolCallID string `json:"tool_call_id,omitempty"`
	// Name is the tool's name on a "tool" message.
	Name string `json:"name,omitempty"`
}

// ToolCall is one function call requested by a model.
type ToolCall struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Arguments is the JSON object the model produced, verbatim.
	Arguments string `json:"arguments"`
}

// ToolSpec describes a callable tool to a model.
type ToolSpec struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Parameters is the JSON Schema of the arguments object.
	Parameters json.RawMessage `json:"parameters"`
}

// ChatRequest is one chat completion request.
type ChatRequest struct {
	Messages []Message
	Tools    []ToolSpec
	// JSON asks for a JSON object as the reply (response_format json_object).
	JSON bool
	// MaxTokens caps the completion (0: the server's default).
	MaxTokens int
	// Temperature, when set, overrides the configured temperature.
	Temperature *float64
	// TopP, Seed, Stop and User are sent as they are when set.
	TopP *float64
	Seed *int64
	Stop []string
	User string
	// ToolChoice is OpenAI's tool_choice ("auto", "none", "required" or a
	// function object), sent verbatim when set.
	ToolChoice json.RawMessage
	// ParallelToolCalls, when set, is sent as parallel_tool_calls.
	ParallelToolCalls *bool
	// ResponseFormat is OpenAI's response_format object, sent verbatim
	// when set; it takes precedence over JSON.
	ResponseFormat json.RawMessage
	// OnToolCall, when set, receives the pieces of tool calls as a
	// stream delivers them; an error from it stops the stream.
	OnToolCall func(ToolCallDelta) error
}

// ToolCallDelta is one piece of a streamed tool call: the first piece of
// a call carries its ID and name, later ones more of its arguments.
type ToolCallDelta struct {
	// Index numbers the calls of one message from 0.
	Index     int
	ID        string
	Name      string
	Arguments string
}

// Usage counts the tokens of one or more model calls.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// Add returns the sum of two usages.
func (u Usage) Add(o Usage) Usage {
	return Usage{u.PromptTokens + o.PromptTokens, u.CompletionTokens + o.CompletionTokens, u.TotalTokens + o.TotalTokens}
}

// ChatResponse is a finished completion.
type ChatResponse struct {
	Message Message
	// FinishReason is the server's reason ("stop", "length", "tool_calls").
	FinishReason string
	Usage        Usage
}

// Chat is a chat model. Implementations are safe for concurrent use.
type Chat interface {
	// Chat returns the whole completion.
	Chat(ctx context.Context, req ChatRequest) (ChatResponse, error)
	// Stream calls onDelta with each piece of text as it arrives and
	// returns the assembled completion; an error from onDelta stops the
	// stream and is returned. Cancelling ctx stops the stream promptly.
	Stream(ctx context.Context, req ChatRequest, onDelta func(text string) error) (ChatResponse, error)
}

// Embedder turns texts into vectors. Implementations are safe for
// concurrent use.
type Embedder interface {
	// Embed returns one vector per text, in order.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	// ID names the embedder and model ("openai:bge-m3"); vectors from
	// different IDs are never compared.
	ID() string
	// Dimensions is the length of every vector.
	Dimensions() int
}

// Ranked is one reranked document: its index in the input and its score.
type Ranked struct {
	Index int
	Score float64
}

// Reranker orders documents by relevance to a query. Implementations are
// safe for concurrent use.
type Reranker interface {
	// Rerank returns the documents' indexes and scores, best first.
	Rerank(ctx context.Context, query string, docs []string) ([]Ranked, error)
}
