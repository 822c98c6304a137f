package web

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var static embed.FS

// Options are the facts the page needs before calling the API.
type Options struct {
	// DefaultCollection is where a chat goes when no collection is picked.
	DefaultCollection string
	// KeyRequired tells the page to ask for an API key up front.
	KeyRequired bool
}

// contentSecurityPolicy allows only the page's own scripts, styles and
// API: no inline script, no plugins, no framing, images from the API
// (fetched with the key, shown from blob: URLs).
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
	"connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'"

// Handler serves the page at "/", its assets under "/ui/" and the icon at
// "/favicon.ico" (where browsers ask for it). It is safe for concurrent use.
func Handler(o Options) http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded folder is part of the binary
	}
	cfg, _ := json.Marshal(map[string]any{"default_collection": o.DefaultCollection, "key_required": o.KeyRequired})
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		switch p := r.URL.Path; {
		case p == "/" || p == "/index.html":
			h.Set("Cache-Control", "no-cache")
			http.ServeFileFS(w, r, sub, "index.html")
		case p == "/favicon.ico":
			h.Set("Content-Type", "image/x-icon")
			h.Set("Cache-Control", "public, max-age=86400")
			http.ServeFileFS(w, r, sub, "favicon.ico")
		case p == "/ui/config.json":
			h.Set("Content-Type", "application/json; charset=utf-8")
			h.Set("Cache-Control", "no-store")
			_, _ = w.Write(cfg)
		case strings.HasPrefix(p, "/ui/"):
			name := strings.TrimPrefix(path.Clean(p), "/ui/")
			if name == "index.html" || !fs.ValidPath(name) {
				http.NotFound(w, r)
				return
			}
			if _, err := fs.Stat(sub, name); err != nil {
				http.NotFound(w, r)
				return
			}
			h.Set("Cache-Control", "no-cache")
			r2 := r.Clone(r.Context())
			r2.URL.Path = "/" + name
			files.ServeHTTP(w, r2)
		default:
			http.NotFound(w, r)
		}
	})
}
