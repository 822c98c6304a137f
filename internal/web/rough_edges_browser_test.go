package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ragline/ragline/internal/config"
)

// parkingDocs writes a one-document corpus and returns its folder.
func parkingDocs(t *testing.T) string {
	t.Helper()
	docs := t.TempDir()
	if err := os.WriteFile(filepath.Join(docs, "parking.md"), []byte("# Parking\n\nParking is free for employees on level two of the garage.\n\nVisitors pay five dollars per day.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return docs
}

// TestBrowserTraceReopenPickerFavicon checks the trace as a list of named
// steps with durations and readable details (no JSON), the same trace on
// a reopened conversation, the collection picker's label and the icon.
func TestBrowserTraceReopenPickerFavicon(t *testing.T) {
	base := startServer(t, config.Default(), parkingDocs(t))
	ctx := browser(t)
	dir := outDir(t)
	step(t, ctx, dir, "01-answer", append([]chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/"),
		wait(`document.body.dataset.ready === 'true'`),
	}, askUI("Is parking free for employees?", 1)...)...)

	if got := eval[string](t, ctx, `document.querySelector('#collection option:checked').textContent`); got != "default" {
		t.Errorf("collection picker reads %q, want \"default\"", got)
	}

	step(t, ctx, dir, "02-trace",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.msg.assistant details.trace').open = true`),
		wait(`document.querySelectorAll('.msg.assistant .trace-step').length > 0`),
	)
	steps := eval[[]string](t, ctx, `[...document.querySelectorAll('.msg.assistant .trace-step')].map((li) => li.querySelector('.step-name').textContent + ' | ' + li.querySelector('.step-time').textContent)`)
	if len(steps) < 2 {
		t.Fatalf("trace steps %v, want the pipeline's steps", steps)
	}
	for _, s := range steps {
		name, ms, _ := strings.Cut(s, " | ")
		if name == "" || !strings.HasSuffix(ms, " ms") {
			t.Errorf("trace step %q: want a name and a duration in ms", s)
		}
	}
	trace := eval[string](t, ctx, `document.querySelector('.msg.assistant details.trace').textContent`)
	if strings.Contains(trace, `{"`) || strings.Contains(trace, `":`) {
		t.Errorf("the trace shows raw JSON: %q", trace)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('.msg.assistant .step-detail dt').length`); n == 0 {
		t.Error("no step details shown")
	}
	// A step name is one line, never a letter per line.
	if bad := eval[[]string](t, ctx, `[...document.querySelectorAll('.msg.assistant .step-name')].filter((e) => e.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(e).fontSize)).map((e) => e.textContent)`); len(bad) > 0 {
		t.Errorf("step names wrapped over several lines: %v", bad)
	}

	step(t, ctx, dir, "03-reopened",
		chromedp.Click(chromedp.CSS("#new-chat")),
		wait(`!document.querySelector('.msg.assistant')`),
		wait(`document.querySelectorAll('#sessions .session').length === 1`),
		// Found and clicked in one step (the list may be drawn again
		// between a separate look-up and click).
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#sessions .session').click()`),
		wait(`document.querySelectorAll('.msg.assistant .feedback').length === 1`),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.msg.assistant details.trace') && (document.querySelector('.msg.assistant details.trace').open = true)`),
	)
	reopened := eval[[]string](t, ctx, `[...document.querySelectorAll('.msg.assistant .trace-step')].map((li) => li.querySelector('.step-name').textContent + ' | ' + li.querySelector('.step-time').textContent)`)
	if strings.Join(reopened, "\n") != strings.Join(steps, "\n") {
		t.Errorf("reopened conversation's trace %v, want %v", reopened, steps)
	}

	if w := eval[int](t, ctx, `new Promise((ok) => { const i = new Image(); i.onload = () => ok(i.naturalWidth); i.onerror = () => ok(0); i.src = '/favicon.ico'; })`); w != 32 {
		t.Errorf("/favicon.ico does not load as a 32-pixel icon (width %d)", w)
	}
	if href := eval[string](t, ctx, `document.querySelector('link[rel=icon]')?.getAttribute('href') || ''`); href != "/favicon.ico" {
		t.Errorf("page icon link %q", href)
	}
}

// TestBrowserFailedUploadIsRed uploads a file the server cannot read: its
// row, bar and message turn red and the message carries the error.
func TestBrowserFailedUploadIsRed(t *testing.T) {
	base := startServer(t, config.Default())
	ctx := browser(t)
	dir := outDir(t)
	bad := filepath.Join(t.TempDir(), "blob.bin")
	if err := os.WriteFile(bad, []byte{0, 1, 2, 0, 0xff, 0xfe, 0, 0, 9}, 0o644); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, dir, "01-failed-upload",
		chromedp.Navigate(base+"/"),
		wait(`document.body.dataset.ready === 'true'`),
		chromedp.Click(chromedp.CSS("#tab-docs")),
		chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{bad}),
		wait(`document.querySelector('#uploads li[data-file="blob.bin"]')?.dataset.status === 'failed'`),
	)
	item := `document.querySelector('#uploads li[data-file="blob.bin"]')`
	danger := eval[string](t, ctx, `getComputedStyle(document.querySelector('.btn.danger') || document.body).color`)
	msg := eval[string](t, ctx, item+`.querySelector('.up-status').textContent`)
	if !strings.HasPrefix(msg, "failed: ") || len(msg) < len("failed: ")+5 {
		t.Errorf("failed upload says %q, want the error", msg)
	}
	if got := eval[string](t, ctx, `getComputedStyle(`+item+`.querySelector('.up-status')).color`); got != danger {
		t.Errorf("failure message colour %s, want the danger colour %s", got, danger)
	}
	if got := eval[string](t, ctx, `getComputedStyle(`+item+`.querySelector('progress')).accentColor`); got != danger {
		t.Errorf("failed upload's bar colour %s, want the danger colour %s", got, danger)
	}
	if role := eval[string](t, ctx, item+`.querySelector('.up-status').getAttribute('role')`); role != "alert" {
		t.Errorf("failure message role %q, want alert", role)
	}
}

