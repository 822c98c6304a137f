package telemetry

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// syncBuffer collects log output written from server goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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

var generatedID = regexp.MustCompile(`^[0-9a-f]{16}$`)

func TestRequestIDMiddleware(t *testing.T) {
	var logs syncBuffer
	logger := NewLogger(&logs, slog.LevelInfo)
	m := New()
	srv := serve(t, m, map[string]http.Handler{
		"GET /id": RequestIDMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			logger.InfoContext(r.Context(), "served")
			_, _ = io.WriteString(w, RequestID(r.Context()))
		})),
	})

	tests := []struct {
		name   string
		header *string // nil: no header sent
		keep   bool    // the client's id is used
	}{
		{"absent", nil, false},
		{"empty", ptr(""), false},
		{"token", ptr("abc-123_X.y"), true},
		{"uuid", ptr("3f1c2a9e-7b4d-4e0f-9a51-6c2d8e7f1b23"), true},
		{"64 chars", ptr(strings.Repeat("a", 64)), true},
		{"65 chars", ptr(strings.Repeat("a", 65)), false},
		{"space", ptr("has space"), false},
		{"markup", ptr("<script>"), false},
		{"quote", ptr(`a"b`), false},
		{"slash", ptr("a/b"), false},
		{"non-ASCII", ptr("café"), false},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+"/id", nil)
			if tt.header != nil {
				req.Header.Set(RequestIDHeader, *tt.header)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got := resp.Header.Get(RequestIDHeader)
			if string(body) != got {
				t.Errorf("context id %q, response header %q", body, got)
			}
			switch {
			case tt.keep && got != *tt.header:
				t.Errorf("id %q, want the client's %q", got, *tt.header)
			case !tt.keep && !generatedID.MatchString(got):
				t.Errorf("id %q, want 16 generated hex characters", got)
			case !tt.keep && seen[got]:
				t.Errorf("generated id %q twice", got)
			}
			seen[got] = true
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			var rec map[string]any
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rec); err != nil {
				t.Fatalf("log line: %v", err)
			}
			if rec["request_id"] != got {
				t.Errorf("logged request_id %v, want %q", rec["request_id"], got)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestRequestIDContext(t *testing.T) {
	if id := RequestID(context.Background()); id != "" {
		t.Errorf("RequestID of a bare context = %q, want empty", id)
	}
	ctx := WithRequestID(context.Background(), "r1")
	if id := RequestID(ctx); id != "r1" {
		t.Errorf("RequestID = %q, want r1", id)
	}
	if id := RequestID(WithRequestID(ctx, "r2")); id != "r2" {
		t.Errorf("inner RequestID = %q, want r2", id)
	}
}
