package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/ragline/ragline/internal/schema"
)

// The OpenAI-compatible API is tested with the official OpenAI Go SDK as
// the client, so the wire format is checked by code that talks to OpenAI
// itself.

func newOpenAIClient(url, key string) openai.Client {
	return openai.NewClient(
		option.WithBaseURL(url+"/v1/"),
		option.WithAPIKey(key),
		option.WithMaxRetries(0),
	)
}

func userParams(model, question string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(question)},
	}
}

// statusOf returns the HTTP status of an SDK error, 0 when err is not an
// API error.
func statusOf(err error) int {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode
	}
	return 0
}

func citationsOf(t *testing.T, raw string) []schema.Citation {
	t.Helper()
	var cs []schema.Citation
	if err := json.Unmarshal([]byte(raw), &cs); err != nil {
		t.Fatalf("citations %q: %v", raw, err)
	}
	return cs
}

func TestOpenAIModels(t *testing.T) {
	srv := newTestServer(t, "")
	client := newOpenAIClient(srv.URL, "unused")
	ctx := context.Background()
	page, err := client.Models.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
		if m.OwnedBy != "ragline" || m.Created == 0 {
			t.Errorf("model %+v", m)
		}
	}
	// The test knowledge base's only collection is the default one, named
	// "default": it must be listed once.
	if len(ids) != 1 || ids[0] != "default" {
		t.Fatalf("models %v, want [default]", ids)
	}
	if m, err := client.Models.Get(ctx, "default"); err != nil || m.ID != "default" {
		t.Fatalf("get default: %+v %v", m, err)
	}
	if _, err := client.Models.Get(ctx, "gpt-4o"); statusOf(err) != http.StatusNotFound {
		t.Fatalf("get unknown model: %v", err)
	}
}

func TestOpenAIChatCompletion(t *testing.T) {
	srv := newTestServer(t, "")
	client := newOpenAIClient(srv.URL, "unused")
	params := userParams("default", "Is parking free for employees?")
	params.Temperature = openai.Float(0.2)
	params.MaxTokens = openai.Int(200)
	params.User = openai.String("tester")
	resp, err := client.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices) != 1 {
		t.Fatalf("choices: %+v", resp.Choices)
	}
	ch := resp.Choices[0]
	if !strings.Contains(ch.Message.Content, "Parking is free") || !strings.Contains(ch.Message.Content, "[1]") {
		t.Errorf("content %q", ch.Message.Content)
	}
	if ch.FinishReason != "stop" || ch.Message.Role != "assistant" || resp.Model != "default" || !strings.HasPrefix(resp.ID, "chatcmpl-") {
		t.Errorf("completion %s", resp.RawJSON())
	}
	if u := resp.Usage; u.PromptTokens == 0 || u.CompletionTokens == 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage %+v", u)
	}
	cs := citationsOf(t, resp.JSON.ExtraFields["citations"].Raw())
	if len(cs) == 0 || cs[0].Source != "parking.md" || cs[0].Index != 1 {
		t.Errorf("citations %+v", cs)
	}
	var ext raglineExtension
	if err := json.Unmarshal([]byte(resp.JSON.ExtraFields["ragline"].Raw()), &ext); err != nil || len(ext.Digest) != 64 || ext.NoAnswer {
		t.Errorf("ragline extension %+v %v", ext, err)
	}
}

func TestOpenAIContentParts(t *testing.T) {
	srv := newTestServer(t, "")
	client := newOpenAIClient(srv.URL, "unused")
	params := openai.ChatCompletionNewParams{
		Model: "default",
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("Answer from the handbook."),
			openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{openai.TextContentPart("Is parking free for employees?")}),
		},
	}
	resp, err := client.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if c := resp.Choices[0].Message.Content; !strings.Contains(c, "Parking is free") {
		t.Errorf("content %q", c)
	}
}

