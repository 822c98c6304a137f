package server

import (
	"net"
	"net/http"
	"slices"
	"strings"
)

// localGuard protects open local mode, where no key is configured and
// anything that reaches the port is served. Browsers are the threat: a
// page on another site (or another port of localhost) can send requests
// to the loopback address, and a DNS-rebinding page can even read the
// answers. So in open mode the server answers only Host names listed in
// server.allowed_hosts (loopback by default), and refuses state-changing
// requests (POST, DELETE, …) that a browser marks as cross-origin through
// Sec-Fetch-Site or Origin, unless server.cors.allowed_origins lists the
// origin. Health checks are exempt from the Host check, so that probes
// addressing the pod by IP keep working. With keys configured the guard
// is off: a browser cannot send a key it does not have.
func (s *Server) localGuard(next http.Handler) http.Handler {
	if !s.keys.open() {
		return next
	}
	hosts := s.opts.Config.Server.AllowedHosts
	anyHost := slices.Contains(hosts, "*")
	cop := http.NewCrossOriginProtection()
	trustAll := false
	for _, o := range s.opts.Config.Server.CORS.AllowedOrigins {
		if o == "*" {
			trustAll = true
			continue
		}
		_ = cop.AddTrustedOrigin(normalOrigin(o)) // an origin it cannot parse is never sent by a browser
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, &apiError{status: http.StatusForbidden, Type: "cross_origin",
			Message: "cross-origin request refused: open local mode accepts state-changing requests only from its own pages (list other origins under server.cors.allowed_origins)"})
	}))
	guarded := next
	if !trustAll {
		guarded = cop.Handler(next)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !anyHost && !isHealthCheck(r) && !hostAllowed(hosts, r.Host) {
			s.writeError(w, r, &apiError{status: http.StatusForbidden, Type: "forbidden_host",
				Message: "host not served in open local mode (list it under server.allowed_hosts, or configure API keys)"})
			return
		}
		guarded.ServeHTTP(w, r)
	})
}

// isHealthCheck reports the liveness and readiness probes.
func isHealthCheck(r *http.Request) bool {
	return r.Method == http.MethodGet && (r.URL.Path == "/healthz" || r.URL.Path == "/readyz")
}

// hostAllowed reports whether the Host header names one of hosts, any
// port, compared case-insensitively.
func hostAllowed(hosts []string, hostport string) bool {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	h = strings.TrimSuffix(strings.Trim(h, "[]"), ".")
	for _, a := range hosts {
		if strings.EqualFold(strings.Trim(a, "[]"), h) {
			return true
		}
	}
	return false
}
