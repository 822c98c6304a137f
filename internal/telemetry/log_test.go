package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestContextHandler(t *testing.T) {
	withID := WithRequestID(context.Background(), "req-1")
	tests := []struct {
		name string
		log  func(l *slog.Logger)
		want []map[string]any // the fields checked in each line; nil value: must be absent
	}{
		{
			name: "adds request_id",
			log:  func(l *slog.Logger) { l.InfoContext(withID, "hello", "n", 1) },
			want: []map[string]any{{"msg": "hello", "level": "INFO", "n": 1.0, "request_id": "req-1"}},
		},
		{
			name: "no id in context",
			log:  func(l *slog.Logger) { l.InfoContext(context.Background(), "hello") },
			want: []map[string]any{{"msg": "hello", "request_id": nil}},
		},
		{
			name: "logger without context",
			log:  func(l *slog.Logger) { l.Warn("plain") },
			want: []map[string]any{{"msg": "plain", "level": "WARN", "request_id": nil}},
		},
		{
			name: "kept through With",
			log:  func(l *slog.Logger) { l.With("component", "server").ErrorContext(withID, "failed") },
			want: []map[string]any{{"msg": "failed", "component": "server", "request_id": "req-1"}},
		},
		{
			name: "below level",
			log:  func(l *slog.Logger) { l.DebugContext(withID, "hidden") },
			want: nil,
		},
		{
			name: "one record, two contexts",
			log: func(l *slog.Logger) {
				l.InfoContext(withID, "a")
				l.InfoContext(WithRequestID(context.Background(), "req-2"), "b")
			},
			want: []map[string]any{{"msg": "a", "request_id": "req-1"}, {"msg": "b", "request_id": "req-2"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(NewLogger(&buf, slog.LevelInfo))
			out := strings.TrimSpace(buf.String())
			var lines []string
			if out != "" {
				lines = strings.Split(out, "\n")
			}
			if len(lines) != len(tt.want) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(tt.want), out)
			}
			for i, line := range lines {
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("line %d is not JSON: %v", i, err)
				}
				for k, v := range tt.want[i] {
					got, ok := rec[k]
					if v == nil && ok {
						t.Errorf("line %d: %s = %v, want absent", i, k, got)
					}
					if v != nil && got != v {
						t.Errorf("line %d: %s = %v, want %v", i, k, got, v)
					}
				}
			}
		})
	}
}

func TestContextHandlerInsideGroup(t *testing.T) {
	var buf bytes.Buffer
	NewLogger(&buf, slog.LevelInfo).WithGroup("g").InfoContext(WithRequestID(context.Background(), "r"), "m", "k", "v")
	var rec struct {
		G map[string]string `json:"g"`
	}
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.G["request_id"] != "r" || rec.G["k"] != "v" {
		t.Errorf("group %v, want request_id and k inside it", rec.G)
	}
}
