package tool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEvaluate(t *testing.T) {
	for _, c := range []struct {
		expr string
		want float64
	}{
		{"17*23+4", 395},
		{"2+3*4", 14},
		{"(2+3)*4", 20},
		{"2^3^2", 512},
		{"-2^2", -4},
		{"10 % 4", 2},
		{"7/2", 3.5},
		{"sqrt(16) + abs(-3)", 7},
		{"max(1, 5, 3)", 5},
		{"1_000 * 3", 3000},
		{"2.5e2", 250},
		{"6×7", 42},
		{"2**10", 1024},
	} {
		t.Run(c.expr, func(t *testing.T) {
			got, err := Evaluate(c.expr)
			if err != nil || got != c.want {
				t.Fatalf("Evaluate(%q) = %v, %v; want %v", c.expr, got, err, c.want)
			}
		})
	}
	for _, bad := range []string{"", "1/0", "2+", "os.Exit(1)", "__import__('os')", "1; rm -rf /", "(1+2", "exec(1)", strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200), strings.Repeat("1+", 300) + "1"} {
		t.Run("bad "+bad[:min(len(bad), 20)], func(t *testing.T) {
			if v, err := Evaluate(bad); !errors.Is(err, ErrExpression) {
				t.Fatalf("Evaluate(%q) = %v, %v; want ErrExpression", bad, v, err)
			}
		})
	}
}

// recorder keeps what the registry observes.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *recorder) observe(tool, outcome string, _ time.Duration) {
	r.mu.Lock()
	r.calls = append(r.calls, tool+":"+outcome)
	r.mu.Unlock()
}

func newRegistry(t *testing.T, logs io.Writer, tools ...Tool) (*Registry, *recorder) {
	t.Helper()
	rec := &recorder{}
	reg := NewRegistry(Options{Timeout: time.Second, Logger: slog.New(slog.NewJSONHandler(logs, nil)), Observe: rec.observe})
	for _, tl := range tools {
		if err := reg.Register(tl); err != nil {
			t.Fatal(err)
		}
	}
	return reg, rec
}

func TestRegistryValidatesAndObserves(t *testing.T) {
	var logs bytes.Buffer
	slow := Func{S: Spec{Name: "slow", Timeout: 20 * time.Millisecond}, F: func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	secretive := Func{S: Spec{Name: "login", Parameters: json.RawMessage(`{"type":"object","properties":{"user":{"type":"string"},"password":{"type":"string"},"headers":{"type":"object"}}}`)},
		F: func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
			return json.RawMessage(`{}`), nil
		}}
	reg, rec := newRegistry(t, &logs, Calculator(), slow, secretive)
	ctx := context.Background()

	out, err := reg.Call(ctx, "calculator", json.RawMessage(`{"expression":"17*23+4"}`))
	if err != nil || !strings.Contains(string(out), `"value":395`) {
		t.Fatalf("calculator: %s, %v", out, err)
	}
	for _, c := range []struct{ args, want string }{
		{`{}`, "expression"},
		{`{"expression":17}`, "expression"},
		{`{"expression":"1+1","extra":true}`, "extra"},
		{`[1]`, "object"},
		{`{"expression":`, "not JSON"},
	} {
		_, err := reg.Call(ctx, "calculator", json.RawMessage(c.args))
		if !errors.Is(err, ErrInvalidArguments) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("args %s: err %v, want ErrInvalidArguments naming %q", c.args, err, c.want)
		}
	}
	if _, err := reg.Call(ctx, "nope", nil); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown tool: %v", err)
	}
	if _, err := reg.Call(ctx, "slow", nil); !errors.Is(err, context.DeadlineExceeded) || OutcomeOf(err) != OutcomeTimeout {
		t.Errorf("slow tool: %v", err)
	}
	if _, err := reg.CallAllowed(ctx, []string{"calculator"}, "login", json.RawMessage(`{}`)); !errors.Is(err, ErrDenied) {
		t.Errorf("off the allow-list: %v", err)
	}
	if _, err := reg.Call(ctx, "login", json.RawMessage(`{"user":"ann","password":"hunter2","headers":{"Authorization":"Bearer abc"}}`)); err != nil {
		t.Fatal(err)
	}
	want := []string{"calculator:ok", "calculator:invalid", "calculator:invalid", "calculator:invalid", "calculator:invalid", "calculator:invalid",
		"other:denied", "slow:timeout", "login:denied", "login:ok"}
	if strings.Join(rec.calls, ",") != strings.Join(want, ",") {
		t.Errorf("observed %v\nwant     %v", rec.calls, want)
	}
	if strings.Contains(logs.String(), "hunter2") || strings.Contains(logs.String(), "Bearer abc") {
		t.Errorf("a secret reached the log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `\"user\":\"ann\"`) || strings.Count(logs.String(), `"msg":"tool call"`) != len(want) {
		t.Errorf("every call must be logged with its arguments:\n%s", logs.String())
	}
}

