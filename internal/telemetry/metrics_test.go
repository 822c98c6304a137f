package telemetry

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// serve starts a loopback server with m's /metrics endpoint and routes.
func serve(t *testing.T, m *Metrics, routes map[string]http.Handler) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	for pattern, h := range routes {
		mux.Handle(pattern, h)
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ErrorLog = discardLog // panics in handlers are expected in some tests
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// scrape fetches and parses srv's /metrics over HTTP.
func scrape(t *testing.T, srv *httptest.Server) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := scrapeErr(srv)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// scrapeErr is scrape for goroutines other than the test's own.
func scrapeErr(srv *httptest.Server) (map[string]*dto.MetricFamily, error) {
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape: status %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("scrape: parse: %w", err)
	}
	return fams, nil
}

// lbl builds a label set from name, value pairs.
func lbl(kv ...string) map[string]string {
	out := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// sample returns the value of the series name{labels} (exactly those
// labels): a counter's or gauge's value, or a histogram's sample count.
func sample(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if !sameLabels(m.GetLabel(), labels) {
			continue
		}
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue(), true
		case dto.MetricType_GAUGE:
			return m.GetGauge().GetValue(), true
		case dto.MetricType_HISTOGRAM:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

func sameLabels(got []*dto.LabelPair, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for _, p := range got {
		if v, ok := want[p.GetName()]; !ok || v != p.GetValue() {
			return false
		}
	}
	return true
}

// series lists a family's series as sorted `k=v,...` strings.
func series(fams map[string]*dto.MetricFamily, name string) []string {
	var out []string
	for _, m := range fams[name].GetMetric() {
		var kv []string
		for _, p := range m.GetLabel() {
			kv = append(kv, p.GetName()+"="+p.GetValue())
		}
		out = append(out, strings.Join(kv, ","))
	}
	sort.Strings(out)
	return out
}

type wantSample struct {
	name   string
	labels map[string]string
	value  float64
}

func checkSamples(t *testing.T, fams map[string]*dto.MetricFamily, want []wantSample) {
	t.Helper()
	for _, w := range want {
		got, ok := sample(fams, w.name, w.labels)
		if !ok {
			t.Errorf("%s%v: missing; have %v", w.name, w.labels, series(fams, w.name))
			continue
		}
		if got != w.value {
			t.Errorf("%s%v = %v, want %v", w.name, w.labels, got, w.value)
		}
	}
}

func TestMetricNamesTypesAndLabels(t *testing.T) {
	m := New()
	srv := serve(t, m, map[string]http.Handler{
		"GET /v1/thing": m.Middleware("GET /v1/thing", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})),
	})
	resp, err := srv.Client().Get(srv.URL + "/v1/thing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	m.ObserveStage("retrieve", 3*time.Millisecond)
	m.Answer("answered")
	m.Feedback("up")
	m.IngestDocuments("added", 1)
	m.Tokens("gpt-test", "prompt", 10)
	m.SetBuildInfo("v1.2.3", "sha256:abc")
	fams := scrape(t, srv)

	tests := []struct {
		name   string
		typ    dto.MetricType
		labels []string
	}{
		{"ragline_http_requests_total", dto.MetricType_COUNTER, []string{"code", "method", "route"}},
		{"ragline_http_request_duration_seconds", dto.MetricType_HISTOGRAM, []string{"route"}},
		{"ragline_stage_duration_seconds", dto.MetricType_HISTOGRAM, []string{"stage"}},
		{"ragline_answers_total", dto.MetricType_COUNTER, []string{"outcome"}},
		{"ragline_feedback_total", dto.MetricType_COUNTER, []string{"rating"}},
		{"ragline_ingest_documents_total", dto.MetricType_COUNTER, []string{"result"}},
		{"ragline_model_tokens_total", dto.MetricType_COUNTER, []string{"kind", "model"}},
		{"ragline_build_info", dto.MetricType_GAUGE, []string{"digest", "version"}},
		{"go_goroutines", dto.MetricType_GAUGE, nil},
		{"process_start_time_seconds", dto.MetricType_GAUGE, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := fams[tt.name]
			if !ok {
				t.Fatalf("family missing from /metrics")
			}
			if f.GetType() != tt.typ {
				t.Errorf("type %v, want %v", f.GetType(), tt.typ)
			}
			if f.GetHelp() == "" {
				t.Errorf("no HELP text")
			}
			if len(f.GetMetric()) == 0 {
				t.Fatalf("no series")
			}
			for _, s := range f.GetMetric() {
				var names []string
				for _, p := range s.GetLabel() {
					names = append(names, p.GetName())
				}
				sort.Strings(names)
				if strings.Join(names, ",") != strings.Join(tt.labels, ",") {
					t.Errorf("labels %v, want %v", names, tt.labels)
				}
			}
		})
	}
}

