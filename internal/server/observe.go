package server

import (
	"context"
	"fmt"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"net/http"

	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/telemetry"
)

// router registers routes on a ServeMux, instrumenting each with its
// pattern as the metrics route label and remembering the patterns (the
// OpenAPI document must list exactly these).
type router struct {
	mux     *http.ServeMux
	metrics *telemetry.Metrics
	routes  []string
}

// Handle registers an instrumented handler; the request's trace span is
// named after the route pattern.
func (r *router) Handle(pattern string, h http.Handler) {
	r.routes = append(r.routes, pattern)
	named := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		span := trace.SpanFromContext(req.Context())
		span.SetName(pattern)
		span.SetAttributes(attribute.String("http.route", pattern))
		h.ServeHTTP(w, req)
	})
	r.mux.Handle(pattern, r.metrics.Middleware(pattern, named))
}

// HandleFunc registers an instrumented handler function.
func (r *router) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	r.Handle(pattern, http.HandlerFunc(h))
}

// ServeHTTP dispatches to the registered routes.
func (r *router) ServeHTTP(w http.ResponseWriter, req *http.Request) { r.mux.ServeHTTP(w, req) }

// observedKB records ingestion results and the served digest around the
// knowledge base.
type observedKB struct {
	KnowledgeBase
	m       *telemetry.Metrics
	version string
}

func (o observedKB) Ingest(ctx context.Context, collection string, paths []string, p kb.Progress) (kb.Report, error) {
	rep, err := o.KnowledgeBase.Ingest(ctx, collection, paths, p)
	o.m.IngestDocuments("added", rep.Added)
	o.m.IngestDocuments("replaced", rep.Replaced)
	o.m.IngestDocuments("unchanged", rep.Unchanged)
	o.m.IngestDocuments("failed", rep.Failed)
	o.refreshBuildInfo(ctx)
	return rep, err
}

func (o observedKB) DeleteDocument(ctx context.Context, id string) error {
	err := o.KnowledgeBase.DeleteDocument(ctx, id)
	o.refreshBuildInfo(ctx)
	return err
}

// PingStore checks the store alone when the knowledge base can (an index
// still loading does not stop writes), else pings it whole: the wrapper
// must not hide what storeWritable looks for.
func (o observedKB) PingStore(ctx context.Context) error {
	if p, ok := o.KnowledgeBase.(interface{ PingStore(context.Context) error }); ok {
		return p.PingStore(ctx)
	}
	return o.KnowledgeBase.Ping(ctx)
}

// refreshBuildInfo publishes the digest of the knowledge base now served.
func (o observedKB) refreshBuildInfo(ctx context.Context) {
	if d, err := o.KnowledgeBase.Digest(ctx); err == nil {
		o.m.SetBuildInfo(o.version, d)
	}
}

// recoverer turns a handler panic into the API's 500 error, logged once,
// so one bad request never takes the connection or the process down.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.writeError(w, r, fmt.Errorf("panic: %v", p))
			}
		}()
		next.ServeHTTP(w, r)
	})
}
