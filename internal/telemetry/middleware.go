package telemetry

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Middleware records ragline_http_requests_total and
// ragline_http_request_duration_seconds for next under one route
// pattern, which must be the pattern ("POST /v1/chat"), never the
// request path, to keep the series bounded.
//
// The code label is the status next wrote, 200 when it wrote none. A
// client that goes away does not change it: the status next wrote anyway
// (499 in ragline's API) is the one recorded. When next panics the
// request is recorded as 500 and the panic continues unchanged, stack
// included, to net/http's recovery, which logs it, drops that connection
// and keeps serving others. Methods outside the standard HTTP set are
// recorded as "other".
func (m *Metrics) Middleware(route string, next http.Handler) http.Handler {
	route = labelValue(route)
	duration := m.httpDuration.WithLabelValues(route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		method := r.Method
		if !slices.Contains(requestMethods, method) {
			method = otherLabel
		}
		// A deferred check of a flag, rather than recover, lets a panic
		// (or runtime.Goexit) travel on with its original stack.
		completed := false
		defer func() {
			code := sw.status
			if !completed {
				code = http.StatusInternalServerError
			}
			m.httpRequests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
			duration.Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(sw, r)
		completed = true
	})
}

// statusWriter remembers the final status written through it. It keeps
// streaming working: Flush is passed on, and Unwrap lets
// http.ResponseController reach the connection's other features.
type statusWriter struct {
	http.ResponseWriter
	status int
	final  bool
}

// WriteHeader records the first final status; informational 1xx
// responses other than 101 may precede it.
func (w *statusWriter) WriteHeader(code int) {
	if !w.final && (code < 100 || code > 199 || code == http.StatusSwitchingProtocols) {
		w.status, w.final = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implies status 200 when no final status was written before.
func (w *statusWriter) Write(p []byte) (int, error) {
	w.final = true
	return w.ResponseWriter.Write(p)
}

// Flush sends buffered data to the client, as server-sent events need.
func (w *statusWriter) Flush() { _ = w.FlushError() }

// FlushError is Flush reporting failure; http.ResponseController uses it.
func (w *statusWriter) FlushError() error {
	w.final = true
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap returns the wrapped writer for http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// SetStatus changes the status the metrics record for a response whose
// status line is already sent: a stream that began with 200 and ended
// with an error event is counted with the error's status. Writers not
// made by Middleware are left alone.
func SetStatus(w http.ResponseWriter, code int) {
	for w != nil {
		if sw, ok := w.(*statusWriter); ok {
			sw.status = code
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}
