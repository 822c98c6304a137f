package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ragline/ragline/internal/model"
)

// step is one scripted reply of a fake model server.
type step struct {
	status  int
	header  map[string]string
	fixture string // file under testdata, or
	body    string // literal body
	// piece, when > 0, writes the body in pieces of this many bytes,
	// flushing after each, so SSE events arrive split across reads.
	piece int
	// delay is waited before the first byte of the body.
	delay time.Duration
	// cutAfter, when > 0, closes the connection after this many bytes.
	cutAfter int
	// hang blocks after the body until the client goes away.
	hang bool
}

// script is a scripted OpenAI-compatible server. It records every request
// body and replays its steps in order (the last step repeats).
type script struct {
	t     *testing.T
	mu    sync.Mutex
	steps []step
	reqs  []recorded
	srv   *httptest.Server
}

type recorded struct {
	path, query string
	header      http.Header
	body        map[string]any
}

func newScript(t *testing.T, steps ...step) *script {
	s := &script{t: t, steps: steps}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *script) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	s.mu.Lock()
	s.reqs = append(s.reqs, recorded{r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
	st := s.steps[min(len(s.reqs), len(s.steps))-1]
	s.mu.Unlock()
	b := []byte(st.body)
	if st.fixture != "" {
		var err error
		if b, err = os.ReadFile("testdata/" + st.fixture); err != nil {
			s.t.Error(err)
			return
		}
	}
	for k, v := range st.header {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		if strings.HasSuffix(st.fixture, ".sse") {
			w.Header().Set("Content-Type", "text/event-stream")
		} else {
			w.Header().Set("Content-Type", "application/json")
		}
	}
	status := st.status
	if status == 0 {
		status = 200
	}
	w.WriteHeader(status)
	w.(http.Flusher).Flush()
	if st.delay > 0 {
		select {
		case <-time.After(st.delay):
		case <-r.Context().Done():
			return
		}
	}
	if st.cutAfter > 0 {
		b = b[:st.cutAfter]
	}
	piece := st.piece
	if piece <= 0 {
		piece = len(b)
	}
	for len(b) > 0 {
		n := min(piece, len(b))
		if _, err := w.Write(b[:n]); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		b = b[n:]
	}
	if st.cutAfter > 0 {
		if hj, ok := w.(http.Hijacker); ok {
			conn, _, err := hj.Hijack()
			if err == nil {
				conn.Close()
			}
		}
		return
	}
	if st.hang {
		<-r.Context().Done()
	}
}

func (s *script) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

// client returns a client of the script whose waits are recorded, not
// slept.
func (s *script) client(o Options) (*Client, *[]time.Duration) {
	s.t.Helper()
	o.BaseURL = s.srv.URL + "/v1"
	if o.Model == "" {
		o.Model = "qwen2.5-7b-instruct"
	}
	c, err := New(o)
	if err != nil {
		s.t.Fatal(err)
	}
	var mu sync.Mutex
	waits := &[]time.Duration{}
	c.wait = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return c, waits
}

func user(q string) model.ChatRequest {
	return model.ChatRequest{Messages: []model.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: q}}}
}

func TestChat(t *testing.T) {
	s := newScript(t, step{fixture: "chat_completion.json"})
	var got []model.Usage
	c, _ := s.client(Options{APIKey: "sk-test", Temperature: 0.2, MaxTokens: 256, OnUsage: func(m string, u model.Usage) {
		if m != "qwen2.5-7b-instruct" {
			t.Errorf("usage reported for model %q", m)
		}
		got = append(got, u)
	}})
	req := user("How many vacation days?")
	req.JSON = true
	resp, err := c.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "New hires get 20 vacation days per year [1]." || resp.FinishReason != "stop" || resp.Message.Role != "assistant" {
		t.Errorf("response %+v", resp)
	}
	if resp.Usage != (model.Usage{PromptTokens: 19, CompletionTokens: 10, TotalTokens: 29}) || len(got) != 1 || got[0] != resp.Usage {
		t.Errorf("usage %+v, reported %+v", resp.Usage, got)
	}
	r := s.requests()[0]
	if r.path != "/v1/chat/completions" || r.header.Get("Authorization") != "Bearer sk-test" {
		t.Errorf("request %s auth %q", r.path, r.header.Get("Authorization"))
	}
	if r.body["model"] != "qwen2.5-7b-instruct" || r.body["temperature"] != 0.2 || r.body["max_tokens"] != 256.0 || r.body["stream"] != nil {
		t.Errorf("request body %v", r.body)
	}
	if rf, _ := r.body["response_format"].(map[string]any); rf["type"] != "json_object" {
		t.Errorf("JSON mode not requested: %v", r.body["response_format"])
	}
	msgs, _ := r.body["messages"].([]any)
	if len(msgs) != 2 || msgs[1].(map[string]any)["content"] != "How many vacation days?" {
		t.Errorf("messages %v", msgs)
	}
}

