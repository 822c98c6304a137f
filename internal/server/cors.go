package server

import (
	"net/http"
	"slices"
	"strings"
)

// CORS header values. Browsers need Authorization and X-API-Key allowed to
// send a key, and X-Request-Id and Retry-After exposed to read them.
const (
	corsAllowHeaders  = "Authorization, Content-Type, X-API-Key, X-Request-Id"
	corsAllowMethods  = "GET, POST, DELETE, OPTIONS"
	corsExposeHeaders = "X-Request-Id, Retry-After"
	corsMaxAge        = "600"
)

// cors answers cross-origin requests from the configured origins. A
// preflight (OPTIONS with Access-Control-Request-Method) from an allowed
// origin gets 204 here, before any key check: browsers never send
// credentials on a preflight. Other origins get no CORS headers, so the
// browser blocks them; with no origins configured the handler is
// unchanged. No Allow-Credentials is sent: keys travel in headers, not
// cookies.
func (s *Server) cors(next http.Handler) http.Handler {
	var origins []string
	anyOrigin := false
	for _, o := range s.opts.Config.Server.CORS.AllowedOrigins {
		if o == "*" {
			anyOrigin = true
		}
		origins = append(origins, normalOrigin(o))
	}
	if len(origins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		if origin == "" || !(anyOrigin || slices.Contains(origins, normalOrigin(origin))) {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		next.ServeHTTP(w, r)
	})
}

// normalOrigin compares origins as browsers serialise them: scheme and
// host in lower case, no trailing slash.
func normalOrigin(o string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(o), "/"))
}
