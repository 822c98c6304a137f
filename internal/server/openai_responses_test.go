package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/config"
)

func TestResponses(t *testing.T) {
	srv := newTestServer(t, "")
	resp, out := post(t, srv.URL+"/v1/responses", "", `{"model":"default","input":"Is parking free for employees?","metadata":{"k":"v"},"user":"ann"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, out)
	}
	id, _ := out["id"].(string)
	part := out["output"].([]any)[0].(map[string]any)["content"].([]any)[0].(map[string]any)
	text, _ := part["text"].(string)
	if out["object"] != "response" || out["status"] != "completed" || !strings.HasPrefix(id, "resp_") || !strings.HasSuffix(id, "_0") ||
		part["type"] != "output_text" || !strings.Contains(text, "Parking is free") || len(part["annotations"].([]any)) != 1 {
		t.Fatalf("response %v", out)
	}
	if tr := out["ragline"].(map[string]any)["trace"].([]any)[0].(map[string]any); tr["step"] != "request" || tr["detail"].(map[string]any)["user"] != "ann" {
		t.Errorf("trace %v", tr)
	}

	// previous_response_id continues the session; the new id is its next turn.
	resp, out = post(t, srv.URL+"/v1/responses", "", `{"model":"default","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"What do visitors pay?"}]}],"previous_response_id":"`+id+`"}`)
	next, _ := out["id"].(string)
	if resp.StatusCode != 200 || next != strings.TrimSuffix(id, "_0")+"_1" || out["previous_response_id"] != id {
		t.Fatalf("%d %v", resp.StatusCode, out)
	}
	sid := strings.TrimSuffix(strings.TrimPrefix(id, "resp_"), "_0")
	if code, s := do(t, "GET", srv.URL+"/v1/sessions/"+sid, "", nil); code != 200 || len(s["turns"].([]any)) != 2 {
		t.Errorf("session %d %v", code, s)
	}

	// store false keeps nothing; unknown ids are 404 naming the field.
	resp, out = post(t, srv.URL+"/v1/responses", "", `{"model":"default","input":"Is parking free?","store":false}`)
	if resp.StatusCode != 200 || out["store"] != false {
		t.Fatalf("%d %v", resp.StatusCode, out)
	}
	for _, prev := range []string{out["id"].(string), "resp_" + sid + "_9", "nonsense"} {
		resp, out = post(t, srv.URL+"/v1/responses", "", `{"model":"default","input":"again","previous_response_id":"`+prev+`"}`)
		if e, _ := out["error"].(map[string]any); resp.StatusCode != 404 || e["param"] != "previous_response_id" {
			t.Errorf("%s: %d %v", prev, resp.StatusCode, out)
		}
	}
	for _, c := range []struct{ body, field string }{
		{`{"model":"default"}`, "input"},
		{`{"model":"default","input":[{"role":"assistant","content":"hi"}]}`, "input"},
		{`{"model":"default","input":"x","max_output_tokens":0}`, "max_output_tokens"},
		{`{"model":"default","input":"x","tools":[{"type":"function","name":"f"}]}`, "tools"},
		{`{"model":"default","input":"x","text":{"format":{"type":"json_object"}}}`, "text.format"},
		{`{"model":"default","input":[{"type":"function_call_output","call_id":"c","output":"x"}]}`, "input[0].type"},
	} {
		resp, out = post(t, srv.URL+"/v1/responses", "", c.body)
		if e, _ := out["error"].(map[string]any); resp.StatusCode != 400 || e["param"] != c.field {
			t.Errorf("%s: %d %v", c.body, resp.StatusCode, out)
		}
	}
}

func TestResponsesStream(t *testing.T) {
	srv := newTestServer(t, "")
	r, err := http.Post(srv.URL+"/v1/responses", "application/json", strings.NewReader(`{"model":"default","input":"Is parking free for employees?","stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var types []string
	var text string
	var final map[string]any
	for i, e := range readEvents(t, r.Body) {
		var ev map[string]any
		if err := json.Unmarshal([]byte(e.data), &ev); err != nil || ev["type"] != e.name || ev["sequence_number"] != float64(i) {
			t.Fatalf("event %d %s: %s", i, e.name, e.data)
		}
		types = append(types, e.name)
		if e.name == "response.output_text.delta" {
			text += ev["delta"].(string)
		}
		if e.name == "response.completed" {
			final = ev["response"].(map[string]any)
		}
	}
	want := "response.created,response.in_progress,response.output_item.added,response.content_part.added,response.output_text.delta,response.output_text.annotation.added,response.output_text.done,response.content_part.done,response.output_item.done,response.completed"
	if got := strings.Join(compact(types), ","); got != want {
		t.Errorf("events %s", got)
	}
	part := final["output"].([]any)[0].(map[string]any)["content"].([]any)[0].(map[string]any)
	if text == "" || part["text"] != text || final["status"] != "completed" {
		t.Errorf("text %q, final %v", text, final)
	}
}

// compact drops repeats of the same event type in a row.
func compact(s []string) []string {
	var out []string
	for _, v := range s {
		if len(out) == 0 || out[len(out)-1] != v {
			out = append(out, v)
		}
	}
	return out
}

func TestEmbeddingsAndUnknownRoutes(t *testing.T) {
	srv := newTestServer(t, "")
	resp, out := post(t, srv.URL+"/v1/embeddings", "", `{"model":"x","input":"parking"}`)
	if e, _ := out["error"].(map[string]any); resp.StatusCode != 404 || e["type"] != "not_found" || !strings.Contains(e["message"].(string), "models.embedding") {
		t.Errorf("no embedder: %d %v", resp.StatusCode, out)
	}
	for _, c := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/v1/embeddings", 405, "POST"},
		{"PUT", "/v1/documents/abc", 405, "GET, DELETE"},
		{"GET", "/v1/nothing", 404, ""},
		{"POST", "/v1/assistants", 404, ""},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		r.Body.Close()
		if e, _ := body["error"].(map[string]any); r.StatusCode != c.status || e == nil || e["message"] == "" || r.Header.Get("Allow") != c.allow ||
			!strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: %d %q %v", c.method, c.path, r.StatusCode, r.Header.Get("Allow"), body)
		}
	}

	// With an embedding model, texts are embedded by it.
	hashed := newServerWith(t, func(c *config.Config) {
		c.Models.Embedding = config.ModelConfig{Provider: "hash", Dimensions: 16}
	})
	resp, out = post(t, hashed.URL+"/v1/embeddings", "", `{"model":"m","input":["parking garage","badges"]}`)
	data, _ := out["data"].([]any)
	if resp.StatusCode != 200 || len(data) != 2 || len(data[0].(map[string]any)["embedding"].([]any)) != 16 || out["model"] != "m" {
		t.Fatalf("%d %v", resp.StatusCode, out)
	}
	resp, out = post(t, hashed.URL+"/v1/embeddings", "", `{"input":"parking garage","encoding_format":"base64"}`)
	if b64, _ := out["data"].([]any)[0].(map[string]any)["embedding"].(string); resp.StatusCode != 200 || len(b64) != 88 { // 64 bytes
		t.Errorf("base64: %d %v", resp.StatusCode, out)
	}
	for _, c := range []struct{ body, field string }{
		{`{"input":[]}`, "input"},
		{`{"input":[1,2]}`, "input"},
		{`{"input":["a",""]}`, "input[1]"},
		{`{"input":"a","dimensions":3}`, "dimensions"},
		{`{"input":"a","encoding_format":"int8"}`, "encoding_format"},
	} {
		resp, out = post(t, hashed.URL+"/v1/embeddings", "", c.body)
		if e, _ := out["error"].(map[string]any); resp.StatusCode != 400 || e["param"] != c.field {
			t.Errorf("%s: %d %v", c.body, resp.StatusCode, out)
		}
	}
}