func TestDurationBuckets(t *testing.T) {
	m := New()
	m.ObserveStage("generate", 0)
	srv := serve(t, m, map[string]http.Handler{"/x": m.Middleware("/x", http.NotFoundHandler())})
	fams := scrape(t, srv)
	for _, name := range []string{"ragline_stage_duration_seconds", "ragline_http_request_duration_seconds"} {
		h := fams[name].GetMetric()[0].GetHistogram()
		var bounds []float64
		for _, b := range h.GetBucket() {
			bounds = append(bounds, b.GetUpperBound())
		}
		want := []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, math.Inf(1)}
		if !slices.Equal(bounds, want) {
			t.Errorf("%s buckets %v, want %v", name, bounds, want)
		}
	}
}

func TestDocumentedSeriesStartAtZero(t *testing.T) {
	srv := serve(t, New(), nil)
	fams := scrape(t, srv)
	var want []wantSample
	for _, v := range stages {
		want = append(want, wantSample{"ragline_stage_duration_seconds", lbl("stage", v), 0})
	}
	for _, v := range outcomes {
		want = append(want, wantSample{"ragline_answers_total", lbl("outcome", v), 0})
	}
	for _, v := range ratings {
		want = append(want, wantSample{"ragline_feedback_total", lbl("rating", v), 0})
	}
	for _, v := range ingestResults {
		want = append(want, wantSample{"ragline_ingest_documents_total", lbl("result", v), 0})
	}
	checkSamples(t, fams, want)
	for name, n := range map[string]int{
		"ragline_stage_duration_seconds": len(stages),
		"ragline_answers_total":          len(outcomes),
		"ragline_feedback_total":         len(ratings),
		"ragline_ingest_documents_total": len(ingestResults),
	} {
		if got := len(fams[name].GetMetric()); got != n {
			t.Errorf("%s has %d series, want %d (no \"other\" until used): %v", name, got, n, series(fams, name))
		}
	}
	for _, name := range []string{"ragline_build_info", "ragline_model_tokens_total", "ragline_http_requests_total"} {
		if _, ok := fams[name]; ok {
			t.Errorf("%s has series before any use: %v", name, series(fams, name))
		}
	}
}

func TestCounts(t *testing.T) {
	tests := []struct {
		name   string
		record func(m *Metrics)
		want   []wantSample
	}{
		{
			name: "answers",
			record: func(m *Metrics) {
				for range 3 {
					m.Answer("answered")
				}
				m.Answer("no_answer")
				m.Answer("refused")
				m.Answer("error")
				m.Answer("maybe")
				m.Answer("")
				m.Answer("ANSWERED")
			},
			want: []wantSample{
				{"ragline_answers_total", lbl("outcome", "answered"), 3},
				{"ragline_answers_total", lbl("outcome", "no_answer"), 1},
				{"ragline_answers_total", lbl("outcome", "refused"), 1},
				{"ragline_answers_total", lbl("outcome", "error"), 1},
				{"ragline_answers_total", lbl("outcome", "other"), 3},
			},
		},
		{
			name: "feedback",
			record: func(m *Metrics) {
				m.Feedback("up")
				m.Feedback("up")
				m.Feedback("down")
				m.Feedback("sideways")
			},
			want: []wantSample{
				{"ragline_feedback_total", lbl("rating", "up"), 2},
				{"ragline_feedback_total", lbl("rating", "down"), 1},
				{"ragline_feedback_total", lbl("rating", "other"), 1},
			},
		},
		{
			name: "ingest",
			record: func(m *Metrics) {
				m.IngestDocuments("added", 5)
				m.IngestDocuments("added", 2)
				m.IngestDocuments("replaced", 1)
				m.IngestDocuments("unchanged", 4)
				m.IngestDocuments("failed", 1)
				m.IngestDocuments("exploded", 2)
				m.IngestDocuments("added", 0)
				m.IngestDocuments("added", -3)
			},
			want: []wantSample{
				{"ragline_ingest_documents_total", lbl("result", "added"), 7},
				{"ragline_ingest_documents_total", lbl("result", "replaced"), 1},
				{"ragline_ingest_documents_total", lbl("result", "unchanged"), 4},
				{"ragline_ingest_documents_total", lbl("result", "failed"), 1},
				{"ragline_ingest_documents_total", lbl("result", "other"), 2},
			},
		},
		{
			name: "stages",
			record: func(m *Metrics) {
				m.ObserveStage("perceive", time.Millisecond)
				m.ObserveStage("retrieve", 2*time.Millisecond)
				m.ObserveStage("retrieve", 40*time.Millisecond)
				m.ObserveStage("tool", time.Second)
				m.ObserveStage("dream", time.Second)
				m.ObserveStage("rerank", -time.Second)
			},
			want: []wantSample{
				{"ragline_stage_duration_seconds", lbl("stage", "perceive"), 1},
				{"ragline_stage_duration_seconds", lbl("stage", "decide"), 0},
				{"ragline_stage_duration_seconds", lbl("stage", "retrieve"), 2},
				{"ragline_stage_duration_seconds", lbl("stage", "rerank"), 1},
				{"ragline_stage_duration_seconds", lbl("stage", "generate"), 0},
				{"ragline_stage_duration_seconds", lbl("stage", "tool"), 1},
				{"ragline_stage_duration_seconds", lbl("stage", "other"), 1},
			},
		},
		{
			name: "tokens",
			record: func(m *Metrics) {
				m.Tokens("qwen", "prompt", 100)
				m.Tokens("qwen", "prompt", 20)
				m.Tokens("qwen", "completion", 7)
				m.Tokens("qwen", "cached", 3)
				m.Tokens("", "completion", 1)
				m.Tokens("bad\xffname", "prompt", 2)
				m.Tokens("qwen", "prompt", 0)
			},
			want: []wantSample{
				{"ragline_model_tokens_total", lbl("model", "qwen", "kind", "prompt"), 120},
				{"ragline_model_tokens_total", lbl("model", "qwen", "kind", "completion"), 7},
				{"ragline_model_tokens_total", lbl("model", "qwen", "kind", "other"), 3},
				{"ragline_model_tokens_total", lbl("model", "unknown", "kind", "completion"), 1},
				{"ragline_model_tokens_total", lbl("model", "bad\uFFFDname", "kind", "prompt"), 2},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			tt.record(m)
			fams := scrape(t, serve(t, m, nil))
			checkSamples(t, fams, tt.want)
			if n := len(fams[tt.want[0].name].GetMetric()); n != len(tt.want) {
				t.Errorf("%d series, want %d: %v", n, len(tt.want), series(fams, tt.want[0].name))
			}
		})
	}
}

