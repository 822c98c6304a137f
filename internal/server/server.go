package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/ragline/ragline/internal/agent"
	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/model/openai"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/search"
	"github.com/ragline/ragline/internal/session"
	"github.com/ragline/ragline/internal/store"
	"github.com/ragline/ragline/internal/telemetry"
	"github.com/ragline/ragline/internal/tool"
)

// KnowledgeBase is what the API serves; *kb.KB implements it.
type KnowledgeBase interface {
	Ask(ctx context.Context, collection, question string, history []schema.Message) (schema.Response, error)
	Retrieve(ctx context.Context, collection, query string, n int) (search.Result, error)
	Digest(ctx context.Context) (string, error)
	Collections(ctx context.Context) (map[string]int, error)
	Documents(ctx context.Context, collection string) ([]store.DocInfo, error)
	DocumentInfo(ctx context.Context, id string) (store.DocInfo, error)
	Document(ctx context.Context, id string) (schema.Document, error)
	DeleteDocument(ctx context.Context, id string) error
	Ingest(ctx context.Context, collection string, paths []string, p kb.Progress) (kb.Report, error)
	ReadOnly() bool
	Ping(ctx context.Context) error
}

// Pinger reports whether the store is usable.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Options configure the handler.
type Options struct {
	Config  *config.Config
	Version any // served at /version
	Logger  *slog.Logger
	// Sessions keeps conversations; an in-memory store when nil.
	Sessions session.Store
	// Metrics records Prometheus metrics served at /metrics; a private
	// registry when nil.
	Metrics *telemetry.Metrics
	// BuildVersion labels ragline_build_info.
	BuildVersion string
	// Agent answers questions; when nil, an agent with the configuration's
	// rules and the builtin tools (no chat model, plugins or MCP servers).
	Agent Agent
	// Tools are what POST /v1/invoke may call by name; the default agent's
	// tools when nil.
	Tools Tools
}

// Server is the HTTP API. It is safe for concurrent use.
type Server struct {
	kb       KnowledgeBase
	agent    Agent
	tools    Tools
	opts     Options
	mux      *router
	handler  http.Handler
	sessions session.Store
	openapi  []byte
	keys     *keyring
	// limiter is nil when rate limiting is off.
	limiter *limiter
	authLog authLog
}

