package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/config"
)

func TestCORS(t *testing.T) {
	const app = "https://app.example.com"
	preflight := func(origin string) request {
		return request{method: "OPTIONS", path: "/v1/chat", header: http.Header{
			"Origin": {origin}, "Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"authorization, content-type"},
		}}
	}
	withOrigin := func(origin, key string) request {
		h := bearer(key)
		h.Set("Origin", origin)
		return request{method: "GET", path: "/v1/collections", header: h}
	}
	cases := []struct {
		name    string
		origins []string
		req     request
		code    int
		want    map[string]string // headers and values; "" means absent
	}{
		{"allowed origin", []string{app}, withOrigin(app, readerKey), 200, map[string]string{
			"Access-Control-Allow-Origin": app, "Vary": "Origin", "Access-Control-Expose-Headers": "X-Request-Id, Retry-After",
		}},
		{"allowed origin, written differently in the configuration", []string{"HTTPS://App.Example.com/"}, withOrigin(app, readerKey), 200, map[string]string{
			"Access-Control-Allow-Origin": app,
		}},
		{"allowed origin, error response", []string{app}, withOrigin(app, "wrong"), 401, map[string]string{
			"Access-Control-Allow-Origin": app, "Access-Control-Expose-Headers": "X-Request-Id, Retry-After",
		}},
		{"other origin", []string{app}, withOrigin("https://evil.example.com", readerKey), 200, map[string]string{
			"Access-Control-Allow-Origin": "", "Access-Control-Expose-Headers": "", "Access-Control-Allow-Methods": "", "Vary": "Origin",
		}},
		{"any origin", []string{"*"}, withOrigin("https://other.example.org", readerKey), 200, map[string]string{
			"Access-Control-Allow-Origin": "https://other.example.org", "Vary": "Origin",
		}},
		{"no origins configured", nil, withOrigin(app, readerKey), 200, map[string]string{
			"Access-Control-Allow-Origin": "", "Access-Control-Expose-Headers": "", "Vary": "",
		}},
		{"preflight without a key", []string{app}, preflight(app), 204, map[string]string{
			"Access-Control-Allow-Origin":  app,
			"Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
			"Access-Control-Allow-Headers": "Authorization, Content-Type, X-API-Key, X-Request-Id",
			"Access-Control-Max-Age":       "600",
		}},
		{"preflight from another origin", []string{app}, preflight("https://evil.example.com"), 405, map[string]string{
			"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": "",
		}},
		{"preflight, no origins configured", nil, preflight(app), 405, map[string]string{
			"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": "",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, _, _ := keyedServer(t, func(cfg *config.Config) { cfg.Server.CORS.AllowedOrigins = c.origins })
			resp, out := send(t, srv.URL, c.req)
			if resp.StatusCode != c.code {
				t.Fatalf("%d, want %d: %v", resp.StatusCode, c.code, out)
			}
			for h, want := range c.want {
				got := strings.Join(resp.Header.Values(h), ", ")
				if want == "" && got != "" {
					t.Errorf("%s: %q, want none", h, got)
				}
				if want != "" && !strings.Contains(got, want) {
					t.Errorf("%s: %q, want %q", h, got, want)
				}
			}
		})
	}
}
