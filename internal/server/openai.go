package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"github.com/ragline/ragline/internal/agent"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/text"
)

// The OpenAI-compatible API lets any OpenAI client (SDKs, chat front ends,
// agent frameworks) ask the knowledge base: every collection is a "model",
// and "default" is the configured default collection. It is stateless:
// the client sends the conversation with every request, as OpenAI clients
// do, so no session is recorded.

// defaultModel is the model name that always selects the configured
// default collection, so clients need no knowledge of collection names.
const defaultModel = "default"

// registerOpenAI adds the OpenAI-compatible routes.
func (s *Server) registerOpenAI() {
	// Collections carry no creation time; models report when this server
	// started, which is stable for the life of the process.
	started := time.Now().Unix()
	s.v1("GET /v1/models", scopeChat, s.listModels(started))
	s.v1("GET /v1/models/{model}", scopeChat, s.getModel(started))
	s.v1("POST /v1/chat/completions", scopeChat, s.chatCompletions)
}

// openAIModel is one entry of GET /v1/models in OpenAI's shape.
type openAIModel struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

// modelNames returns "default" followed by every collection, sorted, each
// once: those the request's key may use.
func (s *Server) modelNames(r *http.Request) ([]string, error) {
	cols, err := s.kb.Collections(r.Context())
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(cols)+1)
	for c := range cols {
		if c != defaultModel && s.visibleCollection(r, c) {
			names = append(names, c)
		}
	}
	slices.Sort(names)
	if s.visibleCollection(r, s.opts.Config.Collection) {
		names = append([]string{defaultModel}, names...)
	}
	return names, nil
}

func (s *Server) listModels(created int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		names, err := s.modelNames(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		data := make([]openAIModel, 0, len(names))
		for _, n := range names {
			data = append(data, openAIModel{ID: n, Object: "model", Created: created, OwnedBy: "ragline"})
		}
		writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
	}
}

func (s *Server) getModel(created int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("model")
		if err := s.allowModel(r, name); err != nil {
			s.writeError(w, r, err)
			return
		}
		if _, err := s.collectionFor(r.Context(), name); err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, openAIModel{ID: name, Object: "model", Created: created, OwnedBy: "ragline"})
	}
}

// allowModel is allowCollection for a model name, checked before the
// model is looked up so a key learns nothing of collections it may not
// use: a forbidden model gets the 404 of one that does not exist.
func (s *Server) allowModel(r *http.Request, model string) error {
	name := model
	if name == defaultModel {
		name = ""
	}
	if s.allowCollection(r, "model", name) != nil {
		return noModel(model)
	}
	return nil
}

// noModel is the answer for a model (collection) that does not exist.
func noModel(model string) *apiError {
	return &apiError{status: http.StatusNotFound, Type: "not_found", Field: "model",
		Message: fmt.Sprintf("model %q does not exist: each collection is a model and %q is the default collection (GET /v1/models lists them)", model, defaultModel)}
}

// collectionFor maps a model name to the collection it asks.
func (s *Server) collectionFor(ctx context.Context, model string) (string, error) {
	if model == defaultModel || model == s.opts.Config.Collection {
		return s.opts.Config.Collection, nil
	}
	cols, err := s.kb.Collections(ctx)
	if err != nil {
		return "", err
	}
	if _, ok := cols[model]; !ok {
		return "", noModel(model)
	}
	return model, nil
}

// completionRequest is the body of POST /v1/chat/completions. Only text
// chat is supported; any field OpenAI defines beyond these (tools,
// response_format, logprobs, …) is rejected as unknown rather than
// silently ignored, because ragline could not honour it.
type completionRequest struct {
	Model         string              `json:"model"`
	Messages      []completionMessage `json:"messages"`
	Stream        bool                `json:"stream"`
	StreamOptions *streamOptions      `json:"stream_options"`
	// N must be 1 (or absent): there is exactly one answer per question.
	N *int `json:"n"`

	// Sampling and length controls are accepted for compatibility and
	// ignored: answers are extracted sentences, deterministic and never
	// truncated.
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	PresencePenalty     *float64        `json:"presence_penalty"`
	FrequencyPenalty    *float64        `json:"frequency_penalty"`
	Stop                json.RawMessage `json:"stop"` // a string or an array of strings
	User                string          `json:"user"`
	Seed                *int64          `json:"seed"`
}

