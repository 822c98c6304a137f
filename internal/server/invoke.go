package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ragline/ragline/internal/agent"
	"github.com/ragline/ragline/internal/tool"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/search"
)

type invokeRequest struct {
	Target string          `json:"target"`
	Input  json.RawMessage `json:"input"`
}

type retrieveInput struct {
	Query      string `json:"query"`
	Collection string `json:"collection,omitempty"`
	TopK       int    `json:"top_k,omitempty"`
}

type answerInput struct {
	Question   string `json:"question"`
	Collection string `json:"collection,omitempty"`
}

type rankedChunk struct {
	Rank        int     `json:"rank"`
	Score       float64 `json:"score"`
	Explanation string  `json:"explanation"`
	DocumentID  string  `json:"document_id"`
	DocKey      string  `json:"doc_key"`
	Source      string  `json:"source"`
	Title       string  `json:"title,omitempty"`
	ChunkID     string  `json:"chunk_id"`
	Page        int     `json:"page"`
	Section     string  `json:"section"`
	Start       int     `json:"start"`
	End         int     `json:"end"`
	Text        string  `json:"text"`
}

// maxTopK bounds a retrieve call.
const maxTopK = 1000

// invoke runs one named stage directly: "retrieve" returns ranked chunks
// with scores and explanations, "answer" the full response object.
func (s *Server) invoke(w http.ResponseWriter, r *http.Request) {
	var req invokeRequest
	if err := s.decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	input := req.Input
	if len(input) == 0 {
		input = json.RawMessage("{}")
	}
	switch req.Target {
	case "retrieve":
		var in retrieveInput
		if err := s.readInput(r, input, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		if in.TopK == 0 {
			in.TopK = s.opts.Config.Retrieval.TopK
		}
		if in.TopK < 1 || in.TopK > maxTopK {
			s.writeError(w, r, badRequest("input.top_k", "input.top_k must be between 1 and %d", maxTopK))
			return
		}
		res, err := s.kb.Retrieve(r.Context(), in.Collection, in.Query, in.TopK)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		hits := make([]rankedChunk, len(res.Hits))
		for i, h := range res.Hits {
			hits[i] = rankedChunk{
				Rank: h.Rank, Score: h.Score, Explanation: search.Explain(h),
				DocumentID: h.Chunk.DocumentID, DocKey: h.DocKey, Source: h.Source, Title: h.Title,
				ChunkID: h.Chunk.ID, Page: h.Chunk.Page, Section: strings.Join(h.Chunk.Headings, " > "),
				Start: h.Chunk.Start, End: h.Chunk.End, Text: h.Chunk.Text,
			}
		}
		terms := res.Terms
		if terms == nil {
			terms = []string{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"target": "retrieve", "terms": terms, "hits": hits})
	case "answer":
		var in answerInput
		if err := s.readInput(r, input, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		resp, err := s.runAgent(r, agent.Request{Collection: in.Collection, Question: in.Question, MayUse: s.mayUse(r)})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, resp)
	default:
		s.invokeTool(w, r, req.Target, input)
	}
}

// mayInvoke reports whether the caller may call tool name directly: open
// mode, the admin scope, or a key listed for it under tools.invoke.
func (s *Server) mayInvoke(r *http.Request, name string) bool {
	c := callerFrom(r.Context())
	return c == nil || c.can(scopeAdmin) || slices.Contains(s.opts.Config.Tools.Invoke[name], c.name)
}

// listTools lists the registered tools: what /v1/invoke accepts.
func (s *Server) listTools(w http.ResponseWriter, r *http.Request) {
	type toolInfo struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
		Risk        string          `json:"risk"`
		TimeoutMS   int64           `json:"timeout_ms"`
		Invocable   bool            `json:"invocable"`
	}
	out := []toolInfo{}
	for _, name := range s.tools.Names() {
		spec, _ := s.tools.Spec(name)
		out = append(out, toolInfo{Name: name, Description: spec.Description, Parameters: spec.Parameters, Risk: spec.Risk,
			TimeoutMS: spec.Timeout.Milliseconds(), Invocable: s.mayInvoke(r, name)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"tools": out})
}

// invokeTool calls a registered tool by name with input as its arguments.
// A key needs the admin scope or to be listed for the tool under
// tools.invoke; in open mode every tool may be called.
func (s *Server) invokeTool(w http.ResponseWriter, r *http.Request, name string, input json.RawMessage) {
	if _, ok := s.tools.Spec(name); !ok {
		s.writeError(w, r, badRequest("target", "unknown target %q (want \"retrieve\", \"answer\" or a tool: %s)", name, strings.Join(s.tools.Names(), ", ")))
		return
	}
	if c := callerFrom(r.Context()); !s.mayInvoke(r, name) {
		s.writeError(w, r, &apiError{status: http.StatusForbidden, Type: "forbidden", Field: "target",
			Message: fmt.Sprintf("key %q may not invoke tool %q (needs the admin scope or tools.invoke.%s)", c.name, name, name)})
		return
	}
	// A tool that takes a collection (search_documents) is held to the
	// collections the caller's key may use, like every other route and
	// like the agent's own tool calls.
	if coll, ok := tool.Collection(name, input); ok {
		if err := s.allowCollection(r, "input.collection", coll); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	start := time.Now()
	out, err := s.tools.Call(r.Context(), name, input)
	switch {
	case err == nil:
	case errors.Is(err, tool.ErrInvalidArguments), errors.Is(err, tool.ErrDenied), errors.Is(err, context.Canceled):
		s.writeError(w, r, err)
		return
	case errors.Is(err, context.DeadlineExceeded):
		s.writeError(w, r, &apiError{status: http.StatusGatewayTimeout, Type: "timeout", Message: err.Error()})
		return
	default:
		s.writeError(w, r, &apiError{status: http.StatusBadGateway, Type: "tool_error", Message: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"target": name, "output": out,
		"duration_ms": float64(time.Since(start).Microseconds()) / 1000})
}

// invokeInput is the input of an invoke target that asks about a
// collection.
type invokeInput interface {
	// question returns the question's field name and text.
	question() (string, string)
	collection() string
}

func (in *retrieveInput) question() (string, string) { return "input.query", in.Query }
func (in *retrieveInput) collection() string         { return in.Collection }
func (in *answerInput) question() (string, string)   { return "input.question", in.Question }
func (in *answerInput) collection() string           { return in.Collection }

// readInput decodes an invoke input and checks its question and the
// collection it names (valid, existing, allowed for the caller's key): the
// one place the invoke targets validate their input.
func (s *Server) readInput(r *http.Request, raw json.RawMessage, in invokeInput) error {
	if err := strictUnmarshal(raw, in); err != nil {
		return err
	}
	field, text := in.question()
	coll := in.collection()
	if err := checkQuestion(field, text, "input.collection", coll); err != nil {
		return err
	}
	if err := s.knownCollection(r, "input.collection", coll); err != nil {
		return err
	}
	return s.allowCollection(r, "input.collection", coll)
}

// checkQuestion rejects an empty question and an invalid collection name,
// naming the offending field.
func checkQuestion(field, question, collField, collection string) error {
	if strings.TrimSpace(question) == "" {
		return badRequest(field, "%s is required", field)
	}
	if collection != "" && !config.ValidCollection(collection) {
		return badRequest(collField, "invalid collection name %q", collection)
	}
	return nil
}

// strictUnmarshal decodes an input object, rejecting unknown fields.
func strictUnmarshal(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case asTypeError(err, &te):
			return badRequest("input."+te.Field, "input.%s: want %s", te.Field, te.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return badRequest("input."+f, "unknown field input.%s", f)
		}
		return badRequest("input", "invalid input: %v", err)
	}
	return nil
}
