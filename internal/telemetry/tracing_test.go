package telemetry

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace/noop"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// collector is a scripted OTLP/HTTP trace receiver speaking the real wire
// format (protobuf ExportTraceServiceRequest on POST /v1/traces).
type collector struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "unexpected request", http.StatusBadRequest)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var req collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			c.spans = append(c.spans, ss.Spans...)
		}
	}
	c.mu.Unlock()
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

func TestTracingExportsSpansAndHonoursTraceparent(t *testing.T) {
	col := &collector{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	ctx := context.Background()
	shutdown, err := SetupTracing(ctx, srv.URL, "ragline-test", "v0", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		otel.SetTracerProvider(noop.NewTracerProvider())
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator())
	}()

	var logs bytes.Buffer
	logger := NewLogger(&logs, slog.LevelInfo)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat", func(w http.ResponseWriter, r *http.Request) {
		_, s := Tracer().Start(r.Context(), "retrieve")
		s.End()
		logger.InfoContext(r.Context(), "answered")
		w.WriteHeader(http.StatusOK)
	})
	h := TracingMiddleware(mux)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	const parentID = "00f067aa0ba902b7"
	req := httptest.NewRequest(http.MethodPost, "/v1/chat", strings.NewReader("{}"))
	req.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if err := shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	col.mu.Lock()
	defer col.mu.Unlock()
	byName := map[string]*tracepb.Span{}
	for _, s := range col.spans {
		byName[s.Name] = s
		if got := hex.EncodeToString(s.TraceId); got != traceID {
			t.Errorf("span %s in trace %s, want the caller's %s", s.Name, got, traceID)
		}
	}
	server, child := byName["POST /v1/chat"], byName["retrieve"]
	if server == nil || child == nil {
		t.Fatalf("spans received: %v", col.spans)
	}
	if hex.EncodeToString(server.ParentSpanId) != parentID || server.Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("server span parent %x kind %v", server.ParentSpanId, server.Kind)
	}
	if !bytes.Equal(child.ParentSpanId, server.SpanId) {
		t.Errorf("retrieve span is not a child of the request span")
	}
	if !strings.Contains(logs.String(), `"trace_id":"`+traceID+`"`) {
		t.Errorf("log lacks the trace id: %s", logs.String())
	}
}
