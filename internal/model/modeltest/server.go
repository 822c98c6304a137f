package modeltest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"unicode/utf8"
)

// Message is a chat message as received.
type Message struct {
	Role       string     `json:"role"`
	Content    string     `json:"content"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// ToolCall is a function call in OpenAI's wire shape.
type ToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// ChatRequest is a chat completion request as received.
type ChatRequest struct {
	Model          string    `json:"model"`
	Messages       []Message `json:"messages"`
	Stream         bool      `json:"stream"`
	ResponseFormat *struct {
		Type       string          `json:"type"`
		JSONSchema json.RawMessage `json:"json_schema,omitempty"`
	} `json:"response_format,omitempty"`
	Tools             []json.RawMessage `json:"tools,omitempty"`
	ToolChoice        json.RawMessage   `json:"tool_choice,omitempty"`
	ParallelToolCalls *bool             `json:"parallel_tool_calls,omitempty"`
	MaxTokens         int               `json:"max_tokens,omitempty"`
	Temperature       *float64          `json:"temperature,omitempty"`
	TopP              *float64          `json:"top_p,omitempty"`
	Seed              *int64            `json:"seed,omitempty"`
	Stop              []string          `json:"stop,omitempty"`
	User              string            `json:"user,omitempty"`
}

// Last returns the content of the last message.
func (r ChatRequest) Last() string {
	if len(r.Messages) == 0 {
		return ""
	}
	return r.Messages[len(r.Messages)-1].Content
}

// Reply is a scripted answer: the text, or an HTTP error status with a
// body.
type Reply struct {
	Text   string
	Status int
	Body   string
	// ToolCalls, when set, are returned (finish_reason "tool_calls");
	// streamed, each call's arguments arrive in pieces.
	ToolCalls []ToolCall
	// FinishReason overrides "stop" (or "tool_calls").
	FinishReason string
}

// Call returns a tool call with the given id, function name and
// arguments.
func Call(id, name, args string) ToolCall {
	c := ToolCall{ID: id, Type: "function"}
	c.Function.Name, c.Function.Arguments = name, args
	return c
}

// Server is a scripted model server.
type Server struct {
	*httptest.Server
	// Chat answers chat completions; nil answers 404.
	Chat func(ChatRequest) Reply
	// Embed returns the vector of one text; nil answers 404.
	Embed func(text string) []float32
	// Rerank scores a document for a query; nil answers 404.
	Rerank func(query, doc string) float64

	mu       sync.Mutex
	calls    map[string]int
	requests []ChatRequest
}

// Requests returns the chat requests received so far, oldest first.
func (s *Server) Requests() []ChatRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ChatRequest(nil), s.requests...)
}

// New starts a server; it is closed when the test ends.
func New(t interface{ Cleanup(func()) }) *Server {
	s := &Server{calls: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Calls returns how many requests a path ("/v1/embeddings") received.
func (s *Server) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls[r.URL.Path]++
	s.mu.Unlock()
	switch {
	case strings.HasSuffix(r.URL.Path, "/chat/completions") && s.Chat != nil:
		s.chat(w, r)
	case strings.HasSuffix(r.URL.Path, "/embeddings") && s.Embed != nil:
		s.embeddings(w, r)
	case strings.HasSuffix(r.URL.Path, "/rerank") && s.Rerank != nil:
		s.rerank(w, r)
	default:
		http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
	}
}

func words(s string) int { return len(strings.Fields(s)) + utf8.RuneCountInString(s)/8 }

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var req ChatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":{"message":"bad json"}}`, 400)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	rep := s.Chat(req)
	if rep.Status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rep.Status)
		fmt.Fprint(w, rep.Body)
		return
	}
	prompt := 0
	for _, m := range req.Messages {
		prompt += words(m.Content)
	}
	completion := words(rep.Text)
	usage := map[string]int{"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
	finish := rep.FinishReason
	switch {
	case finish != "":
	case len(rep.ToolCalls) > 0:
		finish = "tool_calls"
	default:
		finish = "stop"
	}
	if !req.Stream {
		msg := map[string]any{"role": "assistant", "content": rep.Text}
		if len(rep.ToolCalls) > 0 {
			msg["tool_calls"] = rep.ToolCalls
			if rep.Text == "" {
				msg["content"] = nil
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-test", "object": "chat.completion", "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}},
			"usage":   usage,
		})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	f, _ := w.(http.Flusher)
	send := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if f != nil {
			f.Flush()
		}
	}
	chunk := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{"id": "chatcmpl-test", "object": "chat.completion.chunk", "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
	}
	send(chunk(map[string]any{"role": "assistant", "content": ""}, nil))
	// Pieces of about three characters, as tokenizers cut text.
	rs := []rune(rep.Text)
	for i := 0; i < len(rs); i += 3 {
		send(chunk(map[string]any{"content": string(rs[i:min(i+3, len(rs))])}, nil))
	}
	for i, c := range rep.ToolCalls {
		// The first piece names the call, the rest carry its arguments.
		args := []rune(c.Function.Arguments)
		half := len(args) / 2
		send(chunk(map[string]any{"tool_calls": []any{map[string]any{"index": i, "id": c.ID, "type": "function",
			"function": map[string]any{"name": c.Function.Name, "arguments": string(args[:half])}}}}, nil))
		send(chunk(map[string]any{"tool_calls": []any{map[string]any{"index": i,
			"function": map[string]any{"arguments": string(args[half:])}}}}, nil))
	}
	send(chunk(map[string]any{}, finish))
	send(map[string]any{"id": "chatcmpl-test", "object": "chat.completion.chunk", "choices": []any{}, "usage": usage})
	fmt.Fprint(w, "data: [DONE]\n\n")
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Input []string `json:"input"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":{"message":"bad json"}}`, 400)
		return
	}
	data := make([]any, len(req.Input))
	tokens := 0
	for i, t := range req.Input {
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": s.Embed(t)}
		tokens += words(t)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "usage": map[string]int{"prompt_tokens": tokens, "total_tokens": tokens}})
}

func (s *Server) rerank(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Query     string   `json:"query"`
		Texts     []string `json:"texts"`     // TEI
		Documents []string `json:"documents"` // Cohere, Jina
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":"bad json"}`, 400)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if req.Texts != nil { // TEI: [{"index":0,"score":0.9}, ...]
		out := make([]map[string]any, len(req.Texts))
		for i, t := range req.Texts {
			out[i] = map[string]any{"index": i, "score": s.Rerank(req.Query, t)}
		}
		_ = json.NewEncoder(w).Encode(out)
		return
	}
	out := make([]map[string]any, len(req.Documents))
	for i, t := range req.Documents {
		out[i] = map[string]any{"index": i, "relevance_score": s.Rerank(req.Query, t)}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"id": "rr-test", "results": out, "meta": map[string]any{"billed_units": map[string]int{"search_units": 1}}})
}
