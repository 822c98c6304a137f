package kube

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/argoproj/argo-rollouts/metricproviders/prometheus"
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	log "github.com/sirupsen/logrus"
)

// scriptedPrometheus speaks the Prometheus HTTP API (/api/v1/query) on
// loopback and answers every instant query with the scripted result.
type scriptedPrometheus struct {
	mu      sync.Mutex
	result  string // "vector:<value>", "empty", "error"
	queries []string
}

func (p *scriptedPrometheus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v1/query" {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.queries = append(p.queries, r.Form.Get("query"))
	result := p.result
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case result == "error":
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprint(w, `{"status":"error","errorType":"execution","error":"query timed out in expression evaluation"}`)
	case result == "empty":
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
	default:
		v := strings.TrimPrefix(result, "vector:")
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1764028800.123,%s]}]}}`, b)
	}
}

func (p *scriptedPrometheus) set(result string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.result, p.queries = result, nil
}

func (p *scriptedPrometheus) last() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.queries...)
}

// TestPrometheusVerdicts runs every background metric through Argo Rollouts'
// real Prometheus provider against a scripted Prometheus and checks the
// verdicts: a healthy canary passes, a failing one fails, no traffic (NaN or
// no series) passes, and an unreachable/erroring Prometheus is an Error
// (counted by consecutiveErrorLimit), never a pass.
func TestPrometheusVerdicts(t *testing.T) {
	p := renderProd(t)
	resolved, err := ResolveWorkloadRef(p.rollout, p.deployment)
	if err != nil {
		t.Fatal(err)
	}
	prom := &scriptedPrometheus{}
	srv := httptest.NewServer(prom)
	defer srv.Close()

	// healthy and failing values per metric, from its threshold's two sides.
	values := map[string][2]string{
		"canary-scraped":         {"2", "0"},
		"error-ratio":            {"0.004", "0.2"},
		"latency-p95":            {"0.35", "4.2"},
		"no-answer-rate":         {"0.12", "0.61"},
		"negative-feedback-rate": {"0.05", "0.45"},
	}
	seen := map[string]bool{}
	canary := resolved.Spec.Strategy.Canary
	for _, ref := range canary.Analysis.Templates {
		tpl := p.templates[ref.TemplateName]
		metrics, err := ResolveAnalysis(resolved, tpl, canary.Analysis.Args, "5d9f6c7b8", "7c4b9d6f5",
			map[string]string{"prometheus-address": srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range metrics {
			v, ok := values[m.Name]
			if !ok {
				t.Errorf("metric %s has no scripted values", m.Name)
				continue
			}
			seen[m.Name] = true
			// No data passes a ratio (no traffic) but fails the scrape check,
			// so no check passes when the canary is not scraped at all.
			noData := v1alpha1.AnalysisPhaseSuccessful
			if m.Name == "canary-scraped" {
				noData = v1alpha1.AnalysisPhaseFailed
			}
			for _, tc := range []struct {
				result string
				want   v1alpha1.AnalysisPhase
			}{
				{"vector:" + v[0], v1alpha1.AnalysisPhaseSuccessful},
				{"vector:" + v[1], v1alpha1.AnalysisPhaseFailed},
				{"vector:NaN", noData},
				{"empty", noData},
				{"error", v1alpha1.AnalysisPhaseError},
			} {
				t.Run(m.Name+"/"+tc.result, func(t *testing.T) {
					prom.set(tc.result)
					api, err := prometheus.NewPrometheusAPI(m)
					if err != nil {
						t.Fatal(err)
					}
					provider, err := prometheus.NewPrometheusProvider(api, *log.NewEntry(log.New()), m)
					if err != nil {
						t.Fatal(err)
					}
					run := &v1alpha1.AnalysisRun{}
					run.Name, run.Namespace = "ragline-7c4b9d6f5-bg", "ragline-prod"
					got := provider.Run(run, m)
					if got.Phase != tc.want {
						t.Errorf("phase %s (value %q, message %q), want %s", got.Phase, got.Value, got.Message, tc.want)
					}
					qs := prom.last()
					if len(qs) != 1 {
						t.Fatalf("%d queries sent, want 1", len(qs))
					}
					q := qs[0]
					if strings.Contains(q, "{{") || !strings.Contains(q, `rollouts_pod_template_hash="7c4b9d6f5"`) || !strings.Contains(q, `namespace="ragline-prod"`) {
						t.Errorf("query not resolved and scoped to the canary: %s", q)
					}
				})
			}
		}
	}
	for name := range values {
		if !seen[name] {
			t.Errorf("no background metric %s", name)
		}
	}
}
