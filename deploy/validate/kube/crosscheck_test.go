package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
)

var metricName = regexp.MustCompile(`\bragline_[a-z0-9_]+`)

// usedMetrics returns every ragline_* name in the AnalysisTemplates and the Grafana dashboard, with where it is used.
func usedMetrics(t *testing.T) map[string][]string {
	t.Helper()
	used := map[string][]string{}
	p := renderProd(t)
	for name, tpl := range p.templates {
		for _, m := range tpl.Spec.Metrics {
			if m.Provider.Prometheus == nil {
				continue
			}
			for _, n := range metricName.FindAllString(m.Provider.Prometheus.Query, -1) {
				used[n] = append(used[n], "AnalysisTemplate "+name)
			}
		}
	}
	for _, expr := range dashboardExprs(t, filepath.Join(repo, "deploy/grafana/ragline-dashboard.json")) {
		for _, n := range metricName.FindAllString(expr, -1) {
			used[n] = append(used[n], "dashboard")
		}
	}
	return used
}

type dashboard struct {
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Panels        []struct {
		ID      int    `json:"id"`
		Title   string `json:"title"`
		Type    string `json:"type"`
		Targets []struct {
			RefID string `json:"refId"`
			Expr  string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

func dashboardExprs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion == 0 || len(d.Panels) == 0 {
		t.Fatalf("%s: not a Grafana dashboard (uid, title, schemaVersion, panels)", path)
	}
	var exprs []string
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("%s: duplicate panel id %d", path, p.ID)
		}
		ids[p.ID] = true
		if len(p.Targets) == 0 {
			t.Errorf("%s: panel %q has no query", path, p.Title)
		}
		for _, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" || strings.Count(tg.Expr, "(") != strings.Count(tg.Expr, ")") || strings.Count(tg.Expr, "{") != strings.Count(tg.Expr, "}") {
				t.Errorf("%s: panel %q target %s: malformed expression %q", path, p.Title, tg.RefID, tg.Expr)
			}
			exprs = append(exprs, tg.Expr)
		}
	}
	return exprs
}

// TestDashboardCoversTheService checks the dashboard shows what operators
// need: request rate, errors, latency, stages, outcomes, feedback, tokens.
func TestDashboardCoversTheService(t *testing.T) {
	all := strings.Join(dashboardExprs(t, filepath.Join(repo, "deploy/grafana/ragline-dashboard.json")), "\n")
	for _, want := range []string{"ragline_http_requests_total", `code=~"5.."`, "ragline_http_request_duration_seconds_bucket",
		"histogram_quantile(0.95", "histogram_quantile(0.99", "ragline_stage_duration_seconds_bucket", "ragline_answers_total",
		"ragline_feedback_total", "ragline_model_tokens_total"} {
		if !strings.Contains(all, want) {
			t.Errorf("dashboard has no query using %s", want)
		}
	}
}

