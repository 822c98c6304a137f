package plugin

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/tool"
)

// pageSize is the size of a WebAssembly memory page.
const pageSize = 64 << 10

// maxStderr keeps the tail of a module's stderr for error messages.
const maxStderr = 4 << 10

// Sentinel errors of a call.
var (
	// ErrMemory is returned when a module hit its memory cap.
	ErrMemory = errors.New("plugin exceeded its memory limit")
	// ErrOutput is returned when a module wrote more than max_output.
	ErrOutput = errors.New("plugin output over the limit")
)

// Options tune how plugins are loaded.
type Options struct {
	// Cache shares compiled modules between plugins and runtimes; nil
	// compiles each module anew.
	Cache wazero.CompilationCache
	// Transport carries ragline.http_get requests (tests record them);
	// http.DefaultTransport when nil.
	Transport httpTransport
}

// Plugin is a loaded WebAssembly tool. It is safe for concurrent use:
// every call runs in a fresh module instance.
type Plugin struct {
	cfg      config.PluginConfig
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	spec     tool.Spec
	// root is the granted directory (nil without one): opened once, it
	// never lets a path, symbolic links included, resolve outside it.
	root *os.Root
	// slots bounds the calls running at once.
	slots chan struct{}
	// running counts modules still running, which may outlive their call
	// by the moment wazero takes to stop them; Close waits for them.
	running sync.WaitGroup
}

// Load compiles a plugin's module in a runtime of its own, capped at the
// plugin's memory limit.
func Load(ctx context.Context, cfg config.PluginConfig, o Options) (*Plugin, error) {
	wasm, err := os.ReadFile(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", cfg.Name, err)
	}
	rc := wazero.NewRuntimeConfig().
		WithCloseOnContextDone(true).
		WithMemoryLimitPages(uint32(int64(cfg.MemoryLimit) / pageSize))
	if o.Cache != nil {
		rc = rc.WithCompilationCache(o.Cache)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("plugin %s: wasi: %w", cfg.Name, err)
	}
	if err := instantiateHost(ctx, rt, cfg, o.Transport); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("plugin %s: host functions: %w", cfg.Name, err)
	}
	compiled, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("plugin %s: compile %s: %w", cfg.Name, cfg.Path, err)
	}
	params := json.RawMessage(`{"type":"object"}`)
	if cfg.Parameters != nil {
		if params, err = json.Marshal(cfg.Parameters); err != nil {
			rt.Close(ctx)
			return nil, fmt.Errorf("plugin %s: parameters: %w", cfg.Name, err)
		}
	}
	var root *os.Root
	if cfg.ReadDir != "" {
		if root, err = os.OpenRoot(cfg.ReadDir); err != nil {
			rt.Close(ctx)
			return nil, fmt.Errorf("plugin %s: read_dir: %w", cfg.Name, err)
		}
	}
	return &Plugin{cfg: cfg, rt: rt, compiled: compiled, root: root, slots: make(chan struct{}, max(1, cfg.MaxConcurrent)),
		spec: tool.Spec{
			Name: cfg.Name, Description: cfg.Description, Parameters: params,
			Timeout: time.Duration(cfg.Timeout), Risk: cfg.Risk,
		}}, nil
}

// Spec implements tool.Tool.
func (p *Plugin) Spec() tool.Spec { return p.spec }

// Close releases the runtime and its compiled module, once the modules
// of calls that ended at their deadline have stopped.
func (p *Plugin) Close(ctx context.Context) error {
	p.running.Wait()
	if p.root != nil {
		_ = p.root.Close()
	}
	return p.rt.Close(ctx)
}

