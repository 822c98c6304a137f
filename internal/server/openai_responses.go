package server

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/session"
)

// POST /v1/responses is OpenAI's Responses API over the same answers as
// Chat Completions. Unlike Chat Completions it keeps conversations: a
// stored response is a turn of a ragline session, its id
// "resp_<session>_<turn>", and previous_response_id continues that
// session from that turn, so GET /v1/sessions/{id} shows the conversation.

// responsesRequest is the body of POST /v1/responses.
type responsesRequest struct {
	Model string `json:"model"`
	// Input is a string (the question) or an array of messages.
	Input        json.RawMessage `json:"input"`
	Instructions string          `json:"instructions"`
	Stream       bool            `json:"stream"`
	// PreviousResponseID continues the conversation of a stored response.
	PreviousResponseID string `json:"previous_response_id"`
	// Store, default true, records the turn so later requests can
	// continue from it.
	Store           *bool             `json:"store"`
	MaxOutputTokens *int              `json:"max_output_tokens"`
	Temperature     *float64          `json:"temperature"`
	TopP            *float64          `json:"top_p"`
	User            string            `json:"user"`
	Metadata        map[string]string `json:"metadata"`
	Text            *responsesText    `json:"text"`
	// Tools are refused with a clear error: client tools are served by
	// /v1/chat/completions.
	Tools []json.RawMessage `json:"tools"`
	// StreamOptions, Truncation, Include and ParallelToolCalls are
	// accepted and ignored: streams carry no obfuscation, inputs are
	// never truncated, and there is nothing extra to include.
	StreamOptions     json.RawMessage `json:"stream_options"`
	Truncation        string          `json:"truncation"`
	Include           []string        `json:"include"`
	ParallelToolCalls *bool           `json:"parallel_tool_calls"`
}

// responsesText is the text option: the output format.
type responsesText struct {
	Format    json.RawMessage `json:"format"`
	Verbosity string          `json:"verbosity"`
}

// responseObject is a response in OpenAI's shape, with ragline's
// citations and extension as in chat completions.
type responseObject struct {
	ID                 string            `json:"id"`
	Object             string            `json:"object"`
	CreatedAt          int64             `json:"created_at"`
	Status             string            `json:"status"`
	Error              *apiError         `json:"error"`
	IncompleteDetails  *incomplete       `json:"incomplete_details"`
	Instructions       *string           `json:"instructions"`
	MaxOutputTokens    *int              `json:"max_output_tokens"`
	Model              string            `json:"model"`
	Output             []responseMessage `json:"output"`
	ParallelToolCalls  bool              `json:"parallel_tool_calls"`
	PreviousResponseID *string           `json:"previous_response_id"`
	Store              bool              `json:"store"`
	Temperature        *float64          `json:"temperature"`
	TopP               *float64          `json:"top_p"`
	Text               map[string]any    `json:"text"`
	ToolChoice         string            `json:"tool_choice"`
	Tools              []any             `json:"tools"`
	Truncation         string            `json:"truncation"`
	Usage              *responseUsage    `json:"usage"`
	User               *string           `json:"user"`
	Metadata           map[string]string `json:"metadata"`
	Citations          []schema.Citation `json:"citations"`
	Ragline            *raglineExtension `json:"ragline,omitempty"`
}

type incomplete struct {
	Reason string `json:"reason"`
}

// responseMessage is the one output item: the assistant's message.
type responseMessage struct {
	Type    string           `json:"type"`
	ID      string           `json:"id"`
	Status  string           `json:"status"`
	Role    string           `json:"role"`
	Content []responseOutput `json:"content"`
}

// responseOutput is an output_text content part.
type responseOutput struct {
	Type        string               `json:"type"`
	Text        string               `json:"text"`
	Annotations []responseAnnotation `json:"annotations"`
	Logprobs    []any                `json:"logprobs"`
}

type responseUsage struct {
	InputTokens         int            `json:"input_tokens"`
	InputTokensDetails  map[string]int `json:"input_tokens_details"`
	OutputTokens        int            `json:"output_tokens"`
	OutputTokensDetails map[string]int `json:"output_tokens_details"`
	TotalTokens         int            `json:"total_tokens"`
}

// responseTurn is a validated Responses request.
type responseTurn struct {
	conv conversation
	// session and after locate the conversation continued: the session
	// id and the number of its turns that came before ("" for a new one).
	session string
	store   bool
	// id is the new response's id.
	id string
}