// streamOptions are the stream_options of a request.
type streamOptions struct {
	// IncludeUsage asks for a final chunk with the token usage.
	IncludeUsage bool `json:"include_usage"`
	// IncludeObfuscation is accepted and ignored: chunks carry no padding.
	IncludeObfuscation *bool `json:"include_obfuscation"`
}

// completionMessage is one message of a request. Content stays raw until
// validation, where it is known which message it belongs to: it is a
// string, an array of content parts, or null.
type completionMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	Name    string          `json:"name"`
}

// conversation is a validated request: the question and what came before.
type conversation struct {
	question string
	history  []schema.Message
}

// parse validates a request and splits its messages into the question
// (the last message, which must be the user's) and the history (earlier
// user and assistant messages; system and developer messages are
// ignored, since ragline's answers come from the knowledge base, not from
// instructions).
func (req *completionRequest) parse() (conversation, error) {
	var c conversation
	if req.Model == "" {
		return c, badRequest("model", "model is required: a collection name, or %q", defaultModel)
	}
	if req.N != nil && *req.N != 1 {
		return c, badRequest("n", "n must be 1: ragline gives one answer per question")
	}
	if len(req.Messages) == 0 {
		return c, badRequest("messages", "messages is required: at least one user message")
	}
	last := len(req.Messages) - 1
	for i, m := range req.Messages {
		field := fmt.Sprintf("messages[%d]", i)
		switch m.Role {
		case "system", "developer", "user", "assistant":
		case "":
			return c, badRequest(field+".role", "role is required")
		default:
			return c, badRequest(field+".role", "role %q is not supported: want system, developer, user or assistant", m.Role)
		}
		content, err := messageText(m.Content, field+".content")
		if err != nil {
			return c, err
		}
		switch {
		case i == last && m.Role != "user":
			return c, badRequest(field+".role", "the last message must be the user's question, not %q", m.Role)
		case i == last && strings.TrimSpace(content) == "":
			return c, badRequest(field+".content", "the question is empty")
		case i == last:
			c.question = content
		case (m.Role == "user" || m.Role == "assistant") && strings.TrimSpace(content) != "":
			c.history = append(c.history, schema.Message{Role: m.Role, Content: content})
		}
	}
	return c, nil
}

// messageText returns the text of a message's content: a string, or the
// text parts of an array joined by newlines. Other part types (images,
// audio, files) are rejected: the knowledge base answers text questions.
func messageText(raw json.RawMessage, field string) (string, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", nil
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", badRequest(field, "invalid string: %v", err)
		}
		return s, nil
	case raw[0] != '[':
		return "", badRequest(field, "content must be a string or an array of text parts")
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", badRequest(field, "invalid content parts: %v", err)
	}
	texts := make([]string, 0, len(parts))
	for j, p := range parts {
		var part struct {
			Type string  `json:"type"`
			Text *string `json:"text"`
		}
		pf := fmt.Sprintf("%s[%d]", field, j)
		if err := json.Unmarshal(p, &part); err != nil {
			return "", badRequest(pf, "content part must be an object {\"type\":\"text\",\"text\":…}")
		}
		if part.Type != "text" {
			return "", badRequest(pf+".type", "content part type %q is not supported: only \"text\"", part.Type)
		}
		if part.Text == nil {
			return "", badRequest(pf+".text", "text is required")
		}
		texts = append(texts, *part.Text)
	}
	return strings.Join(texts, "\n"), nil
}

// completion is a chat.completion object. Beyond OpenAI's fields it
// carries ragline's citations (the objects of docs/api.md, one per [n]
// marker in the content) and a "ragline" extension; OpenAI clients ignore
// fields they do not know.
type completion struct {
	ID        string             `json:"id"`
	Object    string             `json:"object"`
	Created   int64              `json:"created"`
	Model     string             `json:"model"`
	Choices   []completionChoice `json:"choices"`
	Usage     completionUsage    `json:"usage"`
	Citations []schema.Citation  `json:"citations"`
	Ragline   raglineExtension   `json:"ragline"`
}

