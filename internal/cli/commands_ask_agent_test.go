package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ragline/ragline/internal/schema"
)

// TestAskRoutesOffline runs `ragline ask` with the example agent
// configuration: the rules alone send arithmetic to the calculator, the
// time to the clock, a confidential topic to a refusal and the rest to
// retrieval.
func TestAskRoutesOffline(t *testing.T) {
	data := t.TempDir()
	if code, _, stderr := run(t, "ingest", "--data", data, "../../examples/quickstart/docs"); code != 0 {
		t.Fatalf("ingest: %d %s", code, stderr)
	}
	for _, c := range []struct{ question, tool, answer string }{
		{"what is 17*23+4", "calculator", "395"},
		{"现在几点", "current_time", "Asia/Shanghai"},
		{"What is the CEO's salary?", "", "can't help"},
		{"How many weeks of paid parental leave does a primary caregiver get?", "", "[1]"},
	} {
		t.Run(c.question, func(t *testing.T) {
			code, stdout, stderr := run(t, "ask", "--config", "../../examples/agent/ragline.yaml", "--data", data, "--json", c.question)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var resp schema.Response
			if err := json.Unmarshal([]byte(stdout), &resp); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(resp.Answer, c.answer) {
				t.Errorf("answer %q lacks %q", resp.Answer, c.answer)
			}
			var named string
			for _, st := range resp.Trace {
				if st.Step == "tool" {
					named, _ = st.Detail["tool"].(string)
				}
			}
			if named != c.tool {
				t.Errorf("trace names tool %q, want %q", named, c.tool)
			}
		})
	}
}

// TestAskWithToolCallingModel configures models.chat as a scripted
// OpenAI-compatible server that calls the calculator, and checks that
// `ragline ask` runs the model's tool call and answers with its result.
func TestAskWithToolCallingModel(t *testing.T) {
	var rounds atomic.Int32
	wire := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
			Tools []json.RawMessage `json:"tools"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.URL.Path != "/v1/chat/completions" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		rounds.Add(1)
		last := req.Messages[len(req.Messages)-1]
		msg := map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{
			"id": "call_1", "type": "function", "function": map[string]any{"name": "calculator", "arguments": `{"expression":"25*7.5"}`}}}}
		finish := "tool_calls"
		if last.Role == "tool" {
			var v struct {
				Value float64 `json:"value"`
			}
			body := last.Content[strings.Index(last.Content, "\n")+1 : strings.LastIndex(last.Content, "\n")]
			_ = json.Unmarshal([]byte(body), &v)
			msg, finish = map[string]any{"role": "assistant", "content": fmt.Sprintf("25 days are %v hours.", v.Value)}, "stop"
		}
		json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}},
			"usage": map[string]int{"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55}})
	}))
	defer wire.Close()
	cfgFile := filepath.Join(t.TempDir(), "ragline.yaml")
	yaml := "models:\n  chat: {provider: openai, base_url: " + wire.URL + "/v1, model: scripted}\nagent:\n  tools: [calculator]\n"
	if err := os.WriteFile(cfgFile, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	if code, _, stderr := run(t, "ingest", "--data", data, "../../examples/quickstart/docs"); code != 0 {
		t.Fatalf("ingest: %d %s", code, stderr)
	}
	code, stdout, stderr := run(t, "ask", "--config", cfgFile, "--data", data, "--json", "How many hours are 25 days of 7.5 hours?")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var resp schema.Response
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Answer != "25 days are 187.5 hours." || rounds.Load() != 2 {
		t.Errorf("answer %q after %d model rounds", resp.Answer, rounds.Load())
	}
	var tools []string
	for _, st := range resp.Trace {
		if st.Step == "tool" {
			tools = append(tools, fmt.Sprint(st.Detail["tool"], ":", st.Detail["outcome"], ":", st.Detail["by"]))
		}
	}
	if strings.Join(tools, ",") != "calculator:ok:model" || resp.Usage == nil || resp.Usage.TotalTokens < 110 {
		t.Errorf("tool steps %v usage %+v", tools, resp.Usage)
	}
}
