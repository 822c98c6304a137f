package kube

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// prodRelease is the rendered prod overlay's Rollout, Deployment, Services and AnalysisTemplates.
type prodRelease struct {
	rollout    *v1alpha1.Rollout
	deployment *appsv1.Deployment
	services   map[string]*corev1.Service
	templates  map[string]*v1alpha1.AnalysisTemplate
}

func renderProd(t *testing.T) prodRelease {
	t.Helper()
	objs, err := Render(overlayDir("prod"))
	if err != nil {
		t.Fatal(err)
	}
	p := prodRelease{
		rollout:    one[*v1alpha1.Rollout](t, objs, "Rollout", "ragline"),
		deployment: one[*appsv1.Deployment](t, objs, "Deployment", "ragline"),
		services:   map[string]*corev1.Service{},
		templates:  map[string]*v1alpha1.AnalysisTemplate{},
	}
	for _, o := range find(objs, "Service", "") {
		p.services[o.Name] = o.Typed.(*corev1.Service)
	}
	for _, o := range find(objs, "AnalysisTemplate", "") {
		p.templates[o.Name] = o.Typed.(*v1alpha1.AnalysisTemplate)
	}
	return p
}

// TestRollout validates the canary with Argo Rollouts' own validation and
// checks its design: 5% -> 20% -> 100%, background analysis on the canary's
// metrics, the evaluation gate at 20%, automatic abort.
func TestRollout(t *testing.T) {
	p := renderProd(t)
	ro := p.rollout
	if errs := ValidateCanary(ro, p.deployment, p.services, p.templates); len(errs) > 0 {
		t.Fatalf("Argo Rollouts validation: %s", ErrorsString(errs))
	}
	// The controller builds analysis arguments from the resolved Rollout.
	resolved, err := ResolveWorkloadRef(ro, p.deployment)
	if err != nil {
		t.Fatal(err)
	}
	c := ro.Spec.Strategy.Canary
	var weights []int32
	gateStep := -1
	for i, s := range c.Steps {
		if s.SetWeight != nil {
			weights = append(weights, *s.SetWeight)
		}
		if s.Analysis != nil {
			if len(weights) == 0 || weights[len(weights)-1] != 20 {
				t.Errorf("step %d: analysis at weight %v, want at 20%%", i, weights)
			}
			gateStep = i
		}
	}
	if !slices.Equal(weights, []int32{5, 20, 100}) {
		t.Errorf("canary weights %v, want [5 20 100]", weights)
	}
	if gateStep < 0 || c.Steps[gateStep].Analysis.Templates[0].TemplateName != "ragline-eval-gate" {
		t.Fatal("no ragline-eval-gate analysis step")
	}
	if !ro.Spec.ProgressDeadlineAbort {
		t.Error("progressDeadlineAbort must be true: a stuck canary is rolled back")
	}
	if c.Analysis == nil || c.Analysis.StartingStep == nil || *c.Analysis.StartingStep != 1 {
		t.Error("background analysis must start once the canary takes traffic (startingStep 1)")
	}
	var bg []string
	for _, r := range c.Analysis.Templates {
		bg = append(bg, r.TemplateName)
	}
	slices.Sort(bg)
	if want := []string{"ragline-canary-scraped", "ragline-error-ratio", "ragline-latency-p95", "ragline-negative-feedback", "ragline-no-answer-rate"}; !slices.Equal(bg, want) {
		t.Errorf("background templates %v, want %v", bg, want)
	}

	// Background metrics: Prometheus, scoped to the canary, NaN-safe, bounded failures.
	for _, name := range bg {
		tpl := p.templates[name]
		metrics, err := ResolveAnalysis(resolved, tpl, c.Analysis.Args, "stable0", "canary1", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range metrics {
			if m.Provider.Prometheus == nil {
				t.Errorf("%s/%s: not a Prometheus metric", name, m.Name)
				continue
			}
			q := m.Provider.Prometheus.Query
			if n := strings.Count(q, `rollouts_pod_template_hash="canary1"`); n == 0 || n != strings.Count(q, "ragline_")+strings.Count(q, "up{") {
				t.Errorf("%s/%s: every selector must be scoped to the canary's pods: %s", name, m.Name, q)
			}
			if name == "ragline-canary-scraped" {
				// The one check that must fail on no data: see TestPrometheusVerdicts.
				if strings.Contains(m.SuccessCondition, "len(result) == 0 ||") {
					t.Errorf("%s/%s: successCondition %q passes when the canary is not scraped", name, m.Name, m.SuccessCondition)
				}
				continue
			}
			if strings.Contains(q, "ragline_http_request") && !strings.Contains(q, `route=~"POST /v1/chat|POST /v1/chat/completions|POST /v1/invoke"`) {
				t.Errorf("%s/%s: errors and latency count the user routes only (chat, chat completions, invoke): %s", name, m.Name, q)
			}
			if !strings.Contains(q, `namespace="ragline-prod"`) {
				t.Errorf("%s/%s: query not scoped to the namespace: %s", name, m.Name, q)
			}
			if !strings.Contains(m.SuccessCondition, "isNaN(result[0])") || !strings.HasPrefix(m.SuccessCondition, "len(result) == 0 ||") {
				t.Errorf("%s/%s: successCondition %q does not handle no traffic (empty, NaN)", name, m.Name, m.SuccessCondition)
			}
			if m.FailureLimit == nil || m.FailureLimit.IntValue() < 0 || m.FailureLimit.IntValue() > 3 {
				t.Errorf("%s/%s: failureLimit %v, want 0..3", name, m.Name, m.FailureLimit)
			}
			if m.Interval == "" || m.ConsecutiveErrorLimit == nil {
				t.Errorf("%s/%s: needs an interval and a consecutiveErrorLimit", name, m.Name)
			}
		}
	}

	// The evaluation gate: a Job running `ragline eval --target` against the
	// canary Service with the canary's own image; one failure aborts.
	gate := c.Steps[gateStep].Analysis
	metrics, err := ResolveAnalysis(resolved, p.templates["ragline-eval-gate"], gate.Args, "stable0", "canary1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(metrics) != 1 || metrics[0].Provider.Job == nil {
		t.Fatalf("ragline-eval-gate: want one Job metric, got %+v", metrics)
	}
	m := metrics[0]
	if m.Count == nil || m.Count.IntValue() != 1 || m.FailureLimit == nil || m.FailureLimit.IntValue() != 0 {
		t.Errorf("eval gate: count %v failureLimit %v, want 1 and 0", m.Count, m.FailureLimit)
	}
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: "ragline-canary1-eval-gate", Namespace: "ragline-prod", Labels: m.Provider.Job.Metadata.Labels},
		Spec:       m.Provider.Job.Spec,
	}
	if errs := Validate(job); len(errs) > 0 {
		t.Errorf("eval gate Job: %s", ErrorsString(errs))
	}
	for _, bad := range append(PodRules("eval gate Job", job.Spec.Template.Spec, false), EnvRules("eval gate Job", job.Spec.Template.Spec)...) {
		t.Error(bad)
	}
	if job.Spec.BackoffLimit == nil || *job.Spec.BackoffLimit != 0 {
		t.Error("eval gate Job must not retry a failed gate (backoffLimit 0)")
	}
	ec := job.Spec.Template.Spec.Containers[0]
	if ec.Image != p.deployment.Spec.Template.Spec.Containers[0].Image {
		t.Errorf("eval gate runs image %q, want the canary's %q", ec.Image, p.deployment.Spec.Template.Spec.Containers[0].Image)
	}
	canarySvc := ro.Spec.Strategy.Canary.CanaryService
	for _, want := range []string{"eval", "--target=http://" + canarySvc + ":8080", "--dataset=/eval/golden.jsonl", "--gate=/eval/gate.yaml", "--results-dir=/tmp/results"} {
		if !slices.Contains(ec.Args, want) {
			t.Errorf("eval gate args %q lack %q", ec.Args, want)
		}
	}
	hasKey := false
	for _, e := range ec.Env {
		hasKey = hasKey || (e.Name == "RAGLINE_API_KEY" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil)
	}
	if !hasKey {
		t.Error("eval gate needs RAGLINE_API_KEY from a Secret")
	}
	// The canary Service reaches only the canary: Argo adds the pod-template
	// hash; its own selector must pick ragline's server pods.
	for k, v := range p.services[canarySvc].Spec.Selector {
		if p.deployment.Spec.Template.Labels[k] != v {
			t.Errorf("Service %s selector %s=%s does not match the pods", canarySvc, k, v)
		}
	}
}