func TestChatToolCalls(t *testing.T) {
	s := newScript(t, step{fixture: "chat_tool_calls.json"})
	c, _ := s.client(Options{})
	req := user("Weather in Boston?")
	req.Tools = []model.ToolSpec{{Name: "get_current_weather", Description: "Weather", Parameters: json.RawMessage(`{"type":"object","properties":{"location":{"type":"string"}}}`)}}
	req.Messages = append(req.Messages,
		model.Message{Role: "assistant", ToolCalls: []model.ToolCall{{ID: "call_0", Name: "get_current_weather", Arguments: `{"location":"Paris"}`}}},
		model.Message{Role: "tool", ToolCallID: "call_0", Name: "get_current_weather", Content: "sunny"})
	resp, err := c.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := model.ToolCall{ID: "call_abc123", Name: "get_current_weather", Arguments: "{\n\"location\": \"Boston, MA\"\n}"}
	if len(resp.Message.ToolCalls) != 1 || resp.Message.ToolCalls[0] != want || resp.FinishReason != "tool_calls" {
		t.Errorf("tool calls %+v finish %q", resp.Message.ToolCalls, resp.FinishReason)
	}
	body := s.requests()[0].body
	tools, _ := body["tools"].([]any)
	fn, _ := tools[0].(map[string]any)["function"].(map[string]any)
	if tools[0].(map[string]any)["type"] != "function" || fn["name"] != "get_current_weather" || fn["parameters"] == nil {
		t.Errorf("tools sent %v", body["tools"])
	}
	msgs := body["messages"].([]any)
	asst := msgs[2].(map[string]any)
	if asst["content"] != nil || asst["tool_calls"].([]any)[0].(map[string]any)["function"].(map[string]any)["arguments"] != `{"location":"Paris"}` {
		t.Errorf("assistant tool-call message sent as %v", asst)
	}
	if tool := msgs[3].(map[string]any); tool["tool_call_id"] != "call_0" || tool["role"] != "tool" {
		t.Errorf("tool message sent as %v", tool)
	}
}

func TestAzure(t *testing.T) {
	s := newScript(t, step{fixture: "chat_completion.json"})
	c, _ := s.client(Options{APIKey: "azure-key", APIVersion: "2024-10-21"})
	if _, err := c.Chat(context.Background(), user("hi")); err != nil {
		t.Fatal(err)
	}
	r := s.requests()[0]
	if r.query != "api-version=2024-10-21" || r.header.Get("api-key") != "azure-key" || r.header.Get("Authorization") != "" {
		t.Errorf("query %q api-key %q authorization %q", r.query, r.header.Get("api-key"), r.header.Get("Authorization"))
	}
}

