package server

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ragline/ragline/internal/agent"
	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/ingest"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/telemetry"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// hardenedServer serves a small knowledge base with cfg (config.Default
// when nil) and returns the server and its log.
func hardenedServer(t *testing.T, mod func(*config.Config)) (*httptest.Server, *kb.KB, *syncBuffer) {
	t.Helper()
	cfg := config.Default()
	if mod != nil {
		mod(cfg)
	}
	k, err := kb.Open(context.Background(), cfg, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	docs := t.TempDir()
	if err := os.WriteFile(filepath.Join(docs, "parking.md"), []byte("# Parking\n\nParking is free for employees on level two.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Ingest(context.Background(), "", []string{docs}, nil); err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	srv := httptest.NewServer(New(k, Options{Config: cfg, Metrics: telemetry.New(),
		Logger: slog.New(slog.NewTextHandler(log, nil))}))
	t.Cleanup(srv.Close)
	return srv, k, log
}

// rawDo sends a request with the given headers (Host included) and
// returns its status and body.
func rawDo(t *testing.T, method, url string, header map[string]string, body string) (int, string) {
	t.Helper()
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	var req *http.Request
	var err error
	if rd != nil {
		req, err = http.NewRequest(method, url, rd)
	} else {
		req, err = http.NewRequest(method, url, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// TestOpenModeLocalOnly reproduces a web page on another loopback port
// writing to an open-mode server, and a DNS-rebinding page reading from
// it: both are refused, while the server's own pages, command-line
// clients and configured CORS origins keep working.
func TestOpenModeLocalOnly(t *testing.T) {
	srv, k, _ := hardenedServer(t, func(c *config.Config) {
		c.Server.CORS.AllowedOrigins = []string{"http://app.localhost:5173"}
	})
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	chat := `{"message":"Is parking free?"}`
	json := map[string]string{"Content-Type": "application/json"}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{"Content-Type": "application/json"}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	cases := []struct {
		name         string
		method, path string
		header       map[string]string
		body         string
		code         int
		typ          string
	}{
		{"command-line client", "POST", "/v1/chat", json, chat, 200, ""},
		{"localhost by name", "GET", "/v1/collections", map[string]string{"Host": "localhost:" + port}, "", 200, ""},
		{"IPv6 loopback", "GET", "/v1/collections", map[string]string{"Host": "[::1]:" + port}, "", 200, ""},
		{"rebound host name", "GET", "/v1/collections", map[string]string{"Host": "attacker.example:" + port}, "", 403, "forbidden_host"},
		{"rebound host, health check", "GET", "/healthz", map[string]string{"Host": "10.1.2.3:" + port}, "", 200, ""},
		{"same origin", "POST", "/v1/chat", with(map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": srv.URL}), chat, 200, ""},
		{"other loopback port", "POST", "/v1/chat", with(map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:1"}), chat, 403, "cross_origin"},
		{"cross-site", "POST", "/v1/chat", with(map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}), chat, 403, "cross_origin"},
		{"Origin alone", "POST", "/v1/chat", with(map[string]string{"Origin": "http://127.0.0.1:1"}), chat, 403, "cross_origin"},
		{"cross-site delete", "DELETE", "/v1/sessions/abcdefgh", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", 403, "cross_origin"},
		{"cross-site read", "GET", "/v1/collections", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", 200, ""},
		{"CORS origin", "POST", "/v1/chat", with(map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://app.localhost:5173"}), chat, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := rawDo(t, c.method, srv.URL+c.path, c.header, c.body)
			if code != c.code || (c.typ != "" && !strings.Contains(body, `"type":"`+c.typ+`"`)) {
				t.Errorf("%d %s, want %d %s", code, body, c.code, c.typ)
			}
		})
	}

	// The upload of the attack, as a no-cors fetch sends it: refused, and
	// nothing reaches the knowledge base.
	ctype, body := multipartBody(t, map[string][]byte{"planted.md": []byte("# Planted\n\nPlanted text.\n")})
	code, out := rawDo(t, "POST", srv.URL+"/v1/collections/default/documents",
		map[string]string{"Content-Type": ctype, "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors", "Origin": "http://127.0.0.1:1"}, body.String())
	if code != http.StatusForbidden {
		t.Errorf("cross-site upload: %d %s", code, out)
	}
	if docs, err := k.Documents(context.Background(), "default"); err != nil || len(docs) != 1 {
		t.Errorf("documents after the refused upload: %v %v", docs, err)
	}
}

// TestOpenModeGuardOffWithKeys checks that the Host list binds open mode
// only: with keys, any host name is served (the key is the guard).
func TestOpenModeGuardOffWithKeys(t *testing.T) {
	srv, _, _ := hardenedServer(t, func(c *config.Config) { c.Server.APIKey = config.NewSecret(legacyKey) })
	code, body := rawDo(t, "GET", srv.URL+"/v1/collections", map[string]string{"Host": "ragline.internal.example", "Authorization": "Bearer " + legacyKey}, "")
	if code != http.StatusOK {
		t.Errorf("keyed server, other host: %d %s", code, body)
	}
}

// TestAuthFailuresCounted reproduces failed authentications going
// unrecorded: each is counted by reason in ragline_auth_failures_total
// and logged without the key or its hash.
func TestAuthFailuresCounted(t *testing.T) {
	srv, _, log := hardenedServer(t, func(c *config.Config) {
		c.Server.Keys = []config.APIKey{{Name: "loader", Hash: HashKey(loaderKey), Scopes: []string{"ingest"}}}
	})
	wrong := "rl_wrong-key-material-0123456789abcdef"
	chat := `{"message":"Is parking free?"}`
	for _, h := range []map[string]string{
		{"Content-Type": "application/json"},
		{"Content-Type": "application/json", "Authorization": "Bearer " + wrong},
		{"Content-Type": "application/json", "X-API-Key": wrong},
		{"Content-Type": "application/json", "Authorization": "Bearer " + loaderKey},
	} {
		if code, body := rawDo(t, "POST", srv.URL+"/v1/chat", h, chat); code != 401 && code != 403 {
			t.Fatalf("%v: %d %s", h, code, body)
		}
	}
	m := scrape(t, srv.URL)
	for _, want := range []string{
		`ragline_auth_failures_total{reason="missing"} 1`,
		`ragline_auth_failures_total{reason="invalid"} 2`,
		`ragline_auth_failures_total{reason="insufficient_scope"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	logged := log.String()
	if !strings.Contains(logged, "authentication failed") || !strings.Contains(logged, "reason=missing") {
		t.Errorf("no record of the first failure:\n%s", logged)
	}
	for _, secret := range []string{wrong, loaderKey, HashKey(wrong), HashKey(loaderKey)[7:], "rl_wrong"} {
		if strings.Contains(logged, secret) {
			t.Errorf("the log holds key material %q:\n%s", secret, logged)
		}
	}
}

// TestAuthLogRateLimited checks that a flood of failures writes one
// record a second, the next one saying how many went unlogged.
func TestAuthLogRateLimited(t *testing.T) {
	var l authLog
	t0 := time.Unix(1000, 0)
	if ok, n := l.allow(t0); !ok || n != 0 {
		t.Fatalf("first: %v %d", ok, n)
	}
	for i := range 50 {
		if ok, _ := l.allow(t0.Add(time.Duration(i) * 10 * time.Millisecond)); ok {
			t.Fatalf("failure %d within the second was logged", i)
		}
	}
	if ok, n := l.allow(t0.Add(authLogInterval)); !ok || n != 50 {
		t.Errorf("after a second: %v, %d unlogged, want 50", ok, n)
	}
}

// TestRemoveStaleUploads reproduces upload directories (holding document
// contents) surviving a kill -9: at start they are removed, except those
// of ragline processes still running.
func TestRemoveStaleUploads(t *testing.T) {
	tmp := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	mk := func(name string, age time.Duration) string {
		dir := filepath.Join(tmp, name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "salaries.md"), []byte("confidential"), 0o600); err != nil {
			t.Fatal(err)
		}
		if age > 0 {
			old := time.Now().Add(-age)
			if err := os.Chtimes(dir, old, old); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	gone := []string{
		mk(fmt.Sprintf("ragline-upload-%d-1234", dead.Process.Pid), 0),
		mk(fmt.Sprintf("ragline-upload-%d-5678", os.Getpid()), 0),
		mk("ragline-upload-123456789", 2*time.Hour),
	}
	kept := []string{
		mk(fmt.Sprintf("ragline-upload-%d-9999", os.Getppid()), 0),
		mk("ragline-upload-987654321", 0),
		mk("unrelated-dir", 3*time.Hour),
	}
	n, err := RemoveStaleUploads(tmp)
	if err != nil || n != len(gone) {
		t.Errorf("removed %d, %v; want %d", n, err, len(gone))
	}
	for _, d := range gone {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s survived: %v", d, err)
		}
	}
	for _, d := range kept {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s removed: %v", d, err)
		}
	}
	// An upload's own directory names this process, so a later start can
	// tell it from a live one.
	dir, err := uploadDir(tmp)
	if err != nil || !strings.HasPrefix(filepath.Base(dir), fmt.Sprintf("ragline-upload-%d-", os.Getpid())) {
		t.Errorf("upload directory %s %v", dir, err)
	}
}

// slowAgent streams a piece of answer every 50 ms until its context
// ends: an answer that takes longer than the connection may stay open.
type slowAgent struct{}

func (slowAgent) Run(ctx context.Context, req agent.Request) (schema.Response, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return schema.Response{}, ctx.Err()
		case <-tick.C:
			if req.OnDelta == nil {
				continue // not streamed: the whole answer comes at the end
			}
			if err := req.OnDelta("more "); err != nil {
				return schema.Response{}, err
			}
		}
	}
}

// slowWriteTimeoutServer serves slowAgent through ListenAndServe (the
// real listener, so server.write_timeout applies) with a write timeout of
// one second, and returns its base URL; it stops when the test ends.
func slowWriteTimeoutServer(t *testing.T) string {
	t.Helper()
	cfg := config.Default()
	cfg.Server.WriteTimeout = config.Duration(time.Second)
	k, err := kb.Open(context.Background(), cfg, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	h := New(k, Options{Config: cfg, Agent: slowAgent{}})
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	served := make(chan error, 1)
	go func() { served <- ListenAndServe(ctx, "127.0.0.1:0", h, cfg, func(a string) { addr <- a }) }()
	t.Cleanup(func() { cancel(); <-served })
	return "http://" + <-addr
}

// TestStreamCutByWriteTimeout reproduces a stream cut by
// server.write_timeout ending without a done or error event and counted
// as a success: it now ends with an error event of type timeout, and the
// metrics record 504.
func TestStreamCutByWriteTimeout(t *testing.T) {
	base := slowWriteTimeoutServer(t)

	resp, err := http.Post(base+"/v1/chat", "application/json", strings.NewReader(`{"message":"Tell me everything.","stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body) // a cut connection ends the body early
	resp.Body.Close()
	events := regexp.MustCompile(`(?m)^event: (\w+)$`).FindAllStringSubmatch(string(body), -1)
	if len(events) < 2 || events[0][1] != "delta" {
		t.Fatalf("stream: %.300s", body)
	}
	last := events[len(events)-1][1]
	if last != "error" || !strings.Contains(string(body), `"type":"timeout"`) {
		t.Errorf("the stream ended with %q, want an error event of type timeout:\n…%s", last, body[max(0, len(body)-300):])
	}
	m := scrape(t, base)
	if !strings.Contains(m, `ragline_http_requests_total{code="504",method="POST",route="POST /v1/chat"} 1`) {
		t.Errorf("the cut stream was not counted as an error:\n%s", grepLines(m, "ragline_http_requests_total"))
	}
}

// TestOpenAIStreamsCutByWriteTimeout reproduces /v1/chat/completions and
// /v1/responses streams cut by server.write_timeout ending without an
// error and counted as successes: they now end with an OpenAI error
// chunk and response.failed, of type timeout, and the metrics record 504.
func TestOpenAIStreamsCutByWriteTimeout(t *testing.T) {
	base := slowWriteTimeoutServer(t)

	for _, c := range []struct {
		path, body string
		// last is the pattern the stream's last message must match.
		last *regexp.Regexp
	}{
		{"/v1/chat/completions", `{"model":"default","stream":true,"messages":[{"role":"user","content":"Tell me everything."}]}`,
			regexp.MustCompile(`data: \{"error":\{[^\n]*"type":"timeout"[^\n]*\}\}\n\n$`)},
		{"/v1/responses", `{"model":"default","stream":true,"input":"Tell me everything."}`,
			regexp.MustCompile(`event: response.failed\ndata: \{[^\n]*"status":"failed"[^\n]*"type":"timeout"[^\n]*\}\n\n$`)},
	} {
		t.Run(c.path, func(t *testing.T) {
			resp, err := http.Post(base+c.path, "application/json", strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body) // a cut connection ends the body early
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "more ") {
				t.Fatalf("%d stream: %.300s", resp.StatusCode, body)
			}
			if !c.last.Match(body) {
				t.Errorf("the stream did not end with a timeout error:\n…%s", body[max(0, len(body)-400):])
			}
			m := scrape(t, base)
			if want := `ragline_http_requests_total{code="504",method="POST",route="POST ` + c.path + `"} 1`; !strings.Contains(m, want) {
				t.Errorf("the cut stream was not counted as an error:\n%s", grepLines(m, "ragline_http_requests_total"))
			}
		})
	}
}

// TestAnswersCutByWriteTimeout reproduces an answer that is not
// streamed and takes longer than server.write_timeout (a slow model):
// the server went on waiting for it and the client got a dropped
// connection, or nothing until its own timeout. Every answering route
// now ends the answer shortly before the write deadline and replies 504
// of type timeout, counted as such in the metrics.
func TestAnswersCutByWriteTimeout(t *testing.T) {
	base := slowWriteTimeoutServer(t)
	client := &http.Client{Timeout: 20 * time.Second}
	for _, c := range []struct{ path, body string }{
		{"/v1/chat", `{"message":"Tell me everything."}`},
		{"/v1/chat/completions", `{"model":"default","messages":[{"role":"user","content":"Tell me everything."}]}`},
		{"/v1/responses", `{"model":"default","input":"Tell me everything."}`},
		{"/v1/invoke", `{"target":"answer","input":{"question":"Tell me everything."}}`},
	} {
		t.Run(c.path, func(t *testing.T) {
			resp, err := client.Post(base+c.path, "application/json", strings.NewReader(c.body))
			if err != nil {
				t.Fatalf("no response: %v", err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("body cut: %v (%d %.200s)", err, resp.StatusCode, body)
			}
			if resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(string(body), `"type":"timeout"`) || !strings.Contains(string(body), "server.write_timeout") {
				t.Fatalf("%d %s; want 504 of type timeout naming server.write_timeout", resp.StatusCode, body)
			}
			m := scrape(t, base)
			if want := `ragline_http_requests_total{code="504",method="POST",route="POST ` + c.path + `"} 1`; !strings.Contains(m, want) {
				t.Errorf("the cut answer was not counted as a timeout:\n%s", grepLines(m, "ragline_http_requests_total"))
			}
		})
	}
}

// TestSnapshotServedReadOnly serves a snapshot opened without
// --read-only: uploads and deletes get 409 read_only.
func TestSnapshotServedReadOnly(t *testing.T) {
	_, live, _ := hardenedServer(t, nil)
	snap := filepath.Join(t.TempDir(), "kb.ragline")
	if _, err := live.Snapshot(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	k, err := kb.Open(context.Background(), cfg, snap, false)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	docs, err := k.Documents(context.Background(), "default")
	if err != nil || len(docs) != 1 {
		t.Fatalf("snapshot documents: %v %v", docs, err)
	}
	srv := httptest.NewServer(New(k, Options{Config: cfg}))
	defer srv.Close()
	ctype, body := multipartBody(t, map[string][]byte{"new.md": []byte("# New\n\nNew text.\n")})
	for _, c := range []struct {
		method, path string
		header       map[string]string
		body         string
	}{
		{"POST", "/v1/collections/default/documents", map[string]string{"Content-Type": ctype}, body.String()},
		{"DELETE", "/v1/documents/" + docs[0].ID, nil, ""},
	} {
		code, out := rawDo(t, c.method, srv.URL+c.path, c.header, c.body)
		if code != http.StatusConflict || !strings.Contains(out, `"type":"read_only"`) {
			t.Errorf("%s %s: %d %s, want 409 read_only", c.method, c.path, code, out)
		}
	}
}

// hugePagePDF is a PDF of one 14400 × 14400 point page (200 inches
// square, the largest plain PDF page) with a line of text: a few hundred
// bytes that once took gigabytes to render.
func hugePagePDF() []byte {
	content := "BT /F1 400 Tf 100 7000 Td (Vast page) Tj ET"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	var offsets []int
	for i, o := range objs {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// TestHugePageImage reproduces page images of a huge page exhausting
// memory (default resolution) or failing with 500 (?dpi=200): the page
// is rendered at a resolution that keeps it within 16 Mpx, which the
// X-Ragline-DPI header reports.
func TestHugePageImage(t *testing.T) {
	srv, k, _ := hardenedServer(t, nil)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "vast.pdf"), hugePagePDF(), 0o644); err != nil {
		t.Fatal(err)
	}
	if rep, err := k.Ingest(context.Background(), "", []string{dir}, nil); err != nil || rep.Failed > 0 {
		t.Fatalf("ingest: %+v %v", rep, err)
	}
	var id string
	docs, _ := k.Documents(context.Background(), "default")
	for _, d := range docs {
		if d.Type == "pdf" {
			id = d.ID
		}
	}
	for _, q := range []string{"", "?dpi=200"} {
		resp, err := http.Get(srv.URL + "/v1/documents/" + id + "/pages/1.png" + q)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("page%s: %d %s", q, resp.StatusCode, body)
			continue
		}
		img, err := png.DecodeConfig(bytes.NewReader(body))
		if err != nil || img.Width*img.Height > ingest.MaxPagePixels {
			t.Errorf("page%s: %dx%d %v", q, img.Width, img.Height, err)
		}
		if dpi := resp.Header.Get("X-Ragline-DPI"); dpi != "20" {
			t.Errorf("page%s rendered at %q dpi, want 20", q, dpi)
		}
	}
}