// Call runs the module once: args on stdin, the result from stdout. The
// deadline holds whatever the module does: at the plugin's timeout the
// call answers context.DeadlineExceeded at once, and the instance is
// closed (wazero stops its code at the next instruction it runs; a
// module asleep in the clock's host call is woken first). A trap, a
// non-zero exit, a memory cap hit or output that is not JSON is an
// error. At most max_concurrent calls run at once; the others wait for a
// slot within their deadline.
func (p *Plugin) Call(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(p.cfg.Timeout))
	defer cancel()
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, p.stopped(ctx, fmt.Sprintf("all %d call slots were busy", cap(p.slots)))
	}
	stdout := &limitWriter{max: int(p.cfg.MaxOutput)}
	stderr := &tailWriter{max: maxStderr}
	mc := wazero.NewModuleConfig().
		WithName("").
		WithStdin(bytes.NewReader(args)).
		WithStdout(stdout).
		WithStderr(stderr).
		WithSysWalltime().
		WithSysNanotime().
		// A module's sleep (time.Sleep, poll_oneoff) ends at the deadline:
		// wazero cannot stop a module inside a host call.
		WithNanosleep(func(ns int64) { sleepCtx(ctx, time.Duration(ns)) }).
		// Without this, wazero's random source is deterministic: a module
		// making a token or a nonce would make the same one every call.
		WithRandSource(rand.Reader).
		WithArgs(p.cfg.Name)
	if p.root != nil {
		mc = mc.WithFSConfig(wazero.NewFSConfig().WithFSMount(p.root.FS(), "/data"))
	}
	done := make(chan error, 1)
	p.running.Add(1)
	go func() {
		defer p.running.Done()
		defer func() { <-p.slots }()
		mod, err := p.rt.InstantiateModule(ctx, p.compiled, mc)
		if mod != nil {
			_ = mod.Close(context.Background())
		}
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		// The module's goroutine ends as soon as wazero sees the context
		// (it closes the instance) and frees its slot then.
		return nil, p.stopped(ctx, "")
	}
	if err = p.classify(ctx, err, stdout, stderr); err != nil {
		return nil, err
	}
	out := bytes.TrimSpace(stdout.buf.Bytes())
	if !json.Valid(out) {
		return nil, fmt.Errorf("plugin %s: the output is not JSON: %q", p.cfg.Name, clip(string(out), 200))
	}
	return out, nil
}

// stopped is the error of a call whose context ended: the deadline, or
// the caller's cancellation.
func (p *Plugin) stopped(ctx context.Context, why string) error {
	if ctx.Err() == context.DeadlineExceeded {
		if why != "" {
			why = " (" + why + ")"
		}
		return fmt.Errorf("plugin %s: stopped at its %v deadline%s: %w", p.cfg.Name, time.Duration(p.cfg.Timeout), why, context.DeadlineExceeded)
	}
	return context.Canceled
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// classify turns how a module ended into the call's error.
func (p *Plugin) classify(ctx context.Context, err error, stdout *limitWriter, stderr *tailWriter) error {
	if stdout.over {
		return fmt.Errorf("%w: more than %d bytes on stdout", ErrOutput, p.cfg.MaxOutput)
	}
	if err == nil {
		return nil
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		switch {
		case exit.ExitCode() == 0:
			return nil
		case errors.Is(err, context.DeadlineExceeded), ctx.Err() == context.DeadlineExceeded:
			return fmt.Errorf("plugin %s: stopped at its %v deadline: %w", p.cfg.Name, time.Duration(p.cfg.Timeout), context.DeadlineExceeded)
		case errors.Is(err, context.Canceled):
			return context.Canceled
		}
	}
	msg := stderr.String()
	if strings.Contains(msg, "out of memory") || strings.Contains(err.Error(), "out of memory") {
		return fmt.Errorf("plugin %s: %w (%d bytes): %s", p.cfg.Name, ErrMemory, int64(p.cfg.MemoryLimit), lastLine(msg))
	}
	if exit != nil {
		return fmt.Errorf("plugin %s: exited with status %d: %s", p.cfg.Name, exit.ExitCode(), lastLine(msg))
	}
	return fmt.Errorf("plugin %s: %v: %s", p.cfg.Name, err, lastLine(msg))
}

// limitWriter keeps up to max bytes and notes an attempt to write more;
// the module then sees a failed write.
type limitWriter struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (w *limitWriter) Write(b []byte) (int, error) {
	if w.buf.Len()+len(b) > w.max {
		w.over = true
		return 0, ErrOutput
	}
	return w.buf.Write(b)
}

// tailWriter keeps the first and the last max/2 bytes written: a Go
// module's fatal error comes first, its stack trace after.
type tailWriter struct {
	head []byte
	buf  []byte
	max  int
}

func (w *tailWriter) Write(b []byte) (int, error) {
	if room := w.max/2 - len(w.head); room > 0 {
		w.head = append(w.head, b[:min(room, len(b))]...)
	}
	w.buf = append(w.buf, b...)
	if len(w.buf) > w.max/2 {
		w.buf = w.buf[len(w.buf)-w.max/2:]
	}
	return len(b), nil
}

func (w *tailWriter) String() string {
	return strings.ToValidUTF8(string(w.head)+"\n"+string(w.buf), "")
}

// lastLine returns the most telling line of a module's stderr: the
// first line of a Go panic or fatal error, else the last non-empty line.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "fatal error:") {
			return clip(l, 300)
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if t := strings.TrimSpace(lines[i]); t != "" {
			return clip(t, 300)
		}
	}
	return "(no output on stderr)"
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