func TestOpenAIHistory(t *testing.T) {
	srv := newTestServer(t, "")
	client := newOpenAIClient(srv.URL, "unused")
	resp, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "default",
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.UserMessage("Is parking free for employees?"),
			openai.AssistantMessage("Parking is free for employees on level two of the garage. [1]"),
			openai.UserMessage("What do visitors pay?"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := resp.Choices[0].Message.Content; !strings.Contains(c, "five dollars") {
		t.Errorf("content %q", c)
	}
}

func TestOpenAIStreaming(t *testing.T) {
	srv := newTestServer(t, "")
	client := newOpenAIClient(srv.URL, "unused")
	ctx := context.Background()
	const question = "Is parking free for employees, and what do visitors pay?"
	want, err := client.Chat.Completions.New(ctx, userParams("default", question))
	if err != nil {
		t.Fatal(err)
	}

	params := userParams("default", question)
	params.StreamOptions.IncludeUsage = openai.Bool(true)
	stream := client.Chat.Completions.NewStreaming(ctx, params)
	defer stream.Close()
	var acc openai.ChatCompletionAccumulator
	chunks, finished := 0, 0
	var citations []schema.Citation
	var usage openai.CompletionUsage // from the usage chunk, which has no choices
	for stream.Next() {
		chunk := stream.Current()
		chunks++
		if !acc.AddChunk(chunk) {
			t.Fatalf("accumulator refused chunk %d: %s", chunks, chunk.RawJSON())
		}
		if _, ok := acc.JustFinishedContent(); ok {
			finished++
		}
		if raw := chunk.JSON.ExtraFields["citations"].Raw(); raw != "" {
			citations = citationsOf(t, raw)
		}
		if len(chunk.Choices) == 0 {
			usage = chunk.Usage
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if chunks < 2 {
		t.Errorf("%d chunks", chunks)
	}
	if len(acc.Choices) != 1 {
		t.Fatalf("accumulated choices: %+v", acc.Choices)
	}
	got := acc.Choices[0]
	if got.Message.Content != want.Choices[0].Message.Content || got.Message.Content == "" {
		t.Errorf("streamed content %q, want %q", got.Message.Content, want.Choices[0].Message.Content)
	}
	if got.FinishReason != "stop" || got.Message.Role != "assistant" || finished != 1 {
		t.Errorf("finish %q role %q, finished %d times", got.FinishReason, got.Message.Role, finished)
	}
	if len(citations) == 0 || citations[0].Source != "parking.md" {
		t.Errorf("citations %+v", citations)
	}
	if usage.TotalTokens == 0 {
		t.Error("no usage chunk")
	}
	// Compare the numbers only: the structs also hold raw JSON.
	w := want.Usage
	if usage.PromptTokens != w.PromptTokens || usage.CompletionTokens != w.CompletionTokens || usage.TotalTokens != w.TotalTokens {
		t.Errorf("stream usage %d/%d/%d, want %d/%d/%d", usage.PromptTokens, usage.CompletionTokens, usage.TotalTokens,
			w.PromptTokens, w.CompletionTokens, w.TotalTokens)
	}
}

func TestOpenAIStreamWithoutUsage(t *testing.T) {
	srv := newTestServer(t, "")
	client := newOpenAIClient(srv.URL, "unused")
	stream := client.Chat.Completions.NewStreaming(context.Background(), userParams("default", "What do visitors pay?"))
	defer stream.Close()
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		chunk := stream.Current()
		if len(chunk.Choices) == 0 {
			t.Errorf("usage chunk sent unasked: %s", chunk.RawJSON())
		}
		acc.AddChunk(chunk)
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if c := acc.Choices[0].Message.Content; !strings.Contains(c, "five dollars") {
		t.Errorf("content %q", c)
	}
}

func TestOpenAIErrorsFromSDK(t *testing.T) {
	srv := newTestServer(t, "")
	client := newOpenAIClient(srv.URL, "unused")
	endsWithAnswer := userParams("default", "Is parking free?")
	endsWithAnswer.Messages = append(endsWithAnswer.Messages, openai.AssistantMessage("It is."))
	twoAnswers := userParams("default", "Is parking free?")
	twoAnswers.N = openai.Int(2)
	cases := []struct {
		name   string
		params openai.ChatCompletionNewParams
		status int
		typ    string
	}{
		{"unknown model", userParams("gpt-4o", "Is parking free?"), 404, "not_found"},
		{"empty messages", openai.ChatCompletionNewParams{Model: "default"}, 400, "invalid_request"},
		{"last message from assistant", endsWithAnswer, 400, "invalid_request"},
		{"n above 1", twoAnswers, 400, "invalid_request"},
		{"empty question", userParams("default", "   "), 400, "invalid_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := client.Chat.Completions.New(context.Background(), c.params)
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v, want *openai.Error", err)
			}
			if apiErr.StatusCode != c.status || apiErr.Type != c.typ || apiErr.Message == "" {
				t.Fatalf("status %d type %q message %q, want %d %s", apiErr.StatusCode, apiErr.Type, apiErr.Message, c.status, c.typ)
			}
		})
	}
	// A stream request that fails validation fails before streaming, with
	// its status code.
	stream := client.Chat.Completions.NewStreaming(context.Background(), userParams("gpt-4o", "Is parking free?"))
	defer stream.Close()
	if stream.Next() {
		t.Fatal("stream of an unknown model sent a chunk")
	}
	if statusOf(stream.Err()) != http.StatusNotFound {
		t.Fatalf("stream error %v, want 404", stream.Err())
	}
}

// TestOpenAIErrorFields sends bodies the SDK would not produce and checks
// the error shape, including the field path.
func TestOpenAIErrorFields(t *testing.T) {
	srv := newTestServer(t, "")
	cases := []struct {
		name, body string
		status     int
		field      string
	}{
		{"bad json", `{"model":"default","messages":[`, 400, ""},
		{"no messages", `{"model":"default","messages":[]}`, 400, "messages"},
		{"no model", `{"messages":[{"role":"user","content":"parking"}]}`, 400, "model"},
		{"unknown model", `{"model":"nope","messages":[{"role":"user","content":"parking"}]}`, 404, "model"},
		{"last from assistant", `{"model":"default","messages":[{"role":"user","content":"parking"},{"role":"assistant","content":"free"}]}`, 400, "messages[1].role"},
		{"empty content", `{"model":"default","messages":[{"role":"user","content":""}]}`, 400, "messages[0].content"},
		{"null content", `{"model":"default","messages":[{"role":"user","content":null}]}`, 400, "messages[0].content"},
		{"number content", `{"model":"default","messages":[{"role":"user","content":5}]}`, 400, "messages[0].content"},
		{"image part", `{"model":"default","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x/y.png"}}]}]}`, 400, "messages[0].content[0].type"},
		{"part without text", `{"model":"default","messages":[{"role":"user","content":[{"type":"text"}]}]}`, 400, "messages[0].content[0].text"},
		{"tool role offline", `{"model":"default","messages":[{"role":"tool","content":"x"},{"role":"user","content":"parking"}]}`, 400, "messages[0].role"},
		{"n is 2", `{"model":"default","n":2,"messages":[{"role":"user","content":"parking"}]}`, 400, "n"},
		{"wrong type", `{"model":"default","temperature":"hot","messages":[{"role":"user","content":"parking"}]}`, 400, "temperature"},
		{"unsupported field", `{"model":"default","logit_bias":{"50256":-100},"messages":[{"role":"user","content":"parking"}]}`, 400, "logit_bias"},
		{"tools offline", `{"model":"default","tools":[{"type":"function","function":{"name":"f"}}],"messages":[{"role":"user","content":"parking"}]}`, 400, "tools"},
		{"response_format offline", `{"model":"default","response_format":{"type":"json_object"},"messages":[{"role":"user","content":"parking"}]}`, 400, "response_format"},
		{"bad response_format", `{"model":"default","response_format":{"type":"xml"},"messages":[{"role":"user","content":"parking"}]}`, 400, "response_format.type"},
		{"max_tokens 0", `{"model":"default","max_tokens":0,"messages":[{"role":"user","content":"parking"}]}`, 400, "max_tokens"},
		{"five stops", `{"model":"default","stop":["a","b","c","d","e"],"messages":[{"role":"user","content":"parking"}]}`, 400, "stop"},
		{"tool_choice without tools", `{"model":"default","tool_choice":"required","messages":[{"role":"user","content":"parking"}]}`, 400, "tool_choice"},
		{"logprobs", `{"model":"default","logprobs":true,"messages":[{"role":"user","content":"parking"}]}`, 400, "logprobs"},
		{"too large", `{"model":"default","messages":[{"role":"user","content":"` + strings.Repeat("a", 4000) + `"}]}`, 413, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, out := post(t, srv.URL+"/v1/chat/completions", "", c.body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %v", resp.StatusCode, c.status, out)
			}
			e, _ := out["error"].(map[string]any)
			if e == nil || e["type"] == "" || e["message"] == "" {
				t.Fatalf("error shape: %v", out)
			}
			if c.field != "" && e["field"] != c.field {
				t.Errorf("field %v, want %s", e["field"], c.field)
			}
		})
	}
}

