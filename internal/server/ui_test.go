package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestUIServed checks that the web interface is served without a key,
// under a strict content security policy, and tells the page whether a
// key is needed.
func TestUIServed(t *testing.T) {
	for _, key := range []string{"", "secret-key"} {
		srv := newTestServer(t, key)
		for _, c := range []struct{ path, ctype, contains string }{
			{"/", "text/html", `<script type="module" src="/ui/app.js">`},
			{"/ui/app.js", "text/javascript", "renderMarkdown"},
			{"/ui/style.css", "text/css", "prefers-color-scheme: dark"},
			{"/favicon.ico", "image/x-icon", "\x00\x00\x01\x00"},
			{"/ui/config.json", "application/json", `"key_required":` + map[bool]string{true: "true", false: "false"}[key != ""]},
		} {
			resp, err := http.Get(srv.URL + c.path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.ctype) || !strings.Contains(string(b), c.contains) {
				t.Errorf("key %q %s: %d %s %.80q", key, c.path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("%s: content security policy %q", c.path, csp)
			}
		}
		for _, p := range []string{"/ui/", "/ui/missing.js", "/ui/../go.mod", "/nope"} {
			resp, err := http.Get(srv.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 404 {
				t.Errorf("%s: %d, want 404", p, resp.StatusCode)
			}
		}
	}
}