type completionChoice struct {
	Index        int             `json:"index"`
	Message      assistantOutput `json:"message"`
	FinishReason string          `json:"finish_reason"`
}

type assistantOutput struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// completionUsage reports estimated token counts. ragline runs no
// language model, so there is no tokenizer to count with: the counts come
// from text.CountTokens, a word and character estimate close to
// cl100k_base. prompt_tokens counts the question and the history
// messages, completion_tokens the answer.
type completionUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// raglineExtension carries the parts of ragline's response object that
// OpenAI's shape has no place for.
type raglineExtension struct {
	// Digest is the knowledge-base digest the answer came from.
	Digest string `json:"digest"`
	// NoAnswer is true when no passage was relevant enough to answer.
	NoAnswer bool `json:"no_answer"`
}

// completionChunk is one chat.completion.chunk of a stream.
type completionChunk struct {
	ID      string        `json:"id"`
	Object  string        `json:"object"`
	Created int64         `json:"created"`
	Model   string        `json:"model"`
	Choices []chunkChoice `json:"choices"`
	// Usage is set only on the usage chunk, which has no choices.
	Usage *completionUsage `json:"usage,omitempty"`
}

type chunkChoice struct {
	Index        int        `json:"index"`
	Delta        chunkDelta `json:"delta"`
	FinishReason *string    `json:"finish_reason"`
}

type chunkDelta struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content,omitempty"`
}

// finalChunk ends the choice and carries the citations and extension, so
// a streaming client gets everything the non-streaming response has.
type finalChunk struct {
	completionChunk
	Citations []schema.Citation `json:"citations"`
	Ragline   raglineExtension  `json:"ragline"`
}

func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	var req completionRequest
	if err := s.decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	conv, err := req.parse()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.allowModel(r, req.Model); err != nil {
		s.writeError(w, r, err)
		return
	}
	collection, err := s.collectionFor(r.Context(), req.Model)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Stream {
		s.streamCompletionLive(w, r, req, conv, collection)
		return
	}
	resp, err := s.agent.Run(r.Context(), agent.Request{Collection: collection, Question: conv.question, History: conv.history, MayUse: s.mayUse(r)})
	if err != nil {
		// Errors keep their status code: nothing has been sent yet.
		s.writeError(w, r, err)
		return
	}
	out := completion{
		ID:      "chatcmpl-" + rand.Text(),
		Object:  "chat.completion",
		Created: time.Now().Unix(),
		Model:   req.Model,
		Choices: []completionChoice{{
			Message:      assistantOutput{Role: "assistant", Content: resp.Answer},
			FinishReason: "stop",
		}},
		Usage:     usageOf(conv, resp),
		Citations: resp.Citations,
		Ragline:   raglineExtension{Digest: resp.Digest, NoAnswer: resp.NoAnswer},
	}
	if out.Citations == nil {
		out.Citations = []schema.Citation{}
	}
	writeJSON(w, http.StatusOK, out)
}

func usageOf(c conversation, resp schema.Response) completionUsage {
	if u := resp.Usage; u != nil {
		// A model answered: report what it counted.
		return completionUsage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
	}
	prompt := text.CountTokens(c.question)
	for _, m := range c.history {
		prompt += text.CountTokens(m.Content)
	}
	answer := text.CountTokens(resp.Answer)
	return completionUsage{PromptTokens: prompt, CompletionTokens: answer, TotalTokens: prompt + answer}
}

// data sends v as an unnamed event, the framing OpenAI streams use.
func (s *sse) data(v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return s.raw(strings.TrimSuffix(b.String(), "\n"))
}

func (s *sse) raw(data string) error {
	if _, err := fmt.Fprintf(s.w, "data: %s\n\n", data); err != nil {
		return err
	}
	s.f.Flush()
	return nil
}