// TestOpenAIAcceptedFields sends every sampling field an OpenAI client may
// set, with text parts, a system message and history.
func TestOpenAIAcceptedFields(t *testing.T) {
	srv := newTestServer(t, "")
	body := `{"model":"default","temperature":0.7,"top_p":1,"n":1,"max_tokens":50,"max_completion_tokens":50,
		"presence_penalty":0,"frequency_penalty":0,"stop":["\n\n"],"user":"u1","seed":7,"stream":false,
		"stream_options":{"include_usage":true},
		"messages":[{"role":"system","content":"be brief"},{"role":"developer","content":[{"type":"text","text":"cite"}]},
		{"role":"user","name":"ann","content":[{"type":"text","text":"Is parking free"},{"type":"text","text":"for employees?"}]}]}`
	resp, out := post(t, srv.URL+"/v1/chat/completions", "", body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %v", resp.StatusCode, out)
	}
	choices, _ := out["choices"].([]any)
	if len(choices) != 1 || out["object"] != "chat.completion" {
		t.Fatalf("completion %v", out)
	}
	msg := choices[0].(map[string]any)["message"].(map[string]any)
	if c, _ := msg["content"].(string); !strings.Contains(c, "Parking is free") {
		t.Errorf("content %v", msg["content"])
	}
}

