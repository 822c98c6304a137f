package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/model/llm"
)

// The request fields of the OpenAI-compatible API that steer the model:
// client tools, output format, limits and sampling. They become
// model.Controls for the generator; offline (the extractive generator)
// the limits are honoured and the rest is rejected or ignored as
// docs/api.md's compatibility table says.

// openAITool is one entry of a request's tools.
type openAITool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
		Strict      *bool           `json:"strict"`
	} `json:"function"`
}

// openAIToolCall is a tool call of an assistant message, in OpenAI's
// shape (requests and responses).
type openAIToolCall struct {
	// Index numbers the call within a streamed message.
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Function struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// needsChatModel is the error for a field only a chat model can honour;
// what names it in the message (the field itself when empty).
func needsChatModel(field, what string) *apiError {
	if what == "" {
		what = field
	}
	return badRequest(field, "%s needs a chat model: this server answers offline by extracting sentences (generator.kind: extractive); configure models.chat and generator.kind: llm to use it", what)
}

// llmMode reports whether answers are written by a chat model.
func (s *Server) llmMode() bool {
	return s.opts.Config != nil && s.opts.Config.Generator.Kind == "llm"
}

// toolSpecs validates a request's tools.
func toolSpecs(tools []openAITool, field string) ([]model.ToolSpec, error) {
	specs := make([]model.ToolSpec, 0, len(tools))
	seen := map[string]bool{}
	for i, t := range tools {
		f := fmt.Sprintf("%s[%d]", field, i)
		if t.Type != "function" {
			return nil, badRequest(f+".type", "tool type %q is not supported: only \"function\"", t.Type)
		}
		name := t.Function.Name
		if name == "" {
			return nil, badRequest(f+".function.name", "name is required")
		}
		if seen[name] {
			return nil, badRequest(f+".function.name", "tool %q is defined twice", name)
		}
		seen[name] = true
		if len(t.Function.Parameters) > 0 {
			if _, err := llm.ResolveSchema(t.Function.Parameters); err != nil {
				return nil, badRequest(f+".function.parameters", "invalid JSON Schema: %v", err)
			}
		}
		specs = append(specs, model.ToolSpec{Name: name, Description: t.Function.Description, Parameters: t.Function.Parameters})
	}
	return specs, nil
}

// checkToolChoice accepts "none", "auto", "required" or a function object
// naming one of the tools.
func checkToolChoice(raw json.RawMessage, specs []model.ToolSpec, field string) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var mode string
	if json.Unmarshal(raw, &mode) == nil {
		switch {
		case mode == "none" || (mode == "auto" && len(specs) == 0):
			return nil
		case len(specs) == 0:
			return badRequest(field, "tool_choice %q needs tools", mode)
		case mode == "auto" || mode == "required":
			return nil
		}
		return badRequest(field, "tool_choice %q is not supported: want none, auto, required or {\"type\":\"function\",\"function\":{\"name\":…}}", mode)
	}
	var obj struct {
		Type     string `json:"type"`
		Name     string `json:"name"` // Responses API shape
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.Type != "function" {
		return badRequest(field, "tool_choice must be none, auto, required or {\"type\":\"function\",\"function\":{\"name\":…}}")
	}
	name := obj.Function.Name
	if name == "" {
		name = obj.Name
	}
	for _, s := range specs {
		if s.Name == name {
			return nil
		}
	}
	return badRequest(field, "tool_choice names %q, which is not among the tools", name)
}

// responseFormat validates a response_format object and reports whether
// it asks for JSON.
func responseFormat(raw json.RawMessage, field string) (structured bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return false, nil
	}
	var f struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return false, badRequest(field, "response_format must be an object {\"type\":…}")
	}
	switch f.Type {
	case "text":
		return false, nil
	case "json_object":
		return true, nil
	case "json_schema":
		if f.JSONSchema == nil {
			return false, badRequest(field+".json_schema", "json_schema is required for type json_schema")
		}
		if f.JSONSchema.Name == "" {
			return false, badRequest(field+".json_schema.name", "name is required")
		}
		if _, err := llm.ResolveSchema(f.JSONSchema.Schema); err != nil {
			return false, badRequest(field+".json_schema.schema", "invalid JSON Schema: %v", err)
		}
		return true, nil
	}
	return false, badRequest(field+".type", "response_format type %q is not supported: want text, json_object or json_schema", f.Type)
}

// stopStrings reads stop: a string or up to four strings.
func stopStrings(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil, nil
		}
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, badRequest("stop", "stop must be a string or an array of strings")
	}
	if len(many) > 4 {
		return nil, badRequest("stop", "stop has %d strings, at most 4 are allowed", len(many))
	}
	out := many[:0]
	for _, s := range many {
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// sampling are the limits and sampling fields shared by both APIs.
type sampling struct {
	maxTokens   *int
	maxField    string
	temperature *float64
	topP        *float64
}

func (p sampling) check() error {
	if p.maxTokens != nil && *p.maxTokens < 1 {
		return badRequest(p.maxField, "%s must be at least 1", p.maxField)
	}
	if t := p.temperature; t != nil && (*t < 0 || *t > 2) {
		return badRequest("temperature", "temperature must be between 0 and 2")
	}
	if t := p.topP; t != nil && (*t < 0 || *t > 1) {
		return badRequest("top_p", "top_p must be between 0 and 1")
	}
	return nil
}

// instructionsOf joins system and developer texts for the model.
func instructionsOf(parts []string) string {
	var keep []string
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			keep = append(keep, strings.TrimSpace(p))
		}
	}
	return strings.Join(keep, "\n\n")
}
