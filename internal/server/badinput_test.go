package server

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/redistest"
	"github.com/ragline/ragline/internal/session"
)

// servesStill checks the server answers a normal question after abuse.
func servesStill(t *testing.T, base string) {
	t.Helper()
	code, out := do(t, "POST", base+"/v1/chat", "application/json", strings.NewReader(`{"message":"Is parking free for employees?"}`))
	if code != 200 || !strings.Contains(out["answer"].(string), "Parking is free") {
		t.Fatalf("server no longer answers: %d %v", code, out)
	}
}

func TestBadRequestsKeepServing(t *testing.T) {
	srv := newTestServer(t, "")
	big := `{"message":"` + strings.Repeat("x", 12<<20) + `"}`
	cases := []struct {
		name, path, body string
		status           int
		typ, field       string
	}{
		{"12 MB body", "/v1/chat", big, 413, "too_large", ""},
		{"unknown collection", "/v1/chat", `{"message":"x","collection":"nope"}`, 404, "not_found", "collection"},
		{"unknown collection in invoke", "/v1/invoke", `{"target":"retrieve","input":{"query":"x","collection":"nope"}}`, 404, "not_found", "input.collection"},
		{"malformed JSON", "/v1/chat", `{"message": "x",}`, 400, "invalid_request", ""},
		{"wrong type", "/v1/chat", `{"message":["x"]}`, 400, "invalid_request", "message"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := do(t, "POST", srv.URL+c.path, "application/json", strings.NewReader(c.body))
			e, _ := out["error"].(map[string]any)
			if code != c.status || e == nil || e["type"] != c.typ || (c.field != "" && e["field"] != c.field) {
				t.Fatalf("%d %v, want %d %s %s", code, out, c.status, c.typ, c.field)
			}
		})
	}
	if code, _ := do(t, "GET", srv.URL+"/v1/sessions/0123456789abcdef", "", nil); code != 404 {
		t.Errorf("unknown session: %d", code)
	}
	servesStill(t, srv.URL)
}

// TestSlowHeadersAreCutOff trickles request headers byte by byte (a
// slow-loris client) against a real server with a 1 s read timeout: the
// server closes that connection while it keeps serving others.
func TestSlowHeadersAreCutOff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := config.Default()
	cfg.Server.ReadTimeout = config.Duration(time.Second)
	k, err := kb.Open(ctx, cfg, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- ListenAndServe(ctx, "127.0.0.1:0", New(k, Options{Config: cfg}), cfg, func(a string) { addr <- a })
	}()
	base := <-addr
	conn, err := net.Dial("tcp", base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		for _, b := range []byte("POST /v1/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n") {
			if _, err := conn.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	// Meanwhile a normal client is served.
	code, _ := do(t, "GET", "http://"+base+"/healthz", "", nil)
	if code != 200 {
		t.Fatalf("healthz during slow client: %d", code)
	}
	select {
	case <-closed:
	case <-time.After(30 * time.Second): // a bound on a hung test, not a speed check
		t.Fatal("the slow client was never cut off")
	}
	// The server closed the connection: reading gets EOF (maybe after a 408).
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(bufio.NewReader(conn)); err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("connection not closed by the server: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// TestStreamsCutMidway opens 200 concurrent streams and drops each after
// its first event; the server must keep serving and not leak goroutines.
func TestStreamsCutMidway(t *testing.T) {
	srv := newTestServer(t, "")
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/chat", strings.NewReader(`{"message":"Is parking free?","stream":true}`))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err
				return
			}
			line, _ := bufio.NewReader(resp.Body).ReadString('\n')
			if !strings.HasPrefix(line, "event: ") {
				errs <- io.ErrUnexpectedEOF
			}
			cancel() // cut the stream
			resp.Body.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("stream: %v", err)
	}
	servesStill(t, srv.URL)
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before+10 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+10 {
		t.Errorf("%d goroutines after the streams, %d before", n, before)
	}
}

// TestReadyzChecksSessionStore reports 503 naming the session store when
// its Redis stops answering.
func TestReadyzChecksSessionStore(t *testing.T) {
	ctx := context.Background()
	addr := redistest.Start(t)
	store, err := session.OpenRedis(ctx, "redis://"+addr+"/0", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cfg := config.Default()
	k, err := kb.Open(ctx, cfg, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	srv := newHTTPTest(t, New(k, Options{Config: cfg, Sessions: store}))
	if code, out := do(t, "GET", srv+"/readyz", "", nil); code != 200 {
		t.Fatalf("ready: %d %v", code, out)
	}
	admin := redis.NewClient(&redis.Options{Addr: addr})
	_ = admin.Do(ctx, "SHUTDOWN", "NOSAVE").Err()
	admin.Close()
	code, out := do(t, "GET", srv+"/readyz", "", nil)
	failed, _ := out["failed"].(map[string]any)
	if code != 503 || failed["sessions"] == nil {
		t.Fatalf("redis down: %d %v", code, out)
	}
}

// newHTTPTest serves h on a loopback httptest server and returns its URL.
func newHTTPTest(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