func TestOpenAIAPIKey(t *testing.T) {
	srv := newTestServer(t, "k3y")
	ctx := context.Background()
	wrong := newOpenAIClient(srv.URL, "wrong")
	if _, err := wrong.Chat.Completions.New(ctx, userParams("default", "Is parking free?")); statusOf(err) != http.StatusUnauthorized {
		t.Fatalf("wrong key: %v", err)
	}
	if _, err := wrong.Models.List(ctx); statusOf(err) != http.StatusUnauthorized {
		t.Fatalf("wrong key, models: %v", err)
	}
	right := newOpenAIClient(srv.URL, "k3y")
	resp, err := right.Chat.Completions.New(ctx, userParams("default", "Is parking free for employees?"))
	if err != nil {
		t.Fatalf("right key: %v", err)
	}
	if c := resp.Choices[0].Message.Content; !strings.Contains(c, "Parking is free") {
		t.Errorf("content %q", c)
	}
	if _, err := right.Models.List(ctx); err != nil {
		t.Fatalf("right key, models: %v", err)
	}
}

// TestOpenAIStreamFraming checks the raw stream: only data lines, each a
// chunk of the same completion, and "[DONE]" last, which SDKs do not
// require but other OpenAI clients wait for.
func TestOpenAIStreamFraming(t *testing.T) {
	srv := newTestServer(t, "")
	resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"default","stream":true,"messages":[{"role":"user","content":"What do visitors pay?"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("status %d, content type %q", resp.StatusCode, ct)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	events := strings.Split(strings.TrimSuffix(string(b), "\n\n"), "\n\n")
	if len(events) < 4 || events[len(events)-1] != "data: [DONE]" {
		t.Fatalf("events %q", events)
	}
	ids := map[string]bool{}
	for _, ev := range events[:len(events)-1] {
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok || strings.Contains(data, "\n") {
			t.Fatalf("event %q", ev)
		}
		var c struct {
			ID     string `json:"id"`
			Object string `json:"object"`
		}
		if err := json.Unmarshal([]byte(data), &c); err != nil || c.Object != "chat.completion.chunk" {
			t.Fatalf("chunk %s: %v", data, err)
		}
		ids[c.ID] = true
	}
	if len(ids) != 1 {
		t.Errorf("chunk ids %v, want one", ids)
	}
}

// TestOpenAICollectionModels checks that every collection is a model and
// that the model chooses the collection asked.
func TestOpenAICollectionModels(t *testing.T) {
	srv := newTestServer(t, "")
	ctype, body := multipartBody(t, map[string][]byte{
		"badges.md": []byte("# Badges\n\nLost badges cost twenty dollars to replace at the front desk.\n"),
	})
	if code, out := do(t, "POST", srv.URL+"/v1/collections/facilities/documents", ctype, body); code != 200 {
		t.Fatalf("upload: %d %v", code, out)
	}
	client := newOpenAIClient(srv.URL, "unused")
	ctx := context.Background()
	page, err := client.Models.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
	}
	if strings.Join(ids, ",") != "default,facilities" {
		t.Fatalf("models %v", ids)
	}
	cases := []struct{ model, question, want string }{
		{"facilities", "How much does a lost badge cost?", "twenty dollars"},
		{"default", "How much does a lost badge cost?", "could not find"},
		{"default", "What do visitors pay?", "five dollars"},
	}
	for _, c := range cases {
		t.Run(c.model+"/"+c.want, func(t *testing.T) {
			resp, err := client.Chat.Completions.New(ctx, userParams(c.model, c.question))
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.Choices[0].Message.Content; !strings.Contains(got, c.want) || resp.Model != c.model {
				t.Errorf("model %s: %q", resp.Model, got)
			}
		})
	}
}
