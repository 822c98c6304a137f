package telemetry

import (
	"context"
	"go.opentelemetry.io/otel/trace"
	"io"
	"log/slog"
)

// requestIDAttr is the key under which ContextHandler logs the request id.
const requestIDAttr = "request_id"

// NewLogger returns a logger that writes JSON lines at level and above to
// w, adding request_id to every record logged with a context that carries
// one (see ContextHandler).
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(NewContextHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
}

// ContextHandler is a slog.Handler that adds the request id of the
// record's context as request_id, so that every line logged while serving
// a request can be found by the id the client saw in X-Request-Id. Like
// any attribute added at logging time, request_id lands inside groups
// opened with WithGroup. It is safe for concurrent use when the handler
// it wraps is.
type ContextHandler struct {
	next slog.Handler
}

// NewContextHandler wraps next.
func NewContextHandler(next slog.Handler) *ContextHandler {
	return &ContextHandler{next: next}
}

// Enabled reports whether the wrapped handler handles level.
func (h *ContextHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle adds request_id, and trace_id and span_id when ctx carries a
// sampled or remote span, and passes the record on.
func (h *ContextHandler) Handle(ctx context.Context, r slog.Record) error {
	id := RequestID(ctx)
	sc := trace.SpanContextFromContext(ctx)
	if id != "" || sc.IsValid() {
		r = r.Clone() // the record's attributes may be shared with other handlers
		if id != "" {
			r.AddAttrs(slog.String(requestIDAttr, id))
		}
		if sc.IsValid() {
			r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
		}
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs returns a ContextHandler whose wrapped handler has attrs.
func (h *ContextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &ContextHandler{next: h.next.WithAttrs(attrs)}
}

// WithGroup returns a ContextHandler whose wrapped handler opens group.
func (h *ContextHandler) WithGroup(name string) slog.Handler {
	return &ContextHandler{next: h.next.WithGroup(name)}
}
