package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/model/modeltest"
	"github.com/ragline/ragline/internal/schema"
)

// weatherModel calls the client's first tool until it sees a tool result,
// then answers from it citing source 1.
func weatherModel(t *testing.T) *modeltest.Server {
	m := modeltest.New(t)
	m.Chat = func(r modeltest.ChatRequest) modeltest.Reply {
		for _, msg := range r.Messages {
			if msg.Role == "tool" {
				return modeltest.Reply{Text: "It is " + msg.Content + ", and parking is free for employees [1]."}
			}
		}
		if len(r.Tools) > 0 {
			return modeltest.Reply{ToolCalls: []modeltest.ToolCall{modeltest.Call("call_1", "get_weather", `{"city":"Paris"}`)}}
		}
		if r.ResponseFormat != nil {
			return modeltest.Reply{Text: `{"answer":"Free [1].","ids":[1, 2]}`}
		}
		return modeltest.Reply{Text: "Parking is free for employees [1]."}
	}
	return m
}

const weatherTools = `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`

func TestChatCompletionToolsRoundTrip(t *testing.T) {
	model := weatherModel(t)
	srv := modelTestServer(t, model.URL, "none")
	q := `{"role":"user","content":"Is parking free for employees?"}`
	resp, out := post(t, srv.URL+"/v1/chat/completions", "", `{"model":"default",`+weatherTools+`,"tool_choice":"required","messages":[`+q+`]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, out)
	}
	choice := out["choices"].([]any)[0].(map[string]any)
	msg := choice["message"].(map[string]any)
	calls, _ := msg["tool_calls"].([]any)
	if choice["finish_reason"] != "tool_calls" || msg["content"] != nil || len(calls) != 1 {
		t.Fatalf("choice %v", choice)
	}
	call := calls[0].(map[string]any)
	fn := call["function"].(map[string]any)
	if call["id"] != "call_1" || call["type"] != "function" || fn["name"] != "get_weather" || fn["arguments"] != `{"city":"Paris"}` {
		t.Errorf("tool call %v", call)
	}
	sent := model.Requests()[len(model.Requests())-1]
	if string(sent.ToolChoice) != `"required"` || len(sent.Tools) != 1 || !strings.Contains(sent.Last(), "[1] parking.md") {
		t.Errorf("model request %+v", sent)
	}

	// The follow-up with the result continues the turn.
	b, _ := json.Marshal(msg)
	resp, out = post(t, srv.URL+"/v1/chat/completions", "", `{"model":"default",`+weatherTools+`,"messages":[`+q+`,`+string(b)+`,{"role":"tool","tool_call_id":"call_1","content":"sunny"}]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, out)
	}
	msg = out["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)
	if msg["content"] != "It is sunny, and parking is free for employees [1]." || len(out["citations"].([]any)) != 1 {
		t.Errorf("follow-up %v", out)
	}
	ann := msg["annotations"].([]any)[0].(map[string]any)["url_citation"].(map[string]any)
	if ann["start_index"] != float64(47) || ann["end_index"] != float64(50) || !strings.HasPrefix(ann["url"].(string), srv.URL+"/v1/documents/") {
		t.Errorf("annotation %v", ann)
	}

	// Streamed, the call arrives as tool_calls deltas.
	r, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"default","stream":true,`+weatherTools+`,"messages":[`+q+`]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var args, finish string
	for _, e := range readEvents(t, r.Body) {
		var c struct {
			Choices []struct {
				Delta struct {
					ToolCalls []openAIToolCall `json:"tool_calls"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
		}
		_ = json.Unmarshal([]byte(e.data), &c)
		for _, ch := range c.Choices {
			for _, tc := range ch.Delta.ToolCalls {
				if tc.Index == nil || *tc.Index != 0 {
					t.Errorf("tool call delta without index 0: %s", e.data)
				}
				args += tc.Function.Arguments
			}
			if ch.FinishReason != nil {
				finish = *ch.FinishReason
			}
		}
	}
	if args != `{"city":"Paris"}` || finish != "tool_calls" {
		t.Errorf("streamed arguments %q, finish %q", args, finish)
	}
}

func TestChatCompletionStructured(t *testing.T) {
	model := weatherModel(t)
	srv := modelTestServer(t, model.URL, "extractive")
	format := `"response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{"type":"object","required":["answer","ids"]}}}`
	resp, out := post(t, srv.URL+"/v1/chat/completions", "", `{"model":"default",`+format+`,"messages":[{"role":"user","content":"Is parking free for employees?"}]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, out)
	}
	// The JSON is left as the model wrote it ("[1, 2]" is an array, not
	// citations); the marker in the string cites.
	msg := out["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)
	if msg["content"] != `{"answer":"Free [1].","ids":[1, 2]}` || len(out["citations"].([]any)) != 1 || len(msg["annotations"].([]any)) != 1 {
		t.Errorf("structured %v", out)
	}
	// A schema the answer breaks is a model error, even with the
	// extractive fallback configured (it could not write JSON).
	bad := `"response_format":{"type":"json_schema","json_schema":{"name":"b","schema":{"type":"object","required":["missing"]}}}`
	resp, out = post(t, srv.URL+"/v1/chat/completions", "", `{"model":"default",`+bad+`,"messages":[{"role":"user","content":"Is parking free for employees?"}]}`)
	if e, _ := out["error"].(map[string]any); resp.StatusCode != 502 || e["param"] != "response_format" {
		t.Errorf("%d %v", resp.StatusCode, out)
	}
	// An invalid schema is the client's error.
	resp, out = post(t, srv.URL+"/v1/chat/completions", "", `{"model":"default","response_format":{"type":"json_schema","json_schema":{"name":"c","schema":{"type":12}}},"messages":[{"role":"user","content":"x"}]}`)
	if e, _ := out["error"].(map[string]any); resp.StatusCode != 400 || e["param"] != "response_format.json_schema.schema" {
		t.Errorf("%d %v", resp.StatusCode, out)
	}
}

func TestCitationURLs(t *testing.T) {
	cites := []schema.Citation{{Index: 1, DocumentID: "d 1", Source: "a.pdf", Page: 3, Start: 5, End: 9}, {Index: 2, DocumentID: "d2", Title: "Two", Start: 0, End: 4}}
	// Indexes count characters: "é" and "停" are one each.
	content := "Café [2] et 停车 [1][7] [1]"
	got := citationURLs("https://kb.example", content, cites)
	want := []urlCitation{
		{URL: "https://kb.example/v1/documents/d2?start=0&end=4", Title: "Two", StartIndex: 5, EndIndex: 8},
		{URL: "https://kb.example/v1/documents/d%201?start=5&end=9&page=3", Title: "a.pdf", StartIndex: 15, EndIndex: 18},
		{URL: "https://kb.example/v1/documents/d%201?start=5&end=9&page=3", Title: "a.pdf", StartIndex: 22, EndIndex: 25},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	runes := []rune(content)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %+v, want %+v", i, got[i], want[i])
		}
		if m := string(runes[got[i].StartIndex:got[i].EndIndex]); m != "[1]" && m != "[2]" {
			t.Errorf("%d: marks %q", i, m)
		}
	}
	r, _ := http.NewRequest("GET", "http://10.0.0.1:8080/x", nil)
	r.Header.Set("X-Forwarded-Proto", "https")
	r.Header.Set("X-Forwarded-Host", "kb.example, proxy")
	if b := baseURL(r); b != "https://kb.example" {
		t.Errorf("base %q", b)
	}
}