func TestStreamSplitAcrossReads(t *testing.T) {
	for _, piece := range []int{1, 7, 64, 0} {
		s := newScript(t, step{fixture: "chat_stream.sse", piece: piece})
		var usage model.Usage
		c, _ := s.client(Options{OnUsage: func(_ string, u model.Usage) { usage = u }})
		var deltas []string
		resp, err := c.Stream(context.Background(), user("vacation?"), func(d string) error {
			deltas = append(deltas, d)
			return nil
		})
		if err != nil {
			t.Fatalf("piece %d: %v", piece, err)
		}
		if strings.Join(deltas, "|") != "New| hires get| 20 days [1]." || resp.Message.Content != "New hires get 20 days [1]." {
			t.Errorf("piece %d: deltas %q content %q", piece, deltas, resp.Message.Content)
		}
		if resp.Usage != (model.Usage{PromptTokens: 412, CompletionTokens: 8, TotalTokens: 420}) || usage != resp.Usage || resp.FinishReason != "stop" {
			t.Errorf("piece %d: usage %+v reported %+v finish %q", piece, resp.Usage, usage, resp.FinishReason)
		}
		body := s.requests()[0].body
		if body["stream"] != true || body["stream_options"].(map[string]any)["include_usage"] != true {
			t.Errorf("stream request %v", body)
		}
	}
}

