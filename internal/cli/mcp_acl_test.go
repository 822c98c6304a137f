package cli

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/server"
	"github.com/ragline/ragline/internal/telemetry"
)

// TestMCPACL is the MCP route of the ACL-leak suite: the MCP tools take
// any collection, so a key limited to some collections never reaches
// them, whatever its scopes; unlimited chat and admin keys do.
func TestMCPACL(t *testing.T) {
	cfg := config.Default()
	keys := map[string]string{"admin": "rl_mcp-admin-key", "chat-a": "rl_mcp-chat-a-key", "ingest-a": "rl_mcp-ingest-a-key", "chat": "rl_mcp-chat-key"}
	cfg.Server.Keys = []config.APIKey{
		{Name: "admin", Hash: server.HashKey(keys["admin"]), Scopes: []string{"admin"}},
		{Name: "chat-a", Hash: server.HashKey(keys["chat-a"]), Scopes: []string{"chat"}, Collections: []string{"alpha"}},
		{Name: "ingest-a", Hash: server.HashKey(keys["ingest-a"]), Scopes: []string{"ingest"}, Collections: []string{"alpha"}},
		{Name: "chat", Hash: server.HashKey(keys["chat"]), Scopes: []string{"chat"}},
	}
	reached := 0
	metrics := telemetry.New()
	var logs bytes.Buffer
	h := mcpAuth(cfg, metrics, slog.New(slog.NewTextHandler(&logs, nil)), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++ }))
	keys["unknown"] = "rl_mcp-unknown-key"
	for name, want := range map[string]int{"admin": 200, "chat-a": 401, "ingest-a": 401, "chat": 200, "": 401, "unknown": 401} {
		req := httptest.NewRequest(http.MethodPost, "/mcp", nil)
		if name != "" {
			req.Header.Set("Authorization", "Bearer "+keys[name])
		}
		rec := httptest.NewRecorder()
		before := reached
		h.ServeHTTP(rec, req)
		if rec.Code != want || (want == 401) != (reached == before) {
			t.Errorf("key %q: %d (handler reached: %v), want %d", name, rec.Code, reached > before, want)
		}
	}
	// The refusals are counted by reason as the API's are, and logged
	// (rate-limited: the first one at least) without the key.
	rec := httptest.NewRecorder()
	metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`ragline_auth_failures_total{reason="insufficient_scope"} 2`,
		`ragline_auth_failures_total{reason="missing"} 1`,
		`ragline_auth_failures_total{reason="invalid"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s:\n%s", want, rec.Body.String())
		}
	}
	if !strings.Contains(logs.String(), "authentication failed") || strings.Contains(logs.String(), "rl_mcp-") {
		t.Errorf("log: %s", logs.String())
	}
}