// parseResponses validates a request and reads the conversation it
// continues.
func (s *Server) parseResponses(r *http.Request, req *responsesRequest) (responseTurn, error) {
	var t responseTurn
	llm := s.llmMode()
	if req.Model == "" {
		return t, badRequest("model", "model is required: a collection name, or %q", defaultModel)
	}
	if len(req.Tools) > 0 {
		return t, badRequest("tools", "tools are not supported on /v1/responses: use /v1/chat/completions for client tools")
	}
	lim := sampling{maxTokens: req.MaxOutputTokens, maxField: "max_output_tokens", temperature: req.Temperature, topP: req.TopP}
	if err := lim.check(); err != nil {
		return t, err
	}
	// The conversation is read as chat messages, so both APIs share one
	// validation.
	msgs, err := responsesInput(req.Input)
	if err != nil {
		return t, err
	}
	if req.Instructions != "" {
		content, _ := json.Marshal(req.Instructions)
		msgs = append([]completionMessage{{Role: "system", Content: content}}, msgs...)
	}
	creq := completionRequest{Model: req.Model, Messages: msgs, Temperature: req.Temperature, TopP: req.TopP, User: req.User, MaxTokens: req.MaxOutputTokens}
	if req.Text != nil && len(req.Text.Format) > 0 {
		if creq.ResponseFormat, err = chatFormat(req.Text.Format); err != nil {
			return t, err
		}
	}
	conv, err := creq.parse(llm)
	if err != nil {
		return t, renameField(err)
	}
	t.conv = conv
	t.store = req.Store == nil || *req.Store
	t.id = "resp_" + rand.Text()
	if req.PreviousResponseID == "" {
		if t.store {
			t.session = session.NewID()
			t.id = responseID(t.session, 0)
		}
		return t, nil
	}
	notFound := &apiError{status: http.StatusNotFound, Type: "not_found", Field: "previous_response_id",
		Message: fmt.Sprintf("response %q not found: it was not stored (store: false), or its session expired", req.PreviousResponseID)}
	sid, turn, ok := parseResponseID(req.PreviousResponseID)
	if !ok {
		return t, notFound
	}
	// The whole session is read (not the history window of s.history):
	// the response id names a turn by its index in the session.
	sess, err := s.sessions.Get(r.Context(), storeID(r, sid))
	if errors.Is(err, session.ErrNotFound) {
		return t, notFound
	}
	if err != nil {
		return t, err
	}
	if len(sess.Turns) < turn+1 {
		return t, notFound
	}
	if max := s.opts.Config.Sessions.MaxTurns; t.store && max > 0 && len(sess.Turns) >= max {
		return t, session.FullError(sid, len(sess.Turns))
	}
	turns := sess.Turns[:turn+1]
	if n := s.opts.Config.Sessions.HistoryTurns; len(turns) > n {
		turns = turns[len(turns)-n:]
	}
	history := make([]schema.Message, 0, 2*len(turns)+len(t.conv.history))
	for _, pt := range turns {
		history = append(history, schema.Message{Role: "user", Content: pt.Question}, schema.Message{Role: "assistant", Content: pt.Answer})
	}
	// Earlier turns come first, then any messages of this request.
	t.conv.history = append(history, t.conv.history...)
	if t.store {
		t.session = sid
		t.id = responseID(sid, len(sess.Turns))
	}
	return t, nil
}

// responsesInput reads input: a string is the question; an array holds
// messages ({"role","content"}, with "type":"message" or without), whose
// content is a string or input_text/output_text parts.
func responsesInput(raw json.RawMessage) ([]completionMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, badRequest("input", "input is required: the question, or an array of messages")
	}
	if raw[0] == '"' {
		return []completionMessage{{Role: "user", Content: raw}}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, badRequest("input", "input must be a string or an array of messages")
	}
	msgs := make([]completionMessage, 0, len(items))
	for i, it := range items {
		var m struct {
			Type    string          `json:"type"`
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
			ID      string          `json:"id"`
			Status  string          `json:"status"`
		}
		f := fmt.Sprintf("input[%d]", i)
		if err := json.Unmarshal(it, &m); err != nil {
			return nil, badRequest(f, "an input item must be a message object {\"role\",\"content\"}")
		}
		if m.Type != "" && m.Type != "message" {
			return nil, badRequest(f+".type", "input item type %q is not supported: only messages", m.Type)
		}
		msgs = append(msgs, completionMessage{Role: m.Role, Content: m.Content})
	}
	return msgs, nil
}

// renameField maps the field paths of the chat-message validation onto
// the Responses request (messages → input, max_tokens →
// max_output_tokens, response_format → text.format).
func renameField(err error) error {
	ae, ok := err.(*apiError)
	if !ok {
		return err
	}
	out := *ae
	for _, p := range [][2]string{{"messages", "input"}, {"max_tokens", "max_output_tokens"}, {"response_format", "text.format"}} {
		if strings.HasPrefix(out.Field, p[0]) {
			out.Field = p[1] + strings.TrimPrefix(out.Field, p[0])
			out.Message = strings.ReplaceAll(out.Message, p[0], p[1])
		}
	}
	return &out
}

