package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/model/modeltest"
	"github.com/ragline/ragline/internal/schema"
)

// modelTestServer serves a one-document knowledge base answered by the
// chat model at modelURL, with generator.fallback as given. The support
// gate before the model (generator.llm_min_score, tested in kb) is off:
// the scripted model's rewrites of follow-ups are canned text, not about
// the one passage.
func modelTestServer(t *testing.T, modelURL, fallback string) *httptest.Server {
	t.Helper()
	docs := t.TempDir()
	if err := os.WriteFile(filepath.Join(docs, "parking.md"), []byte("# Parking\n\nParking is free for employees on level two of the garage.\n\nVisitors pay five dollars per day.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("ragline.yaml", []byte(fmt.Sprintf(`
models:
  chat: {provider: openai, base_url: %s/v1, model: scripted, max_retries: 0}
generator: {kind: llm, fallback: %s, llm_min_score: 0}
`, modelURL, fallback)))
	if err != nil {
		t.Fatal(err)
	}
	k, err := kb.Open(context.Background(), cfg, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	if rep, err := k.Ingest(context.Background(), "", []string{docs}, nil); err != nil || rep.Failed > 0 {
		t.Fatalf("ingest: %+v %v", rep, err)
	}
	srv := httptest.NewServer(New(k, Options{Config: cfg}))
	t.Cleanup(srv.Close)
	return srv
}

type event struct{ name, data string }

func readEvents(t *testing.T, body io.Reader) []event {
	t.Helper()
	var out []event
	sc := bufio.NewScanner(body)
	name := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			out = append(out, event{name, strings.TrimPrefix(line, "data: ")})
			name = ""
		}
	}
	return out
}

var numbered = regexp.MustCompile(`(?m)^\[\d+\] `)

func TestChatStreamsModelTokens(t *testing.T) {
	model := modeltest.New(t)
	model.Chat = func(r modeltest.ChatRequest) modeltest.Reply {
		if len(numbered.FindAllString(r.Last(), -1)) == 0 {
			return modeltest.Reply{Text: "I do not know."}
		}
		return modeltest.Reply{Text: "Parking is free for employees [1], visitors pay [4]."}
	}
	srv := modelTestServer(t, model.URL, "extractive")
	resp, err := http.Post(srv.URL+"/v1/chat", "application/json", strings.NewReader(`{"message":"Is parking free for employees?","stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	evs := readEvents(t, resp.Body)
	var deltas strings.Builder
	var done schema.Response
	var order []string
	for _, e := range evs {
		if len(order) == 0 || order[len(order)-1] != e.name {
			order = append(order, e.name)
		}
		switch e.name {
		case "delta":
			var d map[string]string
			json.Unmarshal([]byte(e.data), &d)
			deltas.WriteString(d["text"])
		case "done":
			json.Unmarshal([]byte(e.data), &done)
		}
	}
	// Model tokens stream first (several pieces), then the trace, the
	// citations and the whole response.
	if n := strings.Count(fmt.Sprint(evs), "{delta "); strings.Join(order, ",") != "delta,step,citation,done" || n < 5 {
		t.Errorf("event order %v (%d events)", order, len(evs))
	}
	if deltas.String() != done.Answer || done.Answer != "Parking is free for employees [1], visitors pay ." || len(done.Citations) != 1 || done.Citations[0].Index != 1 {
		t.Errorf("deltas %q answer %q citations %+v", deltas.String(), done.Answer, done.Citations)
	}
	if done.Usage == nil || done.Usage.CompletionTokens == 0 {
		t.Errorf("usage %+v", done.Usage)
	}
	// The OpenAI-compatible stream carries the same pieces and the
	// model's usage.
	resp2, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"default","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Is parking free for employees?"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	var content strings.Builder
	var usage map[string]any
	chunks := 0
	for _, e := range readEvents(t, resp2.Body) {
		if e.data == "[DONE]" {
			continue
		}
		var c struct {
			Choices []struct {
				Delta struct{ Content string } `json:"delta"`
			} `json:"choices"`
			Usage map[string]any `json:"usage"`
		}
		json.Unmarshal([]byte(e.data), &c)
		for _, ch := range c.Choices {
			content.WriteString(ch.Delta.Content)
			chunks++
		}
		if c.Usage != nil {
			usage = c.Usage
		}
	}
	if content.String() != done.Answer || chunks < 5 || usage == nil || usage["completion_tokens"].(float64) != float64(done.Usage.CompletionTokens) {
		t.Errorf("completions stream %q in %d chunks, usage %v", content.String(), chunks, usage)
	}
	// Tokens are counted per model.
	m := get(t, srv.URL+"/metrics")
	if !regexp.MustCompile(`ragline_model_tokens_total\{kind="completion",model="scripted"\} [1-9]`).MatchString(m) {
		t.Errorf("token metric missing:\n%s", grep(m, "ragline_model_tokens_total"))
	}
}

func TestModelErrorsReachTheClient(t *testing.T) {
	model := modeltest.New(t)
	model.Chat = func(modeltest.ChatRequest) modeltest.Reply {
		return modeltest.Reply{Status: 401, Body: `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`}
	}
	srv := modelTestServer(t, model.URL, "none")
	for _, body := range []string{`{"message":"Is parking free?"}`, `{"message":"Is parking free?","stream":true}`} {
		resp, out := post(t, srv.URL+"/v1/chat", "", body)
		e, _ := out["error"].(map[string]any)
		if resp.StatusCode != http.StatusBadGateway || e["type"] != "model_error" ||
			e["message"] != "generate: openai model scripted: HTTP 401: Incorrect API key provided (invalid_api_key)" {
			t.Errorf("%s: %d %v", body, resp.StatusCode, out)
		}
	}
	// With the extractive fallback the same failure still answers, and is
	// counted.
	srv = modelTestServer(t, model.URL, "extractive")
	resp, out := post(t, srv.URL+"/v1/chat", "", `{"message":"Is parking free for employees?"}`)
	if resp.StatusCode != 200 || !strings.Contains(fmt.Sprint(out["answer"]), "Parking is free") {
		t.Errorf("fallback: %d %v", resp.StatusCode, out)
	}
	if m := get(t, srv.URL+"/metrics"); !strings.Contains(m, `ragline_model_fallbacks_total{component="generate"} 1`) {
		t.Errorf("fallback metric:\n%s", grep(m, "fallbacks"))
	}
}

func TestModelStreamCutEndsWithErrorEvent(t *testing.T) {
	// The model sends two pieces and then the connection breaks.
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, `data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"Parking"}}]}`+"\n\n")
		fmt.Fprint(w, `data: {"choices":[{"index":0,"delta":{"content":" is"}}]}`+"\n\n")
		w.(http.Flusher).Flush()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer model.Close()
	srv := modelTestServer(t, model.URL, "none")
	resp, err := http.Post(srv.URL+"/v1/chat", "application/json", strings.NewReader(`{"message":"Is parking free?","stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	evs := readEvents(t, resp.Body)
	if len(evs) != 3 || evs[0].name != "delta" || evs[1].name != "delta" || evs[2].name != "error" ||
		!strings.Contains(evs[2].data, `"type":"model_error","message":"generate: openai model scripted: response broken off`) {
		t.Errorf("events %+v", evs)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
