package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"go.uber.org/goleak"

	"github.com/ragline/ragline/internal/config"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
	cache     = wazero.NewCompilationCache()
)

// wasm builds the example plugin and the hostile test plugin with
// GOOS=wasip1 GOARCH=wasm, once per test run, and returns the path of
// the named one ("textstats" or "hostile").
func wasm(t testing.TB, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "ragline-plugins")
		if buildErr != nil {
			return
		}
		// The go command that runs the tests (go test puts its GOROOT's
		// bin first on PATH), else the one on PATH.
		gobin, err := exec.LookPath("go")
		if err != nil {
			buildErr = err
			return
		}
		for name, pkg := range map[string]string{"textstats": "../../examples/plugins/textstats", "hostile": "./testdata/hostile"} {
			cmd := exec.Command(gobin, "build", "-o", filepath.Join(buildDir, name+".wasm"), pkg)
			cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("build %s: %v\n%s", pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, name+".wasm")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func pluginConfig(name, path string) config.PluginConfig {
	return config.PluginConfig{Name: name, Path: path, Timeout: config.Duration(2 * time.Second),
		MemoryLimit: 64 << 20, MaxOutput: 1 << 20, Risk: "medium"}
}

func load(t *testing.T, cfg config.PluginConfig, tr http.RoundTripper) *Plugin {
	t.Helper()
	p, err := Load(context.Background(), cfg, Options{Cache: cache, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

func call(t *testing.T, p *Plugin, args string) (map[string]any, error) {
	t.Helper()
	out, err := p.Call(context.Background(), json.RawMessage(args))
	var m map[string]any
	if err == nil {
		if e := json.Unmarshal(out, &m); e != nil {
			t.Fatalf("output %s: %v", out, e)
		}
	}
	return m, err
}

// dialLog is a transport that records the hosts it is asked to reach.
type dialLog struct {
	mu    sync.Mutex
	hosts []string
}

func (d *dialLog) RoundTrip(r *http.Request) (*http.Response, error) {
	d.mu.Lock()
	d.hosts = append(d.hosts, r.URL.Host)
	d.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// TestExamplePlugin runs the example plugin: it counts text, cannot read
// /etc/passwd, reads only the granted directory, and reaches only the
// granted host through the host function.
func TestExamplePlugin(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "alpha beta beta\ngamma")
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	granted := t.TempDir()
	if err := os.WriteFile(filepath.Join(granted, "notes.txt"), []byte("one two two three three three\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	bare := load(t, pluginConfig("textstats", wasm(t, "textstats")), nil)
	m, err := call(t, bare, `{"text":"the cat and the hat"}`)
	if err != nil || m["words"] != 5.0 || !strings.Contains(fmt.Sprint(m["top"]), "count:2 word:the") {
		t.Fatalf("count: %v %v", m, err)
	}
	if _, err := call(t, bare, `{"file":"/etc/passwd"}`); err == nil || !strings.Contains(err.Error(), "/etc/passwd") {
		t.Errorf("reading /etc/passwd without a grant: %v", err)
	}
	if _, err := call(t, bare, `{"file":"/data/notes.txt"}`); err == nil {
		t.Error("no directory was granted, yet /data was read")
	}

	log := &dialLog{}
	cfg := pluginConfig("textstats", wasm(t, "textstats"))
	cfg.ReadDir, cfg.Hosts = granted, []string{u.Host}
	full := load(t, cfg, log)
	if m, err := call(t, full, `{"file":"/data/notes.txt"}`); err != nil || m["words"] != 6.0 {
		t.Errorf("granted directory: %v %v", m, err)
	}
	if _, err := call(t, full, `{"file":"/data/../etc/passwd"}`); err == nil {
		t.Error("escaped the granted directory")
	}
	if m, err := call(t, full, `{"url":"`+srv.URL+`/doc"}`); err != nil || m["words"] != 4.0 {
		t.Errorf("granted host: %v %v", m, err)
	}
	if _, err := call(t, full, `{"url":"http://evil.example/x"}`); err == nil || !strings.Contains(err.Error(), "not granted") {
		t.Errorf("host not granted: %v", err)
	}
	if len(log.hosts) != 1 || log.hosts[0] != u.Host {
		t.Errorf("hosts reached %v, want only %s", log.hosts, u.Host)
	}
}

// TestSandbox proves what a hostile module cannot do.
func TestSandbox(t *testing.T) {
	var accepted atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	os.Setenv("RAGLINE_SECRET_FOR_TEST", "leak")
	defer os.Unsetenv("RAGLINE_SECRET_FOR_TEST")

	cfg := pluginConfig("hostile", wasm(t, "hostile"))
	cfg.Timeout = config.Duration(time.Second)
	cfg.MemoryLimit = 32 << 20
	p := load(t, cfg, nil)

	t.Run("passwd", func(t *testing.T) {
		m, err := call(t, p, `{"do":"passwd"}`)
		if err != nil || m["read"] != "" || m["error"] == "<nil>" {
			t.Errorf("read /etc/passwd: %v %v", m, err)
		}
	})
	t.Run("socket", func(t *testing.T) {
		m, err := call(t, p, `{"do":"socket","addr":"`+ln.Addr().String()+`"}`)
		if err != nil || m["connected"] != false || accepted.Load() != 0 {
			t.Errorf("socket: %v %v, %d connections accepted", m, err, accepted.Load())
		}
	})
	t.Run("environment", func(t *testing.T) {
		m, err := call(t, p, `{"do":"env"}`)
		if err != nil || len(m["env"].([]any)) != 0 || strings.Contains(fmt.Sprint(m), "leak") || m["root"] != nil {
			t.Errorf("environment: %v %v", m, err)
		}
	})
	t.Run("endless loop", func(t *testing.T) {
		_, err := call(t, p, `{"do":"loop"}`)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("endless loop: %v", err)
		}
	})
	t.Run("memory bomb", func(t *testing.T) {
		// A longer deadline, so that the cap, not the clock, stops it.
		cfg := cfg
		cfg.Timeout = config.Duration(30 * time.Second)
		cfg.MemoryLimit = 16 << 20
		_, err := call(t, load(t, cfg, nil), `{"do":"bomb"}`)
		if !errors.Is(err, ErrMemory) {
			t.Errorf("memory bomb: %v", err)
		}
	})
	t.Run("crash", func(t *testing.T) {
		_, err := call(t, p, `{"do":"crash"}`)
		if err == nil || !strings.Contains(err.Error(), "nil map") {
			t.Errorf("crash: %v", err)
		}
	})
	t.Run("output flood", func(t *testing.T) {
		_, err := call(t, p, `{"do":"flood"}`)
		if !errors.Is(err, ErrOutput) {
			t.Errorf("flood: %v", err)
		}
	})
	t.Run("random", func(t *testing.T) {
		a, errA := call(t, p, `{"do":"rand"}`)
		b, errB := call(t, p, `{"do":"rand"}`)
		if errA != nil || errB != nil || a["rand"] == b["rand"] {
			t.Errorf("two calls drew the same random bytes: %v %v", a, b)
		}
	})
	t.Run("still works", func(t *testing.T) {
		if m, err := call(t, p, `{"do":"echo"}`); err != nil || m["do"] != "echo" {
			t.Errorf("after all that: %v %v", m, err)
		}
	})
}

// BenchmarkCall measures one sandboxed call of the example plugin: a fresh
// module instance, JSON in and out.
func BenchmarkCall(b *testing.B) {
	p, err := Load(context.Background(), pluginConfig("textstats", wasm(b, "textstats")), Options{Cache: cache})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(context.Background())
	args := json.RawMessage(`{"text":"the cat and the hat sat on the mat"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Call(context.Background(), args); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDeadlineHoldsWhileSleeping reproduces a plugin escaping its timeout
// by sleeping (time.Sleep blocks in a host call, where wazero cannot stop
// it): the call now returns DeadlineExceeded at the deadline and leaves no
// goroutine behind.
func TestDeadlineHoldsWhileSleeping(t *testing.T) {
	cfg := pluginConfig("hostile", wasm(t, "hostile"))
	cfg.Timeout = config.Duration(time.Second)
	p := load(t, cfg, nil)
	if _, err := call(t, p, `{"do":"echo"}`); err != nil { // warm up: wazero's own goroutines start now
		t.Fatal(err)
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	res := make(chan error, 1)
	go func() {
		_, err := p.Call(context.Background(), json.RawMessage(`{"do":"sleep"}`))
		res <- err
	}()
	select {
	case err := <-res:
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "deadline") {
			t.Errorf("sleeping plugin: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("a plugin with a 1s timeout is still sleeping a minute later")
	}
	// The instance was closed: the plugin keeps answering, slot freed.
	if m, err := call(t, p, `{"do":"echo"}`); err != nil || m["do"] != "echo" {
		t.Errorf("after the sleeping call: %v %v", m, err)
	}
}

// TestConcurrentCallsBounded checks max_concurrent: with one slot taken
// by a call that runs to its deadline, another call waits for a slot and
// gives up when its own context ends, without starting the module.
func TestConcurrentCallsBounded(t *testing.T) {
	cfg := pluginConfig("hostile", wasm(t, "hostile"))
	cfg.Timeout = config.Duration(5 * time.Second)
	cfg.MaxConcurrent = 1
	p := load(t, cfg, nil)
	first := make(chan error, 1)
	go func() {
		_, err := p.Call(context.Background(), json.RawMessage(`{"do":"sleep"}`))
		first <- err
	}()
	for len(p.slots) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := p.Call(ctx, json.RawMessage(`{"do":"echo"}`))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "slots were busy") {
		t.Errorf("second call with the only slot taken: %v", err)
	}
	if err := <-first; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("first call: %v", err)
	}
}

// TestReadDirSymlinks reproduces read_dir following symbolic links out of
// the granted directory: links leading outside are refused, links inside
// still work.
func TestReadDirSymlinks(t *testing.T) {
	granted := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("outside secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(granted, "notes.txt"), []byte("inside notes"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"passwd":   "/etc/passwd",
		"secret":   filepath.Join(outside, "secret.txt"),
		"up":       outside,
		"relative": "../" + filepath.Base(outside) + "/secret.txt",
		"alias":    "notes.txt",
	} {
		if err := os.Symlink(target, filepath.Join(granted, link)); err != nil {
			t.Fatal(err)
		}
	}
	cfg := pluginConfig("hostile", wasm(t, "hostile"))
	cfg.ReadDir = granted
	p := load(t, cfg, nil)
	for _, f := range []string{"/data/passwd", "/data/secret", "/data/up/secret.txt", "/data/relative", "/data/up"} {
		m, err := call(t, p, `{"do":"read","file":"`+f+`"}`)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if m["read"] != "" || m["entries"] != nil || strings.Contains(fmt.Sprint(m), "outside secret") {
			t.Errorf("%s escaped the granted directory: %v", f, m)
		}
	}
	for _, f := range []string{"/data/notes.txt", "/data/alias"} {
		if m, err := call(t, p, `{"do":"read","file":"`+f+`"}`); err != nil || m["read"] != "inside notes" {
			t.Errorf("%s inside the granted directory: %v %v", f, m, err)
		}
	}
}