func TestStreamToolCallDeltas(t *testing.T) {
	s := newScript(t, step{fixture: "chat_stream_tools.sse", piece: 5})
	c, _ := s.client(Options{})
	resp, err := c.Stream(context.Background(), user("weather?"), func(d string) error {
		t.Errorf("unexpected text delta %q", d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []model.ToolCall{
		{ID: "call_DdmO9pD3xa9XTPNJ32zg2hcA", Name: "get_weather", Arguments: `{"location":"Paris, France"}`},
		{ID: "call_2", Name: "get_time", Arguments: "{}"},
	}
	if len(resp.Message.ToolCalls) != 2 || resp.Message.ToolCalls[0] != want[0] || resp.Message.ToolCalls[1] != want[1] {
		t.Errorf("tool calls %+v", resp.Message.ToolCalls)
	}
	if resp.FinishReason != "tool_calls" || resp.Usage.TotalTokens != 104 {
		t.Errorf("finish %q usage %+v", resp.FinishReason, resp.Usage)
	}
}

func TestRetryAfter(t *testing.T) {
	s := newScript(t,
		step{status: 429, header: map[string]string{"Retry-After": "7"}, fixture: "error_openai_429.json"},
		step{status: 503, body: "upstream connect error"},
		step{fixture: "chat_completion.json"})
	c, waits := s.client(Options{MaxRetries: 4, MinBackoff: 100 * time.Millisecond, MaxBackoff: 20 * time.Second})
	resp, err := c.Chat(context.Background(), user("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content == "" || len(s.requests()) != 3 {
		t.Fatalf("%d requests, content %q", len(s.requests()), resp.Message.Content)
	}
	// The first wait is the server's Retry-After, the second the jittered
	// backoff of the second retry (window 200 ms: between 100 and 200).
	if len(*waits) != 2 || (*waits)[0] != 7*time.Second || (*waits)[1] < 100*time.Millisecond || (*waits)[1] > 200*time.Millisecond {
		t.Errorf("waits %v", *waits)
	}
}

func TestRetryAfterDateAndCap(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if d, ok := parseRetryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now); !ok || d != 90*time.Second {
		t.Errorf("HTTP-date Retry-After: %v %v", d, ok)
	}
	if _, ok := parseRetryAfter("soon", now); ok {
		t.Error("garbage Retry-After accepted")
	}
	s := newScript(t, step{status: 429, header: map[string]string{"Retry-After": "3600"}, fixture: "error_openai_429.json"}, step{fixture: "chat_completion.json"})
	c, waits := s.client(Options{MaxRetries: 1, MaxBackoff: 5 * time.Second})
	if _, err := c.Chat(context.Background(), user("hi")); err != nil {
		t.Fatal(err)
	}
	if len(*waits) != 1 || (*waits)[0] != 5*time.Second {
		t.Errorf("a Retry-After beyond max backoff waited %v", *waits)
	}
}

func TestPermanentErrorsFailFast(t *testing.T) {
	tests := []struct {
		fixture string
		status  int
		want    string
	}{
		{"error_openai_401.json", 401, "openai model qwen2.5-7b-instruct: HTTP 401: Incorrect API key provided: sk-wrong. You can find your API key at https://platform.openai.com/account/api-keys. (invalid_api_key)"},
		{"error_vllm_400.json", 400, "HTTP 400: This model's maximum context length is 32768 tokens."},
		{"error_ollama_404.json", 404, `HTTP 404: model "llama3.3" not found, try pulling it first`},
		{"error_tei_413.json", 403, "HTTP 403: batch size 300 > maximum allowed batch size 256"},
	}
	for _, tt := range tests {
		s := newScript(t, step{status: tt.status, fixture: tt.fixture})
		c, waits := s.client(Options{MaxRetries: 4})
		_, err := c.Chat(context.Background(), user("hi"))
		var e *Error
		if !errors.As(err, &e) || e.Status != tt.status || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want it to contain %q", tt.fixture, err, tt.want)
		}
		if n := len(s.requests()); n != 1 || len(*waits) != 0 {
			t.Errorf("%s: %d requests, waits %v; a permanent error must not be retried", tt.fixture, n, *waits)
		}
		if _, err := c.Stream(context.Background(), user("hi"), func(string) error { return nil }); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: stream error %v", tt.fixture, err)
		}
	}
}

func TestRetriesExhausted(t *testing.T) {
	s := newScript(t, step{status: 502, body: "<html>bad gateway</html>"})
	c, waits := s.client(Options{MaxRetries: 2})
	_, err := c.Chat(context.Background(), user("hi"))
	if err == nil || !strings.Contains(err.Error(), "HTTP 502: <html>bad gateway</html> (after 3 attempts)") {
		t.Errorf("error %v", err)
	}
	if len(s.requests()) != 3 || len(*waits) != 2 {
		t.Errorf("%d requests, %d waits", len(s.requests()), len(*waits))
	}
}

func TestStreamCutMidway(t *testing.T) {
	full, _ := os.ReadFile("testdata/chat_stream.sse")
	cut := strings.Index(string(full), " 20 days") // after two content pieces
	s := newScript(t, step{fixture: "chat_stream.sse", cutAfter: cut, piece: 16}, step{fixture: "chat_stream.sse"})
	c, _ := s.client(Options{MaxRetries: 3})
	var got string
	_, err := c.Stream(context.Background(), user("hi"), func(d string) error { got += d; return nil })
	if err == nil || !strings.Contains(err.Error(), "qwen2.5-7b-instruct") {
		t.Fatalf("a cut stream returned %v", err)
	}
	if got != "New hires get" {
		t.Errorf("delivered %q before the cut", got)
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("a stream that delivered text was retried (%d requests)", n)
	}
}

func TestStreamCutBeforeFirstPieceIsRetried(t *testing.T) {
	full, _ := os.ReadFile("testdata/chat_stream.sse")
	cut := strings.Index(string(full), "\n\n") + 2 // only the role chunk
	s := newScript(t, step{fixture: "chat_stream.sse", cutAfter: cut}, step{fixture: "chat_stream.sse"})
	c, waits := s.client(Options{MaxRetries: 3})
	var got string
	resp, err := c.Stream(context.Background(), user("hi"), func(d string) error { got += d; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if got != "New hires get 20 days [1]." || resp.Message.Content != got || len(s.requests()) != 2 || len(*waits) != 1 {
		t.Errorf("got %q, %d requests, waits %v", got, len(s.requests()), *waits)
	}
}

func TestSlowFirstToken(t *testing.T) {
	// Within the timeout the stream simply waits for the first token.
	s := newScript(t, step{fixture: "chat_stream.sse", delay: 200 * time.Millisecond})
	c, _ := s.client(Options{Timeout: 5 * time.Second})
	var got string
	if _, err := c.Stream(context.Background(), user("hi"), func(d string) error { got += d; return nil }); err != nil || got == "" {
		t.Fatalf("slow first token: %v, got %q", err, got)
	}
	// Beyond it the attempt is abandoned, retried, and reported.
	s = newScript(t, step{fixture: "chat_stream.sse", delay: time.Minute})
	c, waits := s.client(Options{Timeout: 50 * time.Millisecond, MaxRetries: 1})
	_, err := c.Stream(context.Background(), user("hi"), func(string) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "no data for 50ms") {
		t.Errorf("error %v", err)
	}
	if len(s.requests()) != 2 || len(*waits) != 1 {
		t.Errorf("%d requests, waits %v", len(s.requests()), *waits)
	}
	// The same deadline bounds a whole (non-streamed) response.
	s = newScript(t, step{fixture: "chat_completion.json", delay: time.Minute})
	c, _ = s.client(Options{Timeout: 50 * time.Millisecond})
	if _, err := c.Chat(context.Background(), user("hi")); err == nil || !strings.Contains(err.Error(), "no data for 50ms") {
		t.Errorf("slow whole response: %v", err)
	}
}

func TestStreamCancel(t *testing.T) {
	// The server sends one piece and then never finishes.
	full, _ := os.ReadFile("testdata/chat_stream.sse")
	first := strings.Index(string(full), `{"content":" hires`)
	first = strings.LastIndex(string(full[:first]), "\n\n") + 2
	s := newScript(t, step{body: string(full[:first]), header: map[string]string{"Content-Type": "text/event-stream"}, hang: true})
	c, _ := s.client(Options{Timeout: time.Hour, MaxRetries: 3})
	ctx, cancel := context.WithCancel(context.Background())
	var pieces atomic.Int32
	done := make(chan error, 1)
	go func() {
		_, err := c.Stream(ctx, user("hi"), func(string) error {
			if pieces.Add(1) == 1 {
				cancel()
			}
			return nil
		})
		done <- err
	}()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled stream returned %v", err)
	}
	if pieces.Load() != 1 || len(s.requests()) != 1 {
		t.Errorf("%d pieces, %d requests", pieces.Load(), len(s.requests()))
	}
}

func TestStreamOnDeltaErrorStops(t *testing.T) {
	s := newScript(t, step{fixture: "chat_stream.sse"})
	c, _ := s.client(Options{})
	stop := errors.New("client gone")
	n := 0
	_, err := c.Stream(context.Background(), user("hi"), func(string) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err %v after %d deltas", err, n)
	}
}

func TestStreamErrorEvent(t *testing.T) {
	body := "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n" +
		"data: {\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":\"server_error\"}}\n\n"
	s := newScript(t, step{body: body, header: map[string]string{"Content-Type": "text/event-stream"}})
	c, _ := s.client(Options{})
	_, err := c.Stream(context.Background(), user("hi"), func(string) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "The server had an error while processing your request.") {
		t.Errorf("error event: %v", err)
	}
}

func TestEmbed(t *testing.T) {
	var inFlight, peak atomic.Int32
	var mu sync.Mutex
	var batches [][]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		var p embedPayload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil || r.URL.Path != "/v1/embeddings" || p.EncodingFormat != "float" {
			t.Errorf("request %s %+v %v", r.URL.Path, p, err)
		}
		mu.Lock()
		batches = append(batches, p.Input)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond) // let batches overlap
		type item struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		}
		var resp struct {
			Data  []item         `json:"data"`
			Usage map[string]int `json:"usage"`
		}
		// Answer in reverse order: the client must sort by index.
		for i := len(p.Input) - 1; i >= 0; i-- {
			resp.Data = append(resp.Data, item{i, []float32{float32(len(p.Input[i])), 1, 0}})
		}
		resp.Usage = map[string]int{"prompt_tokens": len(p.Input), "total_tokens": len(p.Input)}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	defer srv.Close()
	var tokens atomic.Int32
	c, err := New(Options{BaseURL: srv.URL + "/v1", Model: "bge-m3", Dimensions: 3, BatchSize: 2, Concurrency: 2,
		OnUsage: func(_ string, u model.Usage) { tokens.Add(int32(u.PromptTokens)) }})
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"a", "bb", "ccc", "dddd", "eeeee", "ffffff", "g"}
	vecs, err := c.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vecs {
		if len(v) != 3 || v[0] != float32(len(texts[i])) {
			t.Errorf("vector %d = %v", i, v)
		}
	}
	if len(batches) != 4 || peak.Load() > 2 || tokens.Load() != 7 {
		t.Errorf("%d batches, peak concurrency %d, tokens %d", len(batches), peak.Load(), tokens.Load())
	}
	if c.ID() != "openai:bge-m3" || c.Dimensions() != 3 {
		t.Errorf("id %q dims %d", c.ID(), c.Dimensions())
	}
}