// scriptedChat is an OpenAI-compatible chat completion server on loopback
// that answers every question with one cited sentence and reports usage.
func scriptedChat(t *testing.T, calls *atomic.Int64) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		calls.Add(1)
		var req struct {
			Model  string `json:"model"`
			Stream bool   `json:"stream"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
			return
		}
		text := "Primary caregivers receive 16 weeks of fully paid parental leave [1]."
		usage := map[string]int{"prompt_tokens": 120, "completion_tokens": 14, "total_tokens": 134}
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{
				"id": "chatcmpl-1", "object": "chat.completion", "created": 1764028800, "model": req.Model,
				"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}, "finish_reason": "stop"}},
				"usage":   usage,
			})
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		send := func(v any) {
			b, _ := json.Marshal(v)
			fmt.Fprintf(w, "data: %s\n\n", b)
		}
		chunk := func(delta map[string]any, finish any) map[string]any {
			return map[string]any{"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1764028800, "model": req.Model,
				"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
		}
		send(chunk(map[string]any{"role": "assistant", "content": text}, nil))
		send(chunk(map[string]any{}, "stop"))
		send(map[string]any{"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1764028800, "model": req.Model, "choices": []any{}, "usage": usage})
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestMetricNamesExposedByServe starts a real `ragline serve` (built from the
// repository root) on loopback with an LLM answering through a scripted
// OpenAI-compatible server, asks it a question, scrapes /metrics and checks
// that every ragline_* name the AnalysisTemplates and the dashboard query is
// exposed, with the right type.
func TestMetricNamesExposedByServe(t *testing.T) {
	used := usedMetrics(t)
	if len(used) < 6 {
		t.Fatalf("only %d metric names found in the manifests", len(used))
	}
	dir := t.TempDir()
	doc, err := filepath.Abs(filepath.Join(repo, "examples/quickstart/docs/vacation-and-leave.md"))
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	chat := scriptedChat(t, &calls)
	addr := freePort(t)
	cfg := filepath.Join(dir, "ragline.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`sources:
  - path: %s
server:
  addr: %s
models:
  chat: {provider: openai, base_url: %s/v1, model: scripted-chat, max_retries: 0}
generator: {kind: llm, fallback: none}
`, doc, addr, chat.URL)), 0o644)
	kb := filepath.Join(dir, "kb.ragline")
	if out, err := exec.Command(raglineBin, "index", "build", "--config", cfg, "--out", kb).CombinedOutput(); err != nil {
		t.Fatalf("ragline index build: %v\n%s", err, out)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serve := exec.CommandContext(ctx, raglineBin, "serve", "--config", cfg, "--data", kb, "--read-only")
	var logs bytes.Buffer
	serve.Stdout, serve.Stderr = &logs, &logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		serve.Wait()
	}()
	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("ragline serve not ready: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	resp, err := http.Post(base+"/v1/chat", "application/json", strings.NewReader(`{"message":"How many weeks of paid parental leave does a primary caregiver get?"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/chat: %d %s\n%s", resp.StatusCode, body, logs.String())
	}

	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	api, err := os.ReadFile(filepath.Join(repo, "docs/api.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range metricProblems(families, used, string(api)) {
		t.Error(problem)
	}
	// Every query, parsed with Prometheus's own parser: metrics, labels and
	// label values ragline really exposes.
	argsRE := strings.NewReplacer("{{args.namespace}}", "ragline-prod", "{{args.canary-hash}}", "7c4b9d6f5")
	for name, tpl := range renderProd(t).templates {
		for _, m := range tpl.Spec.Metrics {
			if m.Provider.Prometheus != nil {
				for _, bad := range QueryProblems("AnalysisTemplate "+name+"/"+m.Name, argsRE.Replace(m.Provider.Prometheus.Query), families) {
					t.Error(bad)
				}
			}
		}
	}
	for i, expr := range dashboardExprs(t, filepath.Join(repo, "deploy/grafana/ragline-dashboard.json")) {
		for _, bad := range QueryProblems(fmt.Sprintf("dashboard query %d", i), expr, families) {
			t.Error(bad)
		}
	}
	for _, f := range fixtures(t) {
		if f.validator != "promql" {
			continue
		}
		objs, err := DecodeAll(f.data, f.path)
		if err != nil {
			t.Fatal(err)
		}
		var problems []string
		for _, o := range objs {
			for _, m := range o.Typed.(*v1alpha1.AnalysisTemplate).Spec.Metrics {
				problems = append(problems, QueryProblems(f.path, argsRE.Replace(m.Provider.Prometheus.Query), families)...)
			}
		}
		if !strings.Contains(strings.Join(problems, "\n"), f.want) {
			t.Errorf("%s: want a problem %q, got %q", f.path, f.want, problems)
		}
	}
	// The same check rejects the metric fixtures (names ragline does not expose).
	for _, f := range fixtures(t) {
		if f.validator != "metrics" {
			continue
		}
		objs, err := DecodeAll(f.data, f.path)
		if err != nil {
			t.Fatal(err)
		}
		bad := map[string][]string{}
		for _, o := range objs {
			if tpl, ok := o.Typed.(*v1alpha1.AnalysisTemplate); ok {
				for _, m := range tpl.Spec.Metrics {
					for _, n := range metricName.FindAllString(m.Provider.Prometheus.Query, -1) {
						bad[n] = append(bad[n], f.path)
					}
				}
			}
		}
		problems := strings.Join(metricProblems(families, bad, string(api)), "\n")
		if !strings.Contains(problems, f.want) {
			t.Errorf("%s: want a problem %q, got %q", f.path, f.want, problems)
		}
	}
	// The question went through the model: its tokens were counted.
	tokens := 0.0
	for _, m := range families["ragline_model_tokens_total"].GetMetric() {
		tokens += m.GetCounter().GetValue()
	}
	if n := calls.Load(); n == 0 || tokens != float64(134*n) {
		t.Errorf("ragline_model_tokens_total sums to %v after %d model calls, want 134 (the scripted usage) per call", tokens, n)
	}
}

// TestOverlayConfigsValidate runs `ragline config validate` on the base's
// and every overlay's ragline.yaml, with the Secret-backed variables the pods
// get; without them, a config that references a secret must fail.
func TestOverlayConfigsValidate(t *testing.T) {
	files := []string{filepath.Join(repo, "deploy/kubernetes/base/ragline.yaml")}
	for _, env := range envs {
		files = append(files, filepath.Join(overlayDir(env), "ragline.yaml"))
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			cmd := exec.Command(raglineBin, "config", "validate", f)
			cmd.Env = append(os.Environ(), "REDIS_PASSWORD=from-a-secret")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("ragline config validate %s: %v\n%s", f, err, out)
			}
			b, _ := os.ReadFile(f)
			if !strings.Contains(string(b), "${REDIS_PASSWORD}") {
				return
			}
			cmd = exec.Command(raglineBin, "config", "validate", f)
			cmd.Env = withoutEnv(os.Environ(), "REDIS_PASSWORD")
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), "REDIS_PASSWORD") {
				t.Errorf("without REDIS_PASSWORD, config validate should fail naming it: %v\n%s", err, out)
			}
		})
	}
}

func withoutEnv(env []string, name string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, name+"=") {
			out = append(out, e)
		}
	}
	return out
}

// metricProblems lists each used name that the scraped families lack, has
// no series, is queried as a histogram without being one, or is missing
// from the metrics contract in docs/api.md.
func metricProblems(families map[string]*dto.MetricFamily, used map[string][]string, api string) []string {
	var names, problems []string
	for n := range used {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		family, suffix := n, ""
		for _, s := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(n, s); ok {
				if f := families[base]; f != nil && f.GetType() == dto.MetricType_HISTOGRAM {
					family, suffix = base, s
				}
			}
		}
		f := families[family]
		if f == nil {
			problems = append(problems, fmt.Sprintf("%s (used by %v) is not exposed by ragline serve", n, used[n]))
			continue
		}
		if len(f.GetMetric()) == 0 {
			problems = append(problems, fmt.Sprintf("%s has no series after a question was answered", family))
		}
		if suffix != "" && f.GetType() != dto.MetricType_HISTOGRAM {
			problems = append(problems, fmt.Sprintf("%s is queried as a histogram but is a %s", n, f.GetType()))
		}
		if !strings.Contains(api, "`"+family+"`") {
			problems = append(problems, fmt.Sprintf("%s is not in the metrics contract of docs/api.md", family))
		}
	}
	return problems
}
