package telemetry

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// otherLabel replaces label values outside a documented set, so that a
// caller's typo or a new code path cannot create an unbounded number of
// series; a non-zero "other" series is a bug to fix, not data to chart.
const otherLabel = "other"

// The documented label values. Every combination is created at zero by
// New, so that dashboards and rate() see the series from the first scrape.
var (
	stages         = []string{"perceive", "decide", "retrieve", "rerank", "generate", "tool"}
	outcomes       = []string{"answered", "no_answer", "refused", "error"}
	ratings        = []string{"up", "down"}
	ingestResults  = []string{"added", "replaced", "unchanged", "failed"}
	tokenKinds     = []string{"prompt", "completion"}
	toolOutcomes   = []string{"ok", "invalid", "denied", "timeout", "error"}
	authReasons    = []string{"missing", "invalid", "insufficient_scope"}
	requestMethods = []string{
		http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace,
	}
)

// durationBuckets span 1 ms (a cached health check) to 30 s (a slow
// generation by a remote model), roughly 2.5× apart so that p95 stays
// readable across that range.
var durationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// Metrics records ragline's Prometheus metrics in a registry of its own,
// so that tests and several servers in one process never collide. Its
// methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	stage        *prometheus.HistogramVec
	answers      *prometheus.CounterVec
	feedback     *prometheus.CounterVec
	ingested     *prometheus.CounterVec
	tokens       *prometheus.CounterVec
	fallbacks    *prometheus.CounterVec
	toolCalls    *prometheus.CounterVec
	authFailures *prometheus.CounterVec
	build        *buildInfo
}

// New returns Metrics with every ragline metric registered, the Go
// runtime and process collectors alongside, and the documented label
// combinations of the answer, feedback, ingest and stage metrics
// initialised to zero.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ragline_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ragline_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route pattern.",
			Buckets: durationBuckets,
		}, []string{"route"}),
		stage: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ragline_stage_duration_seconds",
			Help:    "Time spent in one stage of answering a question.",
			Buckets: durationBuckets,
		}, []string{"stage"}),
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ragline_answers_total",
			Help: "Questions handled, by outcome.",
		}, []string{"outcome"}),
		feedback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ragline_feedback_total",
			Help: "User feedback on answers, by rating.",
		}, []string{"rating"}),
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ragline_ingest_documents_total",
			Help: "Documents offered for ingestion, by result.",
		}, []string{"result"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ragline_model_tokens_total",
			Help: "Tokens exchanged with language models, by model and kind.",
		}, []string{"model", "kind"}),
		toolCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ragline_tool_calls_total",
			Help: "Tool calls, by tool and outcome (ok, invalid, denied, timeout, error).",
		}, []string{"tool", "outcome"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ragline_auth_failures_total",
			Help: "Requests refused by authentication, by reason (missing, invalid, insufficient_scope).",
		}, []string{"reason"}),
		fallbacks: newModelFallbacks(),
		build:     newBuildInfo(),
	}
	m.reg.MustRegister(
		m.httpRequests, m.httpDuration, m.stage, m.answers, m.feedback, m.ingested, m.tokens, m.toolCalls, m.authFailures, m.fallbacks, m.build,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	for _, v := range stages {
		m.stage.WithLabelValues(v)
	}
	for _, v := range outcomes {
		m.answers.WithLabelValues(v)
	}
	for _, v := range ratings {
		m.feedback.WithLabelValues(v)
	}
	for _, v := range ingestResults {
		m.ingested.WithLabelValues(v)
	}
	for _, v := range authReasons {
		m.authFailures.WithLabelValues(v)
	}
	for _, v := range modelComponents {
		m.fallbacks.WithLabelValues(v)
	}
	m.KnownTools("other")
	return m
}

// Handler returns the /metrics endpoint in the Prometheus text format. A
// collector that fails does not hide the others: the scrape goes on and
// promhttp_metric_handler_errors_total counts the failure.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg,
	})
}

// ObserveStage records how long one stage of answering took. Stages are
// perceive, decide, retrieve, rerank, generate and tool; any other name
// is recorded as "other".
func (m *Metrics) ObserveStage(stage string, d time.Duration) {
	m.stage.WithLabelValues(known(stages, stage)).Observe(max(d, 0).Seconds())
}

// Answer counts one handled question. Outcomes are answered, no_answer,
// refused and error; any other value is counted as "other".
func (m *Metrics) Answer(outcome string) {
	m.answers.WithLabelValues(known(outcomes, outcome)).Inc()
}

// Feedback counts one rating of an answer. Ratings are up and down; any
// other value is counted as "other".
func (m *Metrics) Feedback(rating string) {
	m.feedback.WithLabelValues(known(ratings, rating)).Inc()
}

// IngestDocuments counts n documents with one ingestion result. Results
// are added, replaced, unchanged and failed; any other value is counted
// as "other". A count below one records nothing.
func (m *Metrics) IngestDocuments(result string, n int) {
	if n <= 0 {
		return
	}
	m.ingested.WithLabelValues(known(ingestResults, result)).Add(float64(n))
}

// Tokens counts n tokens exchanged with model. Kinds are prompt and
// completion; any other kind is counted as "other". The model name should
// come from configuration, since every distinct name is a new series; an
// empty name is recorded as "unknown". A count below one records nothing.
func (m *Metrics) Tokens(model, kind string, n int) {
	if n <= 0 {
		return
	}
	if model == "" {
		model = "unknown"
	}
	m.tokens.WithLabelValues(labelValue(model), known(tokenKinds, kind)).Add(float64(n))
}

// KnownTools creates the tool-call series of the named tools at zero for
// every outcome, so that rate() sees them before the first call.
func (m *Metrics) KnownTools(names ...string) {
	for _, n := range names {
		for _, o := range toolOutcomes {
			m.toolCalls.WithLabelValues(labelValue(n), o)
		}
	}
}

// ToolCall counts one tool call. The tool name should be a registered
// tool's (unregistered names are counted as "other" by the registry);
// outcomes are ok, invalid, denied, timeout and error, any other value is
// counted as "other".
func (m *Metrics) ToolCall(tool, outcome string) {
	if tool == "" {
		tool = otherLabel
	}
	m.toolCalls.WithLabelValues(labelValue(tool), known(toolOutcomes, outcome)).Inc()
}

// AuthFailure counts one request refused by authentication. Reasons are
// missing (no key), invalid (an unknown key) and insufficient_scope; any
// other value is counted as "other".
func (m *Metrics) AuthFailure(reason string) {
	m.authFailures.WithLabelValues(known(authReasons, reason)).Inc()
}

// known returns v when it is one of the documented values, else "other".
func known(set []string, v string) string {
	if slices.Contains(set, v) {
		return v
	}
	return otherLabel
}

// labelValue makes s acceptable to Prometheus, which rejects label values
// that are not valid UTF-8 by panicking.
func labelValue(s string) string {
	return strings.ToValidUTF8(s, "\uFFFD")
}
