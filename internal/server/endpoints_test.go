package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/schema"
)

// do sends a request with an optional content type and returns the status
// and the decoded JSON body.
func do(t *testing.T, method, url, ctype string, body io.Reader) (int, map[string]any) {
	t.Helper()
	resp, out := send(t, url, request{method: method, body: func(*testing.T) (string, io.Reader) { return ctype, body }})
	return resp.StatusCode, out
}

func multipartBody(t *testing.T, files map[string][]byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for name, b := range files {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(b)
	}
	mw.Close()
	return mw.FormDataContentType(), &buf
}

func TestDocumentsLifecycle(t *testing.T) {
	srv := newTestServer(t, "")
	ctype, body := multipartBody(t, map[string][]byte{
		"badges.md":  []byte("# Badges\n\nLost badges cost twenty dollars to replace at the front desk.\n"),
		"random.bin": {0, 1, 2, 0, 0xff, 0xfe, 0, 0, 9},
	})
	code, out := do(t, "POST", srv.URL+"/v1/collections/facilities/documents", ctype, body)
	if code != 200 {
		t.Fatalf("upload: %d %v", code, out)
	}
	files, _ := out["files"].([]any)
	byName := map[string]map[string]any{}
	for _, f := range files {
		m := f.(map[string]any)
		byName[m["file"].(string)] = m
	}
	if byName["badges.md"]["status"] != "added" || byName["random.bin"]["status"] != "failed" || !strings.Contains(byName["random.bin"]["error"].(string), "unsupported") {
		t.Fatalf("per-file results: %v", files)
	}
	if strings.Contains(byName["random.bin"]["error"].(string), "ragline-upload") {
		t.Errorf("error leaks the temporary path: %v", byName["random.bin"]["error"])
	}

	code, out = do(t, "GET", srv.URL+"/v1/collections", "", nil)
	if code != 200 || !strings.Contains(mustJSON(out), `{"documents":1,"name":"facilities"}`) {
		t.Fatalf("collections: %d %v", code, out)
	}
	code, out = do(t, "GET", srv.URL+"/v1/collections/facilities/documents", "", nil)
	docs, _ := out["documents"].([]any)
	if code != 200 || len(docs) != 1 {
		t.Fatalf("documents: %d %v", code, out)
	}
	id := docs[0].(map[string]any)["id"].(string)
	code, out = do(t, "GET", srv.URL+"/v1/documents/"+id, "", nil)
	if code != 200 || !strings.Contains(out["text"].(string), "Lost badges cost twenty dollars") || out["source"] != "badges.md" {
		t.Fatalf("document: %d %v", code, out)
	}
	code, out = do(t, "POST", srv.URL+"/v1/chat", "application/json", strings.NewReader(`{"message":"How much does a lost badge cost?","collection":"facilities"}`))
	if code != 200 || !strings.Contains(out["answer"].(string), "twenty dollars") {
		t.Fatalf("chat over uploaded doc: %d %v", code, out)
	}
	if code, out = do(t, "DELETE", srv.URL+"/v1/documents/"+id, "", nil); code != 200 {
		t.Fatalf("delete: %d %v", code, out)
	}
	if code, out = do(t, "GET", srv.URL+"/v1/documents/"+id, "", nil); code != 404 || out["error"].(map[string]any)["type"] != "not_found" {
		t.Fatalf("deleted document: %d %v", code, out)
	}
	if code, _ = do(t, "DELETE", srv.URL+"/v1/documents/"+id, "", nil); code != 404 {
		t.Fatalf("second delete: %d", code)
	}
}