// TestReleaseImagePin renders the kustomization that the pipeline's deploy
// step writes (the overlay plus an images: entry with the built digest) and
// checks the new image reaches both the pods and the evaluation gate Job,
// so the gate evaluates the release it gates.
func TestReleaseImagePin(t *testing.T) {
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			// The deploy step writes the release kustomization in a temporary
			// folder and names the overlay by a relative path.
			dir := t.TempDir()
			abs, err := filepath.Abs(overlayDir(env))
			if err != nil {
				t.Fatal(err)
			}
			rel, err := filepath.Rel(dir, abs)
			if err != nil {
				t.Fatal(err)
			}
			const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
			k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - " + rel +
				"\nimages:\n  - name: ghcr.io/ragline/ragline\n    newName: registry.example.com/ragline\n    digest: " + digest + "\n"
			if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
				t.Fatal(err)
			}
			objs, err := Render(dir)
			if err != nil {
				t.Fatal(err)
			}
			want := "registry.example.com/ragline@" + digest
			d := one[*appsv1.Deployment](t, objs, "Deployment", "ragline")
			if got := d.Spec.Template.Spec.Containers[0].Image; got != want {
				t.Errorf("Deployment image %q, want %q", got, want)
			}
			for _, o := range find(objs, "AnalysisTemplate", "") {
				for _, m := range o.Typed.(*v1alpha1.AnalysisTemplate).Spec.Metrics {
					if m.Provider.Job == nil {
						continue
					}
					for _, c := range m.Provider.Job.Spec.Template.Spec.Containers {
						if c.Image != want {
							t.Errorf("%s job container %s image %q, want %q", o, c.Name, c.Image, want)
						}
					}
				}
			}
		})
	}
}
