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
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatRequest is a chat completion request as received.
type ChatRequest struct {
	Model          string    `json:"model"`
	Messages       []Message `json:"messages"`
	Stream         bool      `json:"stream"`
	ResponseFormat *struct {
		Type string `json:"type"`
	} `json:"response_format"`
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

	mu    sync.Mutex
	calls map[string]int
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
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-test", "object": "chat.completion", "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": rep.Text}, "finish_reason": "stop"}},
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
	send(chunk(map[string]any{}, "stop"))
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
