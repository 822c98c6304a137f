package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/schema"
)

func newTestServer(t *testing.T, apiKey string) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	docs := t.TempDir()
	if err := os.WriteFile(filepath.Join(docs, "parking.md"), []byte("# Parking\n\nParking is free for employees on level two of the garage.\n\nVisitors pay five dollars per day.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Server.APIKey = config.NewSecret(apiKey)
	cfg.Server.MaxBodyBytes = 2048
	k, err := kb.Open(ctx, cfg, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	if rep, err := k.Ingest(ctx, "", []string{docs}, nil); err != nil || rep.Failed > 0 {
		t.Fatalf("ingest: %+v %v", rep, err)
	}
	srv := httptest.NewServer(New(k, Options{Config: cfg, Version: map[string]string{"version": "test"}}))
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url, key, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp, out
}

func TestChat(t *testing.T) {
	srv := newTestServer(t, "")
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat", strings.NewReader(`{"message":"Is parking free for employees?"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r schema.Response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.Contains(r.Answer, "Parking is free") || len(r.Citations) == 0 || r.Citations[0].Source != "parking.md" {
		t.Fatalf("status %d, response %+v", resp.StatusCode, r)
	}
	if len(r.Digest) != 64 {
		t.Errorf("digest %q", r.Digest)
	}
}

func TestErrors(t *testing.T) {
	srv := newTestServer(t, "")
	cases := []struct {
		name, body string
		status     int
		typ, field string
	}{
		{"empty message", `{"message":"  "}`, 400, "invalid_request", "message"},
		{"unknown field", `{"message":"x","foo":1}`, 400, "invalid_request", "foo"},
		{"wrong type", `{"message":5}`, 400, "invalid_request", "message"},
		{"bad json", `{"message":`, 400, "invalid_request", ""},
		{"empty body", ``, 400, "invalid_request", ""},
		{"bad collection", `{"message":"x","collection":"../etc"}`, 400, "invalid_request", "collection"},
		{"too large", `{"message":"` + strings.Repeat("a", 4000) + `"}`, 413, "too_large", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, out := post(t, srv.URL+"/v1/chat", "", c.body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %v", resp.StatusCode, c.status, out)
			}
			e, _ := out["error"].(map[string]any)
			if e == nil || e["type"] != c.typ || e["message"] == "" {
				t.Fatalf("error shape: %v", out)
			}
			if c.field != "" && e["field"] != c.field {
				t.Errorf("field %v, want %s", e["field"], c.field)
			}
		})
	}
}

func TestAPIKey(t *testing.T) {
	srv := newTestServer(t, "k3y")
	if resp, out := post(t, srv.URL+"/v1/chat", "", `{"message":"parking"}`); resp.StatusCode != 401 {
		t.Fatalf("no key: %d %v", resp.StatusCode, out)
	}
	if resp, _ := post(t, srv.URL+"/v1/chat", "wrong", `{"message":"parking"}`); resp.StatusCode != 401 {
		t.Fatalf("wrong key: %d", resp.StatusCode)
	}
	if resp, out := post(t, srv.URL+"/v1/chat", "k3y", `{"message":"parking"}`); resp.StatusCode != 200 {
		t.Fatalf("right key: %d %v", resp.StatusCode, out)
	}
	for _, path := range []string{"/healthz", "/readyz", "/version"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d (probes must not need the key)", path, resp.StatusCode)
		}
	}
}