// chatFormat converts text.format ({"type":"json_schema","name","schema",
// "strict"}) to Chat Completions' response_format.
func chatFormat(raw json.RawMessage) (json.RawMessage, error) {
	var f struct {
		Type   string          `json:"type"`
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
		Strict *bool           `json:"strict"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, badRequest("text.format", "text.format must be an object {\"type\":…}")
	}
	if f.Type != "json_schema" {
		return raw, nil
	}
	return json.Marshal(map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": f.Name, "schema": f.Schema, "strict": f.Strict}})
}

// responseID names a stored turn.
func responseID(sid string, turn int) string { return fmt.Sprintf("resp_%s_%d", sid, turn) }

func parseResponseID(id string) (sid string, turn int, ok bool) {
	rest, ok := strings.CutPrefix(id, "resp_")
	i := strings.LastIndexByte(rest, '_')
	if !ok || i < 0 {
		return "", 0, false
	}
	turn, err := strconv.Atoi(rest[i+1:])
	sid = rest[:i]
	if err != nil || turn < 0 || !session.ValidID(sid) {
		return "", 0, false
	}
	return sid, turn, true
}

func (s *Server) responses(w http.ResponseWriter, r *http.Request) {
	var req responsesRequest
	if err := s.decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.allowModel(r, req.Model); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.parseResponses(r, &req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The caller's access to the model was checked above, before
	// validation, so only the lookup is left.
	collection, err := s.collectionFor(r.Context(), req.Model)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Stream {
		s.streamResponse(w, r, req, t, collection)
		return
	}
	resp, err := s.answerConversation(r, collection, t.conv, t.conv.controls, nil)
	if err != nil {
		s.writeError(w, r, answerError(err))
		return
	}
	out, err := s.finishResponse(r, req, t, resp)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// newResponse is the response object before the answer.
func newResponse(req responsesRequest, t responseTurn) responseObject {
	o := responseObject{ID: t.id, Object: "response", CreatedAt: time.Now().Unix(), Status: "in_progress",
		MaxOutputTokens: req.MaxOutputTokens, Model: req.Model, Output: []responseMessage{}, Store: t.store,
		Temperature: req.Temperature, TopP: req.TopP, ToolChoice: "auto", Tools: []any{}, Truncation: "disabled",
		Metadata: req.Metadata, Citations: []schema.Citation{}, Text: map[string]any{"format": map[string]string{"type": "text"}}}
	if req.Text != nil && len(req.Text.Format) > 0 {
		o.Text = map[string]any{"format": req.Text.Format}
	}
	if req.Instructions != "" {
		o.Instructions = &req.Instructions
	}
	if req.PreviousResponseID != "" {
		o.PreviousResponseID = &req.PreviousResponseID
	}
	if req.User != "" {
		o.User = &req.User
	}
	if o.Metadata == nil {
		o.Metadata = map[string]string{}
	}
	return o
}

// finishResponse records the turn (when stored) and fills the response
// with the answer.
func (s *Server) finishResponse(r *http.Request, req responsesRequest, t responseTurn, resp schema.Response) (responseObject, error) {
	o := newResponse(req, t)
	if t.store {
		turn, err := s.record(r, t.session, t.conv.question, resp)
		if err != nil {
			return o, err
		}
		o.ID = responseID(t.session, turn)
	}
	o.Status = "completed"
	if resp.FinishReason == "length" {
		o.Status, o.IncompleteDetails = "incomplete", &incomplete{Reason: "max_output_tokens"}
	}
	o.Output = []responseMessage{outputMessage(r, o.ID, resp, o.Status)}
	u := usageOf(t.conv, resp)
	o.Usage = &responseUsage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens, TotalTokens: u.TotalTokens,
		InputTokensDetails: map[string]int{"cached_tokens": 0}, OutputTokensDetails: map[string]int{"reasoning_tokens": 0}}
	o.Citations = resp.Citations
	if o.Citations == nil {
		o.Citations = []schema.Citation{}
	}
	o.Ragline = &raglineExtension{Digest: resp.Digest, NoAnswer: resp.NoAnswer, Trace: withRequestStep(resp.Trace, "responses", t.conv.user)}
	return o, nil
}

// outputMessage is the assistant message of a finished answer.
func outputMessage(r *http.Request, id string, resp schema.Response, status string) responseMessage {
	return responseMessage{Type: "message", ID: messageID(id), Status: status, Role: "assistant",
		Content: []responseOutput{{Type: "output_text", Text: resp.Answer, Annotations: responseAnnotations(baseURL(r), resp.Answer, resp.Citations), Logprobs: []any{}}}}
}

// messageID is the id of a response's output message.
func messageID(responseID string) string { return "msg_" + strings.TrimPrefix(responseID, "resp_") }
