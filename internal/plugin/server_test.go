package plugin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ragline/ragline/internal/agent"
	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/server"
	"github.com/ragline/ragline/internal/tool"
)

// TestServerKeepsServing lets a plugin loop, exhaust its memory and crash
// through /v1/invoke, and the server goes on answering.
func TestServerKeepsServing(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	pc := pluginConfig("hostile", wasm(t, "hostile"))
	pc.Timeout = config.Duration(time.Second)
	pc.MemoryLimit = 16 << 20
	// The memory bomb gets a deadline long enough that the cap stops it.
	hungry := pc
	hungry.Name, hungry.Timeout = "hungry", config.Duration(30*time.Second)
	cfg.Plugins = []config.PluginConfig{pc, hungry}
	docs := t.TempDir()
	if err := os.WriteFile(filepath.Join(docs, "parking.md"), []byte("# Parking\n\nParking is free for employees.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	k, err := kb.Open(ctx, cfg, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if _, err := k.Ingest(ctx, "", []string{docs}, nil); err != nil {
		t.Fatal(err)
	}
	reg := tool.NewRegistry(tool.Options{})
	if err := tool.RegisterBuiltins(reg, cfg, k); err != nil {
		t.Fatal(err)
	}
	for _, c := range cfg.Plugins {
		if err := reg.Register(load(t, c, nil)); err != nil {
			t.Fatal(err)
		}
	}
	a, err := agent.New(k, agent.Options{Config: cfg, Tools: reg})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(k, server.Options{Config: cfg, Agent: a, Tools: reg}))
	defer srv.Close()

	post := func(path, body string) (int, string) {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		b, _ := json.Marshal(m)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct {
		plugin, do string
		status     int
		want       string
	}{
		{"hostile", "loop", http.StatusGatewayTimeout, "deadline"},
		{"hungry", "bomb", http.StatusBadGateway, "memory limit"},
		{"hostile", "crash", http.StatusBadGateway, "nil map"},
		{"hostile", "echo", http.StatusOK, `"do":"echo"`},
	} {
		code, body := post("/v1/invoke", `{"target":"`+c.plugin+`","input":{"do":"`+c.do+`"}}`)
		if code != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s; want %d with %q", c.do, code, body, c.status, c.want)
		}
	}
	if code, body := post("/v1/chat", `{"message":"Is parking free?"}`); code != http.StatusOK || !strings.Contains(body, "free for employees") {
		t.Errorf("chat after the plugin failures: %d %s", code, body)
	}
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
}
