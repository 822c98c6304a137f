package server

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/ragline/ragline/internal/telemetry"
)

// Reasons of a failed authentication, the reason label of
// ragline_auth_failures_total.
const (
	authMissing = "missing"            // no key in the request
	authInvalid = "invalid"            // a key that matches no configured key
	authScope   = "insufficient_scope" // a known key without the route's scope
)

// authLogInterval is the least time between two logged authentication
// failures; failures in between are counted and reported with the next
// record, so a flood of bad keys cannot flood the log.
const authLogInterval = time.Second

// authLog rate-limits the log records of failed authentications. It is
// safe for concurrent use.
type authLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// allow reports whether a record may be written now and how many
// failures went unlogged since the last one.
func (l *authLog) allow(now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && now.Sub(l.last) < authLogInterval {
		l.suppressed++
		return false, 0
	}
	n := l.suppressed
	l.last, l.suppressed = now, 0
	return true, n
}

// authFailed counts a failed authentication and logs it, rate-limited.
func (s *Server) authFailed(r *http.Request, reason, keyName string) {
	recordAuthFailure(&s.authLog, s.opts.Metrics, s.opts.Logger, r, reason, keyName)
}

// recordAuthFailure counts a failed authentication in
// ragline_auth_failures_total and logs it, rate-limited by l. The record
// names the reason, the client address, the route and, for a known key
// lacking a scope, the key's name; never the key or its hash.
func recordAuthFailure(l *authLog, m *telemetry.Metrics, logger *slog.Logger, r *http.Request, reason, keyName string) {
	m.AuthFailure(reason)
	ok, suppressed := l.allow(time.Now())
	if !ok {
		return
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	attrs := []any{"reason", reason, "client", host, "method", r.Method, "route", r.Pattern}
	if keyName != "" {
		attrs = append(attrs, "key", keyName)
	}
	if suppressed > 0 {
		attrs = append(attrs, "unlogged_before", suppressed)
	}
	logger.WarnContext(r.Context(), "authentication failed", attrs...)
}