// New returns the API handler.
func New(k KnowledgeBase, o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Sessions == nil {
		o.Sessions = session.NewMemory(time.Duration(o.Config.Sessions.TTL), session.MaxTurns(o.Config.Sessions.MaxTurns))
	}
	if o.Metrics == nil {
		o.Metrics = telemetry.New()
	}
	okb := observedKB{KnowledgeBase: k, m: o.Metrics, version: o.BuildVersion}
	okb.refreshBuildInfo(context.Background())
	ag, tools := o.Agent, o.Tools
	if ag == nil {
		var dt Tools
		ag, dt = defaultAgent(k, o.Config, o.Metrics, o)
		if tools == nil {
			tools = dt
		}
	}
	if tools == nil {
		tools = tool.NewRegistry(tool.Options{})
	}
	slots := runtime.GOMAXPROCS(0)
	if m, ok := k.(modelled); ok {
		m.Observe(kb.Observer{Tokens: o.Metrics.Tokens, Fallback: o.Metrics.ModelFallback})
		if m.RemoteModels() {
			// Questions mostly wait on remote models: bound memory, not CPU.
			slots = 64 * runtime.GOMAXPROCS(0)
		}
	}
	s := &Server{kb: okb, opts: o, tools: tools,
		agent: observedAgent{Agent: ag, m: o.Metrics, slots: make(chan struct{}, slots)}, mux: &router{mux: http.NewServeMux(), metrics: o.Metrics}, sessions: o.Sessions,
		keys:    newKeyring(&o.Config.Server),
		limiter: newLimiter(o.Config.Server.RateLimit.RequestsPerSecond, o.Config.Server.RateLimit.Burst, time.Now),
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("GET /version", s.version)
	s.mux.Handle("GET /metrics", o.Metrics.Handler())
	s.openapi = openAPIJSON(o.BuildVersion)
	s.mux.HandleFunc("GET /openapi.json", s.openAPI)
	s.v1("POST /v1/chat", scopeChat, s.chat)
	s.v1("POST /v1/invoke", scopeChat, s.invoke)
	s.v1("GET /v1/tools", scopeChat, s.listTools)
	s.v1("GET /v1/collections", scopeChat, s.listCollections)
	s.v1("GET /v1/collections/{collection}/documents", scopeChat, s.listDocuments)
	s.v1("POST /v1/collections/{collection}/documents", scopeIngest, s.uploadDocuments)
	s.v1("GET /v1/documents/{id}", scopeChat, s.getDocument)
	s.v1("DELETE /v1/documents/{id}", scopeIngest, s.deleteDocument)
	s.v1("GET /v1/documents/{id}/pages/{n}", scopeChat, s.documentPage)
	s.v1("GET /v1/sessions", scopeChat, s.listSessions)
	s.v1("GET /v1/sessions/{id}", scopeChat, s.getSession)
	s.v1("DELETE /v1/sessions/{id}", scopeChat, s.deleteSession)
	s.v1("POST /v1/feedback", scopeChat, s.feedback)
	s.registerOpenAI()
	s.registerNotFound()
	s.registerUI()
	s.handler = telemetry.TracingMiddleware(telemetry.RequestIDMiddleware(s.localGuard(s.cors(s.recoverer(s.mux)))))
	return s
}

// v1 registers an API route: it needs a key holding scope (unless no key
// is configured) and spends a token of the caller's rate limit.
func (s *Server) v1(pattern, scope string, h http.HandlerFunc) {
	s.mux.Handle(pattern, s.auth(scope, s.rateLimit(h)))
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes lists the registered route patterns ("METHOD /path").
func (s *Server) Routes() []string { return append([]string(nil), s.mux.routes...) }

// apiError is the one error shape of the API.
type apiError struct {
	status  int
	Type    string `json:"type"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// Param repeats Field under the name OpenAI clients read.
	Param string `json:"param,omitempty"`
	// retryAfter, in seconds, is sent as Retry-After when > 0.
	retryAfter int
}

func (e *apiError) Error() string { return e.Message }

func badRequest(field, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, Type: "invalid_request", Field: field, Message: fmt.Sprintf(format, args...)}
}

// writeError maps any error to a status code: the only place that does.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := s.toAPIError(r, err)
	if ae.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ae.retryAfter))
	}
	writeJSON(w, ae.status, map[string]any{"error": ae})
}

// modelled is a knowledge base that may call remote models.
type modelled interface {
	Observe(kb.Observer)
	RemoteModels() bool
}

// toAPIError maps an error to the API's error shape and status.
func (s *Server) toAPIError(r *http.Request, err error) *apiError {
	var ae *apiError
	var me *openai.Error
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, tool.ErrInvalidArguments):
		ae = &apiError{status: http.StatusBadRequest, Type: "invalid_request", Field: "input", Message: err.Error()}
	case errors.Is(err, tool.ErrDenied):
		ae = &apiError{status: http.StatusForbidden, Type: "forbidden", Message: err.Error()}
	case errors.Is(err, kb.ErrInvalid):
		ae = &apiError{status: http.StatusBadRequest, Type: "invalid_request", Message: err.Error()}
	case errors.Is(err, session.ErrInvalid):
		ae = sessionError(err)
	case errors.Is(err, session.ErrFull):
		ae = &apiError{status: http.StatusConflict, Type: "session_full", Field: "session_id",
			Message: fmt.Sprintf("the session holds the most turns allowed (sessions.max_turns %d): start a new session", s.opts.Config.Sessions.MaxTurns)}
	case errors.Is(err, session.ErrUnavailable):
		s.opts.Logger.WarnContext(r.Context(), "session store unavailable", "path", r.URL.Path, "err", err)
		ae = &apiError{status: http.StatusServiceUnavailable, Type: "sessions_unavailable", Message: "the session store is not answering; retry shortly", retryAfter: 1}
	case errors.Is(err, store.ErrNotFound), errors.Is(err, session.ErrNotFound):
		ae = &apiError{status: http.StatusNotFound, Type: "not_found", Message: err.Error()}
	case errors.Is(err, store.ErrReadOnly):
		ae = &apiError{status: http.StatusConflict, Type: "read_only", Message: err.Error()}
	case errors.Is(err, store.ErrUnavailable):
		ae = &apiError{status: http.StatusServiceUnavailable, Type: "store_unavailable", Message: err.Error()}
	case errors.Is(err, search.ErrLoading):
		// The in-memory index is still being built at startup: a passing
		// state, so clients are told when to try again.
		ae = &apiError{status: http.StatusServiceUnavailable, Type: "index_loading", Message: err.Error() + "; retry shortly", retryAfter: 1}
	case errors.Is(err, context.Canceled):
		ae = &apiError{status: 499, Type: "canceled", Message: "request canceled"}
	case errors.Is(err, context.DeadlineExceeded):
		ae = &apiError{status: http.StatusGatewayTimeout, Type: "timeout", Message: "request timed out"}
	case errors.As(err, &me):
		// A model server failed (and no fallback applied): say which and why.
		ae = &apiError{status: http.StatusBadGateway, Type: "model_error", Message: err.Error()}
		s.opts.Logger.WarnContext(r.Context(), "model call failed", "path", r.URL.Path, "err", err)
	default:
		s.opts.Logger.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "err", err)
		ae = &apiError{status: http.StatusInternalServerError, Type: "internal", Message: "internal error"}
	}
	ae.Param = ae.Field
	return ae
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the knowledge base and every configured
// dependency (the session store, e.g. Redis) answer, else 503 naming what
// failed. A database (PostgreSQL) that cannot be reached, for the
// knowledge base or for sessions kept in PostgreSQL (usually the same
// database), makes the replica "degraded" but still ready: its in-memory
// index answers searches and new conversations, only writes and
// conversations that go on fail, and taking every replica out of the
// Service at once would turn a database outage into a full one.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	failed := map[string]string{}
	degraded := map[string]string{}
	if err := s.kb.Ping(r.Context()); errors.Is(err, store.ErrUnavailable) {
		degraded["store"] = err.Error()
	} else if err != nil {
		failed["store"] = err.Error()
	}
	if p, ok := s.sessions.(Pinger); ok {
		_, inDatabase := s.sessions.(*session.Postgres)
		if err := p.Ping(r.Context()); inDatabase && errors.Is(err, session.ErrUnavailable) {
			degraded["sessions"] = err.Error()
		} else if err != nil {
			failed["sessions"] = err.Error()
		}
	}
	if len(failed) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "failed": failed})
		return
	}
	if len(degraded) > 0 {
		writeJSON(w, http.StatusOK, map[string]any{"status": "degraded", "degraded": degraded})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// knownCollection answers 404 for a collection that does not exist; the
// default collection always exists, even before anything is ingested.
func (s *Server) knownCollection(r *http.Request, field, name string) error {
	if name == "" || name == s.opts.Config.Collection {
		return nil
	}
	cols, err := s.kb.Collections(r.Context())
	if err != nil {
		return err
	}
	if _, ok := cols[name]; !ok {
		return noCollection(field, name)
	}
	return nil
}

func (s *Server) version(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{"build": s.opts.Version}
	if d, err := s.kb.Digest(r.Context()); err == nil {
		out["kb_digest"] = d
	}
	if s.opts.Config != nil {
		out["config_digest"] = s.opts.Config.Digest()
	}
	writeJSON(w, http.StatusOK, out)
}

type chatRequest struct {
	Message    string `json:"message"`
	SessionID  string `json:"session_id,omitempty"`
	Collection string `json:"collection,omitempty"`
	Stream     bool   `json:"stream,omitempty"`
	// Stateless answers without a session: no history is read and nothing
	// is stored or listed (load and evaluation clients).
	Stateless bool `json:"stateless,omitempty"`
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	if err := s.decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := checkQuestion("message", req.Message, "collection", req.Collection); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.knownCollection(r, "collection", req.Collection); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.allowCollection(r, "collection", req.Collection); err != nil {
		s.writeError(w, r, err)
		return
	}
	sid, err := sessionFor(req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if wantsStream(r, req) {
		s.streamChat(w, r, req, sid)
		return
	}
	history, err := s.history(r, sid, req.SessionID == "")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	resp, err := s.runAgent(r, agent.Request{Collection: req.Collection, Question: req.Message, History: history, MayUse: s.mayUse(r)})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	turn, err := s.record(r, sid, req.Message, resp)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, chatResponse{Response: resp, SessionID: sid, Turn: turn})
}

func asTypeError(err error, te **json.UnmarshalTypeError) bool { return errors.As(err, te) }

// decode reads a JSON body within the size limit, rejecting unknown fields.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &apiError{status: http.StatusUnsupportedMediaType, Type: "unsupported_media_type", Message: "want Content-Type: application/json"}
	}
	limit := int64(s.opts.Config.Server.MaxBodyBytes)
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			return &apiError{status: http.StatusRequestEntityTooLarge, Type: "too_large", Message: fmt.Sprintf("request body over %d bytes", limit)}
		case errors.As(err, &se):
			return badRequest("", "invalid JSON at byte %d: %v", se.Offset, err)
		case errors.As(err, &te):
			return badRequest(te.Field, "field %s: want %s", te.Field, te.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return badRequest(f, "unknown field %q", f)
		case errors.Is(err, io.EOF):
			return badRequest("", "empty request body")
		}
		return badRequest("", "invalid request body: %v", err)
	}
	return nil
}

// ListenAndServe serves h on addr until ctx is cancelled, then drains
// in-flight requests for up to server.grace_period; connections still busy
// after it are closed and an error says so. ready, if not nil, receives
// the bound address once listening.
func ListenAndServe(ctx context.Context, addr string, h http.Handler, cfg *config.Config, ready func(addr string)) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: min(10*time.Second, time.Duration(cfg.Server.ReadTimeout)),
		ReadTimeout:       time.Duration(cfg.Server.ReadTimeout),
		WriteTimeout:      time.Duration(cfg.Server.WriteTimeout),
		IdleTimeout:       time.Duration(cfg.Server.IdleTimeout),
	}
	ln, err := listen(addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	grace := time.Duration(cfg.Server.GracePeriod)
	shutdown, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: requests still in flight after the %v grace period were cut off: %w", grace, err)
	}
	return nil
}
