package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/ragline/ragline/internal/model"
)

// ErrOutputFormat means the model's answer is not the JSON the client's
// response_format asked for.
var ErrOutputFormat = errors.New("model answer does not match response_format")

// marker finds citation markers inside structured answers.
var marker = regexp.MustCompile(`\[(\d{1,4})\]`)

// structured answers with a JSON reply: the text is passed through as the
// model wrote it (rewriting markers could break the JSON), checked
// against the response_format, and the [n] markers inside it become the
// citations.
func (g *Generator) structured(ctx context.Context, in Input, req model.ChatRequest, onDelta func(string) error) (Answer, error) {
	var resp model.ChatResponse
	var err error
	if onDelta != nil {
		resp, err = g.chat.Stream(ctx, req, onDelta)
	} else {
		resp, err = g.chat.Chat(ctx, req)
	}
	ans := Answer{Usage: resp.Usage, FinishReason: resp.FinishReason, ToolCalls: resp.Message.ToolCalls}
	if err != nil {
		return ans, err
	}
	ans.Text = resp.Message.Content
	if len(ans.ToolCalls) == 0 {
		if err := CheckFormat(in.Controls.ResponseFormat, ans.Text); err != nil {
			return ans, err
		}
	}
	var cited []int
	seen := map[int]bool{}
	for _, m := range marker.FindAllStringSubmatch(ans.Text, -1) {
		n, _ := strconv.Atoi(m[1])
		switch {
		case n < 1 || n > len(in.Hits):
			ans.Invalid++
		case !seen[n]:
			seen[n] = true
			cited = append(cited, n)
		}
	}
	ans.Citations = citations(in.Hits, cited)
	ans.NoAnswer = len(ans.Citations) == 0 && len(ans.ToolCalls) == 0
	return ans, nil
}

// CheckFormat checks text against an OpenAI response_format: any text for
// "text", a JSON object for "json_object", and for "json_schema" a JSON
// value valid under json_schema.schema. Errors wrap ErrOutputFormat.
func CheckFormat(format json.RawMessage, text string) error {
	var f struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	}
	if err := json.Unmarshal(format, &f); err != nil {
		return fmt.Errorf("%w: %v", ErrOutputFormat, err)
	}
	if f.Type != "json_object" && f.Type != "json_schema" {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(strings.TrimSpace(text)), &v); err != nil {
		return fmt.Errorf("%w: not JSON: %v", ErrOutputFormat, err)
	}
	if f.Type == "json_object" {
		if _, ok := v.(map[string]any); !ok {
			return fmt.Errorf("%w: not a JSON object", ErrOutputFormat)
		}
		return nil
	}
	s, err := ResolveSchema(f.JSONSchema.Schema)
	if err != nil {
		return fmt.Errorf("%w: schema %s: %v", ErrOutputFormat, f.JSONSchema.Name, err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("%w: schema %s: %v", ErrOutputFormat, f.JSONSchema.Name, err)
	}
	return nil
}

// ResolveSchema compiles a JSON Schema document (an empty one accepts
// any value).
func ResolveSchema(raw json.RawMessage) (*jsonschema.Resolved, error) {
	var s jsonschema.Schema
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
	}
	return s.Resolve(nil)
}
