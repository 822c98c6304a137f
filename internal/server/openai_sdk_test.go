package server

import (
	"context"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
)

// The official Go SDK as a client of the tools round trip, the stream
// accumulator and the Responses API.
func TestOpenAISDKToolsAndResponses(t *testing.T) {
	model := weatherModel(t)
	srv := modelTestServer(t, model.URL, "none")
	client := newOpenAIClient(srv.URL, "unused")
	ctx := context.Background()

	params := userParams("default", "Is parking free for employees?")
	params.Tools = []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name:       "get_weather",
		Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
	})}
	first, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	calls := first.Choices[0].Message.ToolCalls
	if first.Choices[0].FinishReason != "tool_calls" || len(calls) != 1 || calls[0].Function.Name != "get_weather" || calls[0].Function.Arguments != `{"city":"Paris"}` {
		t.Fatalf("first %+v", first.Choices[0])
	}
	params.Messages = append(params.Messages, first.Choices[0].Message.ToParam(), openai.ToolMessage("sunny", calls[0].ID))
	second, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	msg := second.Choices[0].Message
	if msg.Content != "It is sunny, and parking is free for employees [1]." || len(msg.Annotations) != 1 {
		t.Fatalf("second %+v", msg)
	}
	if a := msg.Annotations[0].URLCitation; msg.Content[a.StartIndex:a.EndIndex] != "[1]" || a.Title != "Parking" || !strings.HasPrefix(a.URL, srv.URL+"/v1/documents/") {
		t.Errorf("annotation %+v", a)
	}

	// The SDK's accumulator assembles streamed tool calls.
	stream := client.Chat.Completions.NewStreaming(ctx, userParamsWithTools(params))
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if tc := acc.Choices[0].Message.ToolCalls; len(tc) != 1 || tc[0].ID != "call_1" || tc[0].Function.Arguments != `{"city":"Paris"}` || acc.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("accumulated %+v", acc.Choices[0])
	}

	// Responses: instructions reach the model, annotations come back,
	// previous_response_id continues the session.
	r, err := client.Responses.New(ctx, responses.ResponseNewParams{
		Model:        "default",
		Input:        responses.ResponseNewParamsInputUnion{OfString: openai.String("Is parking free for employees?")},
		Instructions: openai.String("Reply briefly."),
	})
	if err != nil {
		t.Fatal(err)
	}
	sent := model.Requests()[len(model.Requests())-1]
	if r.OutputText() != "Parking is free for employees [1]." || sent.Messages[1].Role != "system" || sent.Messages[1].Content != "Reply briefly." {
		t.Fatalf("response %q, model request %+v", r.OutputText(), sent.Messages)
	}
	if a := r.Output[0].Content[0].Annotations; len(a) != 1 || a[0].Type != "url_citation" || a[0].StartIndex != 30 || a[0].EndIndex != 33 {
		t.Errorf("annotations %+v", a)
	}
	next, err := client.Responses.New(ctx, responses.ResponseNewParams{
		Model: "default", PreviousResponseID: openai.String(r.ID),
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("And for visitors?")},
	})
	if err != nil {
		t.Fatal(err)
	}
	sent = model.Requests()[len(model.Requests())-1]
	if next.PreviousResponseID != r.ID || !strings.HasSuffix(next.ID, "_1") || len(sent.Messages) < 4 || sent.Messages[len(sent.Messages)-2].Content != r.OutputText() {
		t.Errorf("follow-up %s after %s; model saw %+v", next.ID, r.ID, sent.Messages)
	}
	events := client.Responses.NewStreaming(ctx, responses.ResponseNewParams{
		Model: "default", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Is parking free for employees?")},
	})
	var text, completed string
	for events.Next() {
		switch ev := events.Current(); ev.Type {
		case "response.output_text.delta":
			text += ev.Delta
		case "response.completed":
			completed = ev.Response.OutputText()
		}
	}
	if err := events.Err(); err != nil {
		t.Fatal(err)
	}
	if text != "Parking is free for employees [1]." || completed != text {
		t.Errorf("streamed %q, completed %q", text, completed)
	}
}

// userParamsWithTools is a fresh request with only the question and the
// tools of p.
func userParamsWithTools(p openai.ChatCompletionNewParams) openai.ChatCompletionNewParams {
	q := userParams("default", "Is parking free for employees?")
	q.Tools = p.Tools
	return q
}