func TestEmbedFixtureAndDimensionMismatch(t *testing.T) {
	s := newScript(t, step{fixture: "embeddings.json"})
	c, _ := s.client(Options{Model: "bge-m3", Dimensions: 3, SendDimensions: true})
	vecs, err := c.Embed(context.Background(), []string{"first", "second"})
	if err != nil {
		t.Fatal(err)
	}
	if vecs[0][0] != -0.0069 || vecs[1][0] != 0.5 {
		t.Errorf("vectors not ordered by index: %v", vecs)
	}
	if s.requests()[0].body["dimensions"] != 3.0 {
		t.Errorf("dimensions not sent: %v", s.requests()[0].body)
	}
	c, _ = s.client(Options{Model: "bge-m3", Dimensions: 1024})
	_, err = c.Embed(context.Background(), []string{"first", "second"})
	if err == nil || !strings.Contains(err.Error(), "the server returned 3-dimensional vectors but models.embedding.dimensions is 1024") {
		t.Errorf("dimension mismatch: %v", err)
	}
}

func TestEmbedPermanentError(t *testing.T) {
	s := newScript(t, step{status: 413, fixture: "error_tei_413.json"})
	c, _ := s.client(Options{Model: "bge-m3", Dimensions: 3, MaxRetries: 3})
	_, err := c.Embed(context.Background(), []string{"x"})
	if err == nil || !strings.Contains(err.Error(), "openai model bge-m3: HTTP 413: batch size 300 > maximum allowed batch size 256") || len(s.requests()) != 1 {
		t.Errorf("error %v after %d requests", err, len(s.requests()))
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	if _, err := New(Options{BaseURL: "vllm:8000"}); err == nil {
		t.Error("a base URL without scheme was accepted")
	}
}

// A client's controls are sent as OpenAI's fields, and a stream hands
// out tool-call pieces as they arrive.
func TestChatRequestControls(t *testing.T) {
	s := newScript(t, step{fixture: "chat_stream_tools.sse", piece: 5})
	c, _ := s.client(Options{Temperature: 0.1})
	temp, topP, seed, parallel := 0.7, 0.5, int64(9), false
	req := user("weather?")
	req.Temperature, req.TopP, req.Seed, req.Stop, req.User = &temp, &topP, &seed, []string{"END"}, "alice"
	req.ToolChoice, req.ParallelToolCalls = json.RawMessage(`{"type":"function","function":{"name":"get_weather"}}`), &parallel
	req.ResponseFormat = json.RawMessage(`{"type":"json_schema","json_schema":{"name":"w","schema":{"type":"object"}}}`)
	var deltas []model.ToolCallDelta
	req.OnToolCall = func(d model.ToolCallDelta) error { deltas = append(deltas, d); return nil }
	if _, err := c.Stream(context.Background(), req, func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	body := s.reqs[0].body
	if body["temperature"] != 0.7 || body["top_p"] != 0.5 || body["seed"] != float64(9) || body["user"] != "alice" ||
		body["parallel_tool_calls"] != false || fmt.Sprint(body["stop"]) != "[END]" ||
		body["tool_choice"].(map[string]any)["type"] != "function" || body["response_format"].(map[string]any)["type"] != "json_schema" {
		t.Errorf("request body %v", body)
	}
	// The pieces rebuild the calls in order: ids and names first.
	calls := map[int]*model.ToolCall{}
	for _, d := range deltas {
		if calls[d.Index] == nil {
			if d.ID == "" || d.Name == "" {
				t.Errorf("first piece of call %d lacks id or name: %+v", d.Index, d)
			}
			calls[d.Index] = &model.ToolCall{}
		}
		calls[d.Index].ID += d.ID
		calls[d.Index].Name += d.Name
		calls[d.Index].Arguments += d.Arguments
	}
	if len(calls) != 2 || calls[0].Arguments != `{"location":"Paris, France"}` || calls[1].Name != "get_time" {
		t.Errorf("calls from deltas %+v %+v", calls[0], calls[1])
	}
}