func TestUploadErrors(t *testing.T) {
	srv := newTestServer(t, "")
	cases := []struct {
		name, url, ctype string
		body             io.Reader
		status           int
	}{
		{"not multipart", "/v1/collections/c/documents", "application/json", strings.NewReader(`{}`), 415},
		{"bad collection", "/v1/collections/bad%20name/documents", "multipart/form-data; boundary=x", strings.NewReader(""), 400},
		{"no files", "/v1/collections/c/documents", "multipart/form-data; boundary=x", strings.NewReader("--x--\r\n"), 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := do(t, "POST", srv.URL+c.url, c.ctype, c.body)
			if code != c.status || out["error"] == nil {
				t.Fatalf("%d %v, want %d", code, out, c.status)
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		ctype, body := multipartBody(t, map[string][]byte{"big.txt": bytes.Repeat([]byte("word "), 30000)})
		small := newServerWith(t, func(c *config.Config) { c.Server.MaxUploadBytes = 64 << 10 })
		code, out := do(t, "POST", small.URL+"/v1/collections/c/documents", ctype, body)
		if code != 413 {
			t.Fatalf("%d %v", code, out)
		}
	})
}

func newServerWith(t *testing.T, mod func(*config.Config)) *httptest.Server {
	t.Helper()
	cfg := config.Default()
	mod(cfg)
	k, err := kb.Open(context.Background(), cfg, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	srv := httptest.NewServer(New(k, Options{Config: cfg}))
	t.Cleanup(srv.Close)
	return srv
}

func TestReadOnlyRefusesWrites(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	dir := t.TempDir()
	w, err := kb.Open(ctx, cfg, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Ingest(ctx, "", []string{"../../examples/quickstart/docs/code-of-conduct.txt"}, nil); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(t.TempDir(), "kb.ragline")
	if _, err := w.Snapshot(ctx, snap); err != nil {
		t.Fatal(err)
	}
	w.Close()
	k, err := kb.Open(ctx, cfg, snap, true)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	srv := httptest.NewServer(New(k, Options{Config: cfg}))
	defer srv.Close()
	ctype, body := multipartBody(t, map[string][]byte{"a.txt": []byte("hello world")})
	if code, out := do(t, "POST", srv.URL+"/v1/collections/default/documents", ctype, body); code != 409 {
		t.Fatalf("upload to read-only: %d %v", code, out)
	}
	_, out := do(t, "GET", srv.URL+"/v1/collections/default/documents", "", nil)
	id := out["documents"].([]any)[0].(map[string]any)["id"].(string)
	if code, out := do(t, "DELETE", srv.URL+"/v1/documents/"+id, "", nil); code != 409 {
		t.Fatalf("delete from read-only: %d %v", code, out)
	}
}

func TestInvoke(t *testing.T) {
	srv := newTestServer(t, "")
	code, out := do(t, "POST", srv.URL+"/v1/invoke", "application/json", strings.NewReader(`{"target":"retrieve","input":{"query":"visitors parking fee","top_k":2}}`))
	hits, _ := out["hits"].([]any)
	if code != 200 || len(hits) == 0 || len(hits) > 2 {
		t.Fatalf("retrieve: %d %v", code, out)
	}
	h := hits[0].(map[string]any)
	if h["rank"].(float64) != 1 || h["score"].(float64) <= 0 || !strings.Contains(h["explanation"].(string), "parking.md") || h["text"] == "" {
		t.Errorf("hit: %v", h)
	}
	code, out = do(t, "POST", srv.URL+"/v1/invoke", "application/json", strings.NewReader(`{"target":"answer","input":{"question":"How much do visitors pay for parking?"}}`))
	if code != 200 || !strings.Contains(out["answer"].(string), "five dollars") {
		t.Fatalf("answer: %d %v", code, out)
	}
	for _, c := range []struct{ body, field string }{
		{`{"target":"nope","input":{}}`, "target"},
		{`{"target":"retrieve","input":{}}`, "input.query"},
		{`{"target":"retrieve","input":{"query":"x","top_k":0.5}}`, "input.top_k"},
		{`{"target":"retrieve","input":{"query":"x","top_k":5000}}`, "input.top_k"},
		{`{"target":"retrieve","input":{"query":"x","extra":1}}`, "input.extra"},
		{`{"target":"answer","input":{"question":"x","collection":"a/b"}}`, "input.collection"},
	} {
		code, out := do(t, "POST", srv.URL+"/v1/invoke", "application/json", strings.NewReader(c.body))
		e, _ := out["error"].(map[string]any)
		if code != 400 || e == nil || e["field"] != c.field {
			t.Errorf("%s: %d %v, want 400 on %s", c.body, code, out, c.field)
		}
	}
}

func TestChatStream(t *testing.T) {
	srv := newTestServer(t, "")
	req, _ := http.NewRequest("POST", srv.URL+"/v1/chat", strings.NewReader(`{"message":"Is parking free for employees?","stream":true}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	events := map[string]int{}
	var deltas strings.Builder
	var done schema.Response
	sc := bufio.NewScanner(resp.Body)
	var name string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
			events[name]++
		case strings.HasPrefix(line, "data: "):
			data := strings.TrimPrefix(line, "data: ")
			switch name {
			case "delta":
				var d map[string]string
				json.Unmarshal([]byte(data), &d)
				deltas.WriteString(d["text"])
			case "done":
				if err := json.Unmarshal([]byte(data), &done); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if events["step"] != len(done.Trace) || events["step"] < 3 || events["citation"] != len(done.Citations) || events["done"] != 1 || events["error"] != 0 {
		t.Fatalf("events %v for response %+v", events, done)
	}
	if deltas.String() != done.Answer || !strings.Contains(done.Answer, "Parking is free") {
		t.Fatalf("deltas %q, answer %q", deltas.String(), done.Answer)
	}
	// Errors before the stream starts keep their status code.
	code, out := do(t, "POST", srv.URL+"/v1/chat", "application/json", strings.NewReader(`{"message":"","stream":true}`))
	if code != 400 {
		t.Fatalf("empty streamed message: %d %v", code, out)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