// slowModel is an OpenAI-compatible chat server that streams an answer a
// few characters every 100 ms and reports when its client hangs up.
func slowModel(t *testing.T) (string, <-chan struct{}) {
	t.Helper()
	gone := make(chan struct{}, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Stream bool `json:"stream"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		const text = "Parking is free for employees on level two [1], and it stays free at weekends and on holidays for everyone who works here."
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}]}`, text)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		f := w.(http.Flusher)
		for i := 0; i < len(text); i += 2 {
			chunk, _ := json.Marshal(map[string]any{"id": "x", "object": "chat.completion.chunk",
				"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": text[i:min(i+2, len(text))]}}}})
			fmt.Fprintf(w, "data: %s\n\n", chunk)
			f.Flush()
			select {
			case <-r.Context().Done():
				gone <- struct{}{}
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	return srv.URL, gone
}

// TestBrowserStopButton stops an answer while it streams: no more text
// arrives, the model's request is cancelled, the composer comes back and
// the unfinished turn is not stored.
func TestBrowserStopButton(t *testing.T) {
	model, gone := slowModel(t)
	cfg, err := config.Parse("ragline.yaml", []byte("models:\n  chat: {provider: openai, base_url: "+model+"/v1, model: slow, max_retries: 0}\ngenerator: {kind: llm}\n"))
	if err != nil {
		t.Fatal(err)
	}
	base := startServer(t, cfg, parkingDocs(t))
	ctx := browser(t)
	dir := outDir(t)
	step(t, ctx, dir, "01-streaming",
		chromedp.Navigate(base+"/"),
		wait(`document.body.dataset.ready === 'true'`),
		chromedp.SetValue(chromedp.CSS("#composer-input"), "Is parking free for employees?"),
		chromedp.Click(chromedp.CSS("#send")),
		wait(`Number(document.querySelector('.msg.assistant')?.dataset.deltas || 0) >= 3`),
	)
	if !eval[bool](t, ctx, `!document.querySelector('#stop').hidden && document.querySelector('#send').hidden`) {
		t.Error("while streaming, the stop button should replace send")
	}
	step(t, ctx, dir, "02-stopped",
		chromedp.Click(chromedp.CSS("#stop")),
		wait(`document.querySelector('.msg.assistant').dataset.stopped === 'true'`),
	)
	select {
	case <-gone:
	case <-time.After(20 * time.Second):
		t.Fatal("the model's stream was not cancelled after stop")
	}
	deltas := eval[int](t, ctx, `Number(document.querySelector('.msg.assistant').dataset.deltas)`)
	time.Sleep(500 * time.Millisecond)
	if now := eval[int](t, ctx, `Number(document.querySelector('.msg.assistant').dataset.deltas)`); now != deltas {
		t.Errorf("%d more deltas arrived after stop", now-deltas)
	}
	if !eval[bool](t, ctx, `document.querySelector('#stop').hidden && !document.querySelector('#send').hidden && !document.querySelector('#send').disabled`) {
		t.Error("after stop, send should be back and enabled")
	}
	if text := eval[string](t, ctx, `document.querySelector('.msg.assistant .stopped')?.textContent || ''`); text != "Stopped." {
		t.Errorf("stopped answer says %q", text)
	}
	resp, err := http.Get(base + "/v1/sessions")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Sessions []any `json:"sessions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list.Sessions) != 0 {
		t.Errorf("the stopped turn was stored: %v %v", list.Sessions, err)
	}
}

// TestBrowserSessionsLoadOnScroll makes 45 conversations: the sidebar
// shows a page of them and loads the rest, once each, as it is scrolled.
func TestBrowserSessionsLoadOnScroll(t *testing.T) {
	base := startServer(t, config.Default(), parkingDocs(t))
	for i := range 45 {
		resp, err := http.Post(base+"/v1/chat", "application/json", strings.NewReader(fmt.Sprintf(`{"message":"Is parking free, question %d?"}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("chat %d: %d", i, resp.StatusCode)
		}
	}
	ctx := browser(t)
	dir := outDir(t)
	step(t, ctx, dir, "01-first-page",
		chromedp.Navigate(base+"/"),
		wait(`document.body.dataset.ready === 'true' && document.querySelectorAll('#sessions .session').length >= 30`),
	)
	if n := eval[int](t, ctx, `document.querySelectorAll('#sessions .session').length`); n >= 45 {
		t.Fatalf("all %d conversations shown before scrolling: no paging", n)
	}
	step(t, ctx, dir, "02-scrolled",
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('#sidebar'); s.scrollTop = s.scrollHeight; s.dispatchEvent(new Event('scroll')); })()`),
		wait(`document.querySelectorAll('#sessions .session').length === 45`),
	)
	ids := eval[[]string](t, ctx, `[...document.querySelectorAll('#sessions .session')].map((b) => b.dataset.session)`)
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("conversation %s listed twice", id)
		}
		seen[id] = true
	}
	if title := eval[string](t, ctx, `document.querySelector('#sessions .session-title').textContent`); title != "Is parking free, question 44?" {
		t.Errorf("newest conversation first: got %q", title)
	}
}
