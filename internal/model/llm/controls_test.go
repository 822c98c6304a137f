package llm

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/model/modeltest"
)

// A client's controls reach the model: sampling, limits, tools, the
// continuation of a turn with tool results, and instructions.
func TestGenerateControls(t *testing.T) {
	var got modeltest.ChatRequest
	g, _ := newGen(t, func(r modeltest.ChatRequest) modeltest.Reply {
		got = r
		if r.Messages[len(r.Messages)-1].Role == "tool" {
			return modeltest.Reply{Text: "Sunny, and new hires get 20 days [1]."}
		}
		return modeltest.Reply{ToolCalls: []modeltest.ToolCall{modeltest.Call("call_1", "get_weather", `{"city":"Paris"}`)}}
	}, Prompts{})
	temp, topP, seed := 0.25, 0.5, int64(7)
	c := &model.Controls{
		Instructions: "Answer like a pirate.",
		Tools:        []model.ToolSpec{{Name: "get_weather", Description: "weather", Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}}}`)}},
		ToolChoice:   json.RawMessage(`"auto"`), MaxTokens: 42, Temperature: &temp, TopP: &topP, Seed: &seed,
		Stop: []string{"END"}, User: "alice",
	}
	for _, stream := range []bool{false, true} {
		var deltas []model.ToolCallDelta
		var onDelta func(string) error
		if stream {
			onDelta = func(string) error { return nil }
			c.OnToolCall = func(d model.ToolCallDelta) error { deltas = append(deltas, d); return nil }
		}
		in := Input{Question: "Weather and vacation?", Language: "en", Hits: hits(), Controls: c}
		ans, err := g.Generate(context.Background(), in, onDelta)
		if err != nil {
			t.Fatal(err)
		}
		if len(ans.ToolCalls) != 1 || ans.ToolCalls[0].ID != "call_1" || ans.ToolCalls[0].Name != "get_weather" ||
			ans.ToolCalls[0].Arguments != `{"city":"Paris"}` || ans.FinishReason != "tool_calls" || ans.NoAnswer {
			t.Errorf("stream %v: answer %+v", stream, ans)
		}
		if stream && (len(deltas) != 2 || deltas[0].ID != "call_1" || deltas[0].Name != "get_weather" || deltas[0].Arguments+deltas[1].Arguments != `{"city":"Paris"}`) {
			t.Errorf("tool call deltas %+v", deltas)
		}
		if len(got.Tools) != 1 || string(got.ToolChoice) != `"auto"` || got.MaxTokens != 42 || *got.Temperature != temp ||
			*got.TopP != topP || *got.Seed != seed || len(got.Stop) != 1 || got.User != "alice" {
			t.Errorf("request %+v", got)
		}
		if got.Messages[1].Role != "system" || got.Messages[1].Content != "Answer like a pirate." {
			t.Errorf("instructions: %+v", got.Messages)
		}
	}
	// The follow-up with the tool result continues the turn after the
	// question with the sources.
	c.OnToolCall = nil
	c.Continuation = []model.Message{
		{Role: "assistant", ToolCalls: []model.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}}},
		{Role: "tool", ToolCallID: "call_1", Content: "sunny"},
	}
	ans, err := g.Generate(context.Background(), Input{Question: "Weather and vacation?", Language: "en", Hits: hits(), Controls: c}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := len(got.Messages)
	if ans.Text != "Sunny, and new hires get 20 days [1]." || len(ans.Citations) != 1 || len(ans.ToolCalls) != 0 ||
		got.Messages[n-3].Role != "user" || len(got.Messages[n-2].ToolCalls) != 1 || got.Messages[n-1].ToolCallID != "call_1" {
		t.Errorf("follow-up: %+v, request %+v", ans, got.Messages)
	}
}

// A JSON answer is checked against the response_format's schema; the
// markers inside it still cite, and the text is left as the model wrote
// it (a JSON array of numbers is not a citation group).
func TestGenerateStructured(t *testing.T) {
	reply := `{"answer":"New hires get 20 days [1].","days":[20, 5]}`
	g, _ := newGen(t, func(r modeltest.ChatRequest) modeltest.Reply { return modeltest.Reply{Text: reply} }, Prompts{})
	format := json.RawMessage(`{"type":"json_schema","json_schema":{"name":"leave","schema":{"type":"object","properties":{"answer":{"type":"string"},"days":{"type":"array","items":{"type":"integer"}}},"required":["answer","days"],"additionalProperties":false}}}`)
	for _, stream := range []bool{false, true} {
		var onDelta func(string) error
		if stream {
			onDelta = func(string) error { return nil }
		}
		ans, err := g.Generate(context.Background(), Input{Question: "Days?", Language: "en", Hits: hits(), Controls: &model.Controls{ResponseFormat: format}}, onDelta)
		if err != nil {
			t.Fatal(err)
		}
		if ans.Text != reply || len(ans.Citations) != 1 || ans.Citations[0].DocumentID != "d1" {
			t.Errorf("stream %v: %+v", stream, ans)
		}
	}
	strict := json.RawMessage(`{"type":"json_schema","json_schema":{"name":"other","schema":{"type":"object","required":["missing"]}}}`)
	if _, err := g.Generate(context.Background(), Input{Question: "Days?", Language: "en", Hits: hits(), Controls: &model.Controls{ResponseFormat: strict}}, nil); !errors.Is(err, ErrOutputFormat) {
		t.Errorf("schema violation: %v", err)
	}
	g2, _ := newGen(t, func(modeltest.ChatRequest) modeltest.Reply { return modeltest.Reply{Text: "not json"} }, Prompts{})
	if _, err := g2.Generate(context.Background(), Input{Question: "Days?", Language: "en", Hits: hits(), Controls: &model.Controls{ResponseFormat: json.RawMessage(`{"type":"json_object"}`)}}, nil); !errors.Is(err, ErrOutputFormat) {
		t.Errorf("json_object with prose: %v", err)
	}
}