func TestCurrentTime(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC) }
	reg, _ := newRegistry(t, io.Discard, CurrentTime("UTC", now))
	out, err := reg.Call(context.Background(), "current_time", json.RawMessage(`{"zone":"Asia/Shanghai"}`))
	if err != nil || !strings.Contains(string(out), "2026-03-01T20:30:00+08:00") {
		t.Fatalf("got %s, %v", out, err)
	}
	if _, err := reg.Call(context.Background(), "current_time", json.RawMessage(`{"zone":"Mars/Olympus"}`)); !errors.Is(err, ErrInvalidArguments) {
		t.Errorf("unknown zone: %v", err)
	}
}

// dialRecorder is a transport that records every address it dials.
type dialRecorder struct {
	mu    sync.Mutex
	dials []string
	tr    *http.Transport
}

func newDialRecorder() *dialRecorder {
	d := &dialRecorder{}
	d.tr = &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		d.mu.Lock()
		d.dials = append(d.dials, addr)
		d.mu.Unlock()
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	return d
}

func TestHTTPRequestAllowList(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Write(bytes.Repeat([]byte("x"), 5000))
		case "/away":
			http.Redirect(w, r, "http://evil.example/steal", http.StatusFound)
		default:
			io.WriteString(w, "hello "+r.Method)
		}
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	rec := newDialRecorder()
	reg, _ := newRegistry(t, io.Discard, HTTPRequest(HTTPOptions{AllowedHosts: []string{u.Host}, AllowedMethods: []string{"GET"},
		MaxResponseBytes: 1000, Timeout: 5 * time.Second, Transport: rec.tr}))
	ctx := context.Background()
	call := func(args string) (map[string]any, error) {
		out, err := reg.Call(ctx, "http_request", json.RawMessage(args))
		var m map[string]any
		_ = json.Unmarshal(out, &m)
		return m, err
	}
	m, err := call(`{"url":"` + srv.URL + `/hi"}`)
	if err != nil || m["body"] != "hello GET" {
		t.Fatalf("allowed request: %v, %v", m, err)
	}
	m, err = call(`{"url":"` + srv.URL + `/big"}`)
	if err != nil || len(m["body"].(string)) != 1000 || m["truncated"] != true {
		t.Fatalf("size limit: %v", err)
	}
	if _, err := call(`{"url":"http://evil.example/x"}`); !errors.Is(err, ErrDenied) {
		t.Errorf("host off the list: %v", err)
	}
	if _, err := call(`{"url":"` + srv.URL + `/away"}`); !errors.Is(err, ErrDenied) {
		t.Errorf("redirect off the list: %v", err)
	}
	if _, err := call(`{"url":"` + srv.URL + `/hi","method":"POST"}`); !errors.Is(err, ErrInvalidArguments) {
		t.Errorf("method off the list: %v", err)
	}
	for _, d := range rec.dials {
		if d != u.Host {
			t.Errorf("dialled %s, which is not allowed", d)
		}
	}
}

func TestRedact(t *testing.T) {
	got := Redact(json.RawMessage(`{"api_key":"k1","nested":{"Token":"t"},"list":[{"secret":"s"}],"auth":"Basic eA==","q":"fine"}`))
	for _, leak := range []string{"k1", `"t"`, `"s"`, "eA=="} {
		if strings.Contains(got, leak) {
			t.Errorf("%s leaks %s", got, leak)
		}
	}
	if !strings.Contains(got, `"q":"fine"`) {
		t.Errorf("ordinary values must stay: %s", got)
	}
}
