package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/ragline/ragline/internal/agent"
	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/model/llm"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/text"
)

// The OpenAI-compatible API lets any OpenAI client (SDKs, chat front ends,
// agent frameworks) ask the knowledge base: every collection is a "model",
// and "default" is the configured default collection. Chat Completions is
// stateless: the client sends the conversation with every request, as
// OpenAI clients do, so no session is recorded; the Responses API
// (openai_responses.go) keeps conversations in sessions.

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
	s.v1("POST /v1/responses", scopeChat, s.responses)
	s.v1("POST /v1/embeddings", scopeChat, s.embeddings)
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
		if _, err := s.modelCollection(r, name); err != nil {
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

// completionRequest is the body of POST /v1/chat/completions. Fields
// OpenAI defines beyond these (logit_bias, audio, …) are rejected as
// unknown rather than silently ignored, because ragline could not honour
// them; docs/api.md lists what each field does offline and with a chat
// model.
type completionRequest struct {
	Model         string              `json:"model"`
	Messages      []completionMessage `json:"messages"`
	Stream        bool                `json:"stream"`
	StreamOptions *streamOptions      `json:"stream_options"`
	// N must be 1 (or absent): there is exactly one answer per question.
	N *int `json:"n"`

	// Client tools and the output format need a chat model.
	Tools             []openAITool    `json:"tools"`
	ToolChoice        json.RawMessage `json:"tool_choice"`
	ParallelToolCalls *bool           `json:"parallel_tool_calls"`
	ResponseFormat    json.RawMessage `json:"response_format"`

	// Length limits and stop are honoured in both modes; sampling is
	// passed to a chat model and has no effect on extracted answers.
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Stop                json.RawMessage `json:"stop"` // a string or an array of strings
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	Seed                *int64          `json:"seed"`
	PresencePenalty     *float64        `json:"presence_penalty"`
	FrequencyPenalty    *float64        `json:"frequency_penalty"`
	// User is passed to a chat model and recorded in the trace.
	User string `json:"user"`
	// Logprobs must be false: there are no token probabilities to give.
	Logprobs *bool `json:"logprobs"`
	// Metadata and Store are accepted and ignored: the endpoint keeps
	// no completions.
	Metadata map[string]string `json:"metadata"`
	Store    *bool             `json:"store"`
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
	Role       string           `json:"role"`
	Content    json.RawMessage  `json:"content"`
	Name       string           `json:"name"`
	ToolCalls  []openAIToolCall `json:"tool_calls"`
	ToolCallID string           `json:"tool_call_id"`
	// Refusal and Annotations come back when a client sends an earlier
	// response message as it got it; they are ignored.
	Refusal     json.RawMessage `json:"refusal"`
	Annotations json.RawMessage `json:"annotations"`
}

// conversation is a validated request: the question, what came before,
// and the client's controls for the answer.
type conversation struct {
	question string
	history  []schema.Message
	controls *model.Controls
	// user is the end user the client named, for the trace.
	user string
}

// parse validates a request. The question is the last user message; the
// history holds the user and assistant messages before it. After the
// question may come the assistant's tool calls and the client's tool
// results of this turn (a chat model continues from them). System and
// developer messages are instructions for a chat model; offline they are
// ignored, since extracted answers follow no instructions. llm says
// whether a chat model writes the answers.
func (req *completionRequest) parse(llm bool) (conversation, error) {
	var c conversation
	if req.Model == "" {
		return c, badRequest("model", "model is required: a collection name, or %q", defaultModel)
	}
	if req.N != nil && *req.N != 1 {
		return c, badRequest("n", "n must be 1: ragline gives one answer per question")
	}
	if req.Logprobs != nil && *req.Logprobs {
		return c, badRequest("logprobs", "logprobs is not supported: answers come with citations, not token probabilities")
	}
	if len(req.Messages) == 0 {
		return c, badRequest("messages", "messages is required: at least one user message")
	}
	ctl := &model.Controls{User: req.User, Temperature: req.Temperature, TopP: req.TopP, Seed: req.Seed,
		ToolChoice: req.ToolChoice, ParallelToolCalls: req.ParallelToolCalls}
	c.user = req.User
	lim := sampling{maxTokens: req.MaxTokens, maxField: "max_tokens", temperature: req.Temperature, topP: req.TopP}
	if req.MaxCompletionTokens != nil {
		lim.maxTokens, lim.maxField = req.MaxCompletionTokens, "max_completion_tokens"
	}
	if err := lim.check(); err != nil {
		return c, err
	}
	if lim.maxTokens != nil {
		ctl.MaxTokens = *lim.maxTokens
	}
	var err error
	if ctl.Stop, err = stopStrings(req.Stop); err != nil {
		return c, err
	}
	if len(req.Tools) > 0 && !llm {
		return c, needsChatModel("tools", "")
	}
	if ctl.Tools, err = toolSpecs(req.Tools, "tools"); err != nil {
		return c, err
	}
	if err := checkToolChoice(req.ToolChoice, ctl.Tools, "tool_choice"); err != nil {
		return c, err
	}
	if len(ctl.Tools) == 0 {
		// Servers refuse tool settings without tools.
		ctl.ToolChoice, ctl.ParallelToolCalls = nil, nil
	}
	structured, err := responseFormat(req.ResponseFormat, "response_format")
	if err != nil {
		return c, err
	}
	if structured {
		if !llm {
			return c, needsChatModel("response_format", "")
		}
		ctl.ResponseFormat = req.ResponseFormat
	}

	question := -1
	for i, m := range req.Messages {
		if m.Role == "user" {
			question = i
		}
	}
	if question < 0 {
		return c, badRequest("messages", "messages must hold a user message: the question")
	}
	var instructions []string
	for i, m := range req.Messages {
		field := fmt.Sprintf("messages[%d]", i)
		switch m.Role {
		case "system", "developer", "user", "assistant", "tool":
		case "":
			return c, badRequest(field+".role", "role is required")
		default:
			return c, badRequest(field+".role", "role %q is not supported: want system, developer, user, assistant or tool", m.Role)
		}
		content, err := messageText(m.Content, field+".content")
		if err != nil {
			return c, err
		}
		if m.Role == "tool" && !llm {
			return c, needsChatModel(field+".role", "a tool message")
		}
		switch {
		case m.Role == "system" || m.Role == "developer":
			instructions = append(instructions, content)
		case i == question && strings.TrimSpace(content) == "":
			return c, badRequest(field+".content", "the question is empty")
		case i == question:
			c.question = content
		case i > question:
			// This turn continues after the question.
			if m.Role == "user" || (m.Role == "assistant" && len(m.ToolCalls) == 0) {
				return c, badRequest(field+".role", "the last message must be the user's question (or the tool results that follow it), not %q", m.Role)
			}
			if !llm {
				return c, needsChatModel(field+".tool_calls", "continuing a turn with tool calls")
			}
			msg, err := continuation(m, content, field)
			if err != nil {
				return c, err
			}
			ctl.Continuation = append(ctl.Continuation, msg)
		case (m.Role == "user" || m.Role == "assistant") && strings.TrimSpace(content) != "":
			c.history = append(c.history, schema.Message{Role: m.Role, Content: content})
		}
	}
	if llm {
		ctl.Instructions = instructionsOf(instructions)
	}
	c.controls = ctl
	return c, nil
}

// continuation converts an assistant tool-call message or a tool result
// of the current turn.
func continuation(m completionMessage, content, field string) (model.Message, error) {
	if m.Role == "tool" {
		if m.ToolCallID == "" {
			return model.Message{}, badRequest(field+".tool_call_id", "tool_call_id is required on a tool message")
		}
		return model.Message{Role: "tool", ToolCallID: m.ToolCallID, Name: m.Name, Content: content}, nil
	}
	out := model.Message{Role: "assistant", Content: content}
	for j, tc := range m.ToolCalls {
		if tc.ID == "" || tc.Function.Name == "" {
			return model.Message{}, badRequest(fmt.Sprintf("%s.tool_calls[%d]", field, j), "a tool call needs its id and function.name")
		}
		out.ToolCalls = append(out.ToolCalls, model.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	return out, nil
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
		switch part.Type {
		case "text", "input_text", "output_text":
		default:
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

// assistantOutput is the answer message. Content is null when the model
// only calls tools; each cited source is also an annotation.
type assistantOutput struct {
	Role        string           `json:"role"`
	Content     *string          `json:"content"`
	Refusal     *string          `json:"refusal"`
	ToolCalls   []openAIToolCall `json:"tool_calls,omitempty"`
	Annotations []chatAnnotation `json:"annotations"`
}

// completionUsage reports token counts: a chat model's own, or offline
// estimates by text.CountTokens (a word and character estimate close to
// cl100k_base) of the question and history (prompt) and the answer.
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
	// Trace is the answer's trace (docs/api.md), starting with the
	// request step that records the client's user.
	Trace []schema.TraceStep `json:"trace"`
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
	Role        string           `json:"role,omitempty"`
	Content     string           `json:"content,omitempty"`
	ToolCalls   []openAIToolCall `json:"tool_calls,omitempty"`
	Annotations []chatAnnotation `json:"annotations,omitempty"`
}

// finalChunk ends the choice and carries the annotations, citations and
// extension, so a streaming client gets everything the non-streaming
// response has.
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
	conv, err := req.parse(s.llmMode())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	collection, err := s.modelCollection(r, req.Model)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Stream {
		s.streamCompletionLive(w, r, req, conv, collection)
		return
	}
	resp, err := s.answerConversation(r, collection, conv, conv.controls, nil)
	if err != nil {
		// Errors keep their status code: nothing has been sent yet.
		s.writeError(w, r, answerError(err))
		return
	}
	out := completion{ID: "chatcmpl-" + rand.Text(), Object: "chat.completion", Created: time.Now().Unix(), Model: req.Model}
	s.fillCompletion(r, &out, conv, resp, "chat.completions")
	writeJSON(w, http.StatusOK, out)
}

// modelCollection checks that the caller may use a model and returns the
// collection it names.
func (s *Server) modelCollection(r *http.Request, model string) (string, error) {
	if err := s.allowModel(r, model); err != nil {
		return "", err
	}
	return s.collectionFor(r.Context(), model)
}

// answerConversation answers a conversation of the OpenAI-compatible
// routes with the agent, under the client's controls; onDelta, when set,
// receives the answer piece by piece.
func (s *Server) answerConversation(r *http.Request, collection string, conv conversation, ctl *model.Controls, onDelta func(string) error) (schema.Response, error) {
	recordUser(r, conv.user)
	return s.runAgent(r, agent.Request{Collection: collection, Question: conv.question, History: conv.history,
		MayUse: s.mayUse(r), Controls: ctl, OnDelta: onDelta})
}

// fillCompletion sets a completion's choice, usage, citations and
// extension from an answer.
func (s *Server) fillCompletion(r *http.Request, c *completion, conv conversation, resp schema.Response, api string) {
	msg := assistantOutput{Role: "assistant", Content: &resp.Answer, Annotations: chatAnnotations(baseURL(r), resp.Answer, resp.Citations)}
	for _, tc := range resp.ToolCalls {
		msg.ToolCalls = append(msg.ToolCalls, wireToolCall(nil, tc.ID, tc.Name, tc.Arguments))
	}
	if len(msg.ToolCalls) > 0 && resp.Answer == "" {
		msg.Content = nil
	}
	c.Choices = []completionChoice{{Message: msg, FinishReason: finishReason(resp)}}
	c.Usage = usageOf(conv, resp)
	c.Citations = resp.Citations
	if c.Citations == nil {
		c.Citations = []schema.Citation{}
	}
	c.Ragline = raglineExtension{Digest: resp.Digest, NoAnswer: resp.NoAnswer, Trace: withRequestStep(resp.Trace, api, conv.user)}
}

// finishReason is OpenAI's finish_reason of an answer.
func finishReason(resp schema.Response) string {
	if resp.FinishReason != "" {
		return resp.FinishReason
	}
	return "stop"
}

func wireToolCall(index *int, id, name, args string) openAIToolCall {
	tc := openAIToolCall{Index: index, ID: id, Type: "function"}
	tc.Function.Name, tc.Function.Arguments = name, args
	return tc
}

// withRequestStep puts the request step first in a trace: which API was
// called and for which end user.
func withRequestStep(trace []schema.TraceStep, api, user string) []schema.TraceStep {
	detail := map[string]any{"api": api}
	if user != "" {
		detail["user"] = user
	}
	return append([]schema.TraceStep{{Step: "request", Detail: detail}}, trace...)
}

// recordUser names the client's end user on the request's span.
func recordUser(r *http.Request, user string) {
	if user != "" {
		trace.SpanFromContext(r.Context()).SetAttributes(attribute.String("enduser.id", user))
	}
}

// answerError maps a model answer that broke the client's
// response_format to a model error.
func answerError(err error) error {
	if errors.Is(err, llm.ErrOutputFormat) {
		return &apiError{status: http.StatusBadGateway, Type: "model_error", Field: "response_format", Message: err.Error()}
	}
	return err
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
