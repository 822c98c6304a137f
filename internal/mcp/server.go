package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/tool"
)

// Asker answers a question, as the agent does.
type Asker func(ctx context.Context, question, collection string) (schema.Response, error)

// Caller calls registered tools by name.
type Caller interface {
	Call(ctx context.Context, name string, args json.RawMessage) (json.RawMessage, error)
	Spec(name string) (tool.Spec, bool)
}

// askSchema is the input of the ask tool.
const askSchema = `{"type":"object","properties":{"question":{"type":"string","minLength":1,"maxLength":4000},` +
	`"collection":{"type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"}},"required":["question"],"additionalProperties":false}`

// NewServer returns an MCP server offering search_documents (through
// tools, so the call is checked, logged and counted like any other) and
// ask (the whole agent: answer, citations, trace).
func NewServer(tools Caller, ask Asker) (*sdk.Server, error) {
	s := sdk.NewServer(&sdk.Implementation{Name: "ragline", Version: Version}, nil)
	spec, ok := tools.Spec("search_documents")
	if !ok {
		return nil, fmt.Errorf("mcp serve: the search_documents tool is not registered")
	}
	s.AddTool(&sdk.Tool{Name: spec.Name, Description: spec.Description, InputSchema: json.RawMessage(spec.Parameters)},
		func(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			out, err := tools.Call(ctx, spec.Name, req.Params.Arguments)
			if err != nil {
				return errorResult(err), nil
			}
			var v any
			_ = json.Unmarshal(out, &v)
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: string(out)}}, StructuredContent: v}, nil
		})
	s.AddTool(&sdk.Tool{Name: "ask", Description: "Answer a question from the knowledge base with numbered citations.",
		InputSchema: json.RawMessage(askSchema)},
		func(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			var in struct {
				Question   string `json:"question"`
				Collection string `json:"collection"`
			}
			if err := validateAsk(req.Params.Arguments, &in); err != nil {
				return errorResult(err), nil
			}
			resp, err := ask(ctx, in.Question, in.Collection)
			if err != nil {
				return errorResult(err), nil
			}
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: render(resp)}}, StructuredContent: resp}, nil
		})
	return s, nil
}

var askResolved = mustResolve(askSchema)

func validateAsk(args json.RawMessage, v any) error {
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	if err := tool.Validate(askResolved, args); err != nil {
		return fmt.Errorf("ask: %w", err)
	}
	return json.Unmarshal(args, v)
}

func errorResult(err error) *sdk.CallToolResult {
	return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: err.Error()}}}
}

// render is the answer with its numbered sources, as text.
func render(resp schema.Response) string {
	var b strings.Builder
	b.WriteString(resp.Answer)
	if len(resp.Citations) > 0 {
		b.WriteString("\n\nSources:")
		for _, c := range resp.Citations {
			fmt.Fprintf(&b, "\n[%d] %s", c.Index, c.Source)
			if c.Page > 0 {
				fmt.Fprintf(&b, ", page %d", c.Page)
			}
			if c.Section != "" {
				b.WriteString(", " + c.Section)
			}
		}
	}
	return b.String()
}

func mustResolve(s string) *jsonschema.Resolved {
	r, err := tool.Resolve(json.RawMessage(s))
	if err != nil {
		panic(err) // a constant schema; a failure is a programming error
	}
	return r
}