func TestSetBuildInfoReplacesSeries(t *testing.T) {
	m := New()
	srv := serve(t, m, nil)
	steps := []struct {
		version, digest string
		want            []string
	}{
		{"v1.0.0", "sha256:aaa", []string{"digest=sha256:aaa,version=v1.0.0"}},
		{"v1.0.0", "sha256:bbb", []string{"digest=sha256:bbb,version=v1.0.0"}},
		{"v1.0.0", "sha256:bbb", []string{"digest=sha256:bbb,version=v1.0.0"}},
		{"v1.1.0", "sha256:ccc", []string{"digest=sha256:ccc,version=v1.1.0"}},
	}
	for i, s := range steps {
		m.SetBuildInfo(s.version, s.digest)
		fams := scrape(t, srv)
		if got := series(fams, "ragline_build_info"); strings.Join(got, ";") != strings.Join(s.want, ";") {
			t.Errorf("step %d: series %v, want %v", i, got, s.want)
		}
		if v, _ := sample(fams, "ragline_build_info", lbl("version", s.version, "digest", s.digest)); v != 1 {
			t.Errorf("step %d: value %v, want 1", i, v)
		}
	}
}

func TestMetricsInstancesAreIndependent(t *testing.T) {
	a, b := New(), New()
	a.Answer("answered")
	fa, fb := scrape(t, serve(t, a, nil)), scrape(t, serve(t, b, nil))
	checkSamples(t, fa, []wantSample{{"ragline_answers_total", lbl("outcome", "answered"), 1}})
	checkSamples(t, fb, []wantSample{{"ragline_answers_total", lbl("outcome", "answered"), 0}})
}

func TestConcurrentRecording(t *testing.T) {
	const workers, each = 8, 200
	m := New()
	srv := serve(t, m, nil)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				m.Answer("answered")
				m.Tokens("m", "completion", 2)
				m.ObserveStage("generate", time.Millisecond)
				m.SetBuildInfo("v1", []string{"sha256:a", "sha256:b"}[(w+i)%2])
			}
		})
	}
	wg.Go(func() {
		for range 5 {
			fams, err := scrapeErr(srv)
			if err != nil {
				t.Error(err)
				return
			}
			if n := len(fams["ragline_build_info"].GetMetric()); n > 1 {
				t.Errorf("ragline_build_info has %d series during updates, want at most 1", n)
			}
		}
	})
	wg.Wait()
	fams := scrape(t, srv)
	checkSamples(t, fams, []wantSample{
		{"ragline_answers_total", lbl("outcome", "answered"), workers * each},
		{"ragline_model_tokens_total", lbl("model", "m", "kind", "completion"), 2 * workers * each},
		{"ragline_stage_duration_seconds", lbl("stage", "generate"), workers * each},
	})
	if n := len(fams["ragline_build_info"].GetMetric()); n != 1 {
		t.Errorf("ragline_build_info has %d series, want 1", n)
	}
}
