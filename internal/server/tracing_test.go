package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace/noop"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/ragline/ragline/internal/telemetry"
)

// TestChatIsTraced exports the spans of one chat request to a scripted
// OTLP/HTTP collector: the request span named by its route and one span
// per pipeline stage, all in the caller's trace.
func TestChatIsTraced(t *testing.T) {
	var mu sync.Mutex
	names := map[string]string{} // span name -> trace id
	col := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					names[s.Name] = string(s.TraceId)
				}
			}
		}
		mu.Unlock()
	}))
	defer col.Close()
	ctx := context.Background()
	shutdown, err := telemetry.SetupTracing(ctx, col.URL, "ragline", "test", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		otel.SetTracerProvider(noop.NewTracerProvider())
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator())
	}()
	srv := newTestServer(t, "")
	req, _ := http.NewRequest("POST", srv.URL+"/v1/chat", strings.NewReader(`{"message":"Is parking free for employees?"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"POST /v1/chat", "ask", "perceive", "retrieve", "generate"} {
		tid, ok := names[want]
		if !ok {
			t.Errorf("no span %q in %v", want, names)
			continue
		}
		if got := []byte(tid); len(got) != 16 || got[0] != 0x4b || got[15] != 0x36 {
			t.Errorf("span %q not in the caller's trace", want)
		}
	}
}
