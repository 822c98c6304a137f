package kube

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

var envs = []string{"dev", "staging", "prod"}

// TestOverlays renders every overlay with krusty, strictly decodes each
// object and runs the Kubernetes validators and ragline's container rules.
func TestOverlays(t *testing.T) {
	type summary struct {
		replicas      int32
		cpuLimit      resource.Quantity
		config        string
		sessionsRedis bool
	}
	got := map[string]summary{}
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			objs, err := Render(overlayDir(env))
			if err != nil {
				t.Fatal(err)
			}
			ns := "ragline-" + env
			for _, o := range objs {
				if o.Namespace != ns {
					t.Errorf("%s: namespace %q, want %q", o, o.Namespace, ns)
				}
				if errs := Validate(o.Typed); len(errs) > 0 {
					t.Errorf("%s: %s", o, ErrorsString(errs))
				}
				if o.GVK.Kind == "Secret" {
					t.Errorf("%s: overlays reference Secrets, they never contain them", o)
				}
			}
			for _, kind := range []string{"Deployment", "Service", "ConfigMap", "ServiceAccount", "NetworkPolicy",
				"PodDisruptionBudget", "HorizontalPodAutoscaler", "ServiceMonitor"} {
				if len(find(objs, kind, "")) == 0 {
					t.Errorf("no %s", kind)
				}
			}
			sa := one[*corev1.ServiceAccount](t, objs, "ServiceAccount", "ragline")
			if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
				t.Error("ServiceAccount ragline must set automountServiceAccountToken: false")
			}
			d := one[*appsv1.Deployment](t, objs, "Deployment", "ragline")
			for _, bad := range append(PodRules(d.Name, d.Spec.Template.Spec, true), EnvRules(d.Name, d.Spec.Template.Spec)...) {
				t.Error(bad)
			}
			ps := d.Spec.Template.Spec
			if ps.ServiceAccountName != sa.Name {
				t.Errorf("pods run as %q, want %q", ps.ServiceAccountName, sa.Name)
			}
			if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
				t.Error("pod template must not mount a service account token")
			}

			// The ConfigMap is generated from this overlay's ragline.yaml, and the pods mount it.
			cms := find(objs, "ConfigMap", "")
			if len(cms) != 1 {
				t.Fatalf("%d ConfigMaps, want the generated ragline-config", len(cms))
			}
			cm := cms[0].Typed.(*corev1.ConfigMap)
			if !strings.HasPrefix(cm.Name, "ragline-config-") {
				t.Errorf("ConfigMap %q is not the hashed ragline-config", cm.Name)
			}
			want, err := os.ReadFile(filepath.Join(overlayDir(env), "ragline.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if cm.Data["ragline.yaml"] != string(want) {
				t.Errorf("ConfigMap ragline.yaml is not %s/ragline.yaml", env)
			}
			mounted := false
			for _, v := range ps.Volumes {
				if v.ConfigMap != nil && v.ConfigMap.Name == cm.Name {
					mounted = true
				}
			}
			if !mounted {
				t.Errorf("pods do not mount ConfigMap %s", cm.Name)
			}
			c := ps.Containers[0]
			if !slices.Contains(c.Args, "--config=/etc/ragline/ragline.yaml") || !slices.Contains(c.Args, "--read-only") {
				t.Errorf("container args %q", c.Args)
			}

			// Every selector of the Service, PDB and NetworkPolicy picks the pods.
			svc := one[*corev1.Service](t, objs, "Service", "ragline")
			for k, v := range svc.Spec.Selector {
				if d.Spec.Template.Labels[k] != v {
					t.Errorf("Service selector %s=%s does not match the pods", k, v)
				}
			}
			pdb := one[*policyv1.PodDisruptionBudget](t, objs, "PodDisruptionBudget", "ragline")
			for k, v := range pdb.Spec.Selector.MatchLabels {
				if d.Spec.Template.Labels[k] != v {
					t.Errorf("PDB selector %s=%s does not match the pods", k, v)
				}
			}
			hpa := one[*autoscalingv2.HorizontalPodAutoscaler](t, objs, "HorizontalPodAutoscaler", "ragline")
			wantTarget := "Deployment"
			if env == "prod" {
				wantTarget = "Rollout"
				if d.Spec.Replicas == nil || *d.Spec.Replicas != 0 {
					t.Error("prod: the Deployment is the Rollout's template and must run 0 replicas")
				}
			}
			if hpa.Spec.ScaleTargetRef.Kind != wantTarget || hpa.Spec.ScaleTargetRef.Name != "ragline" {
				t.Errorf("HPA scales %s/%s, want %s/ragline", hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name, wantTarget)
			}

			s := summary{replicas: *hpa.Spec.MinReplicas, cpuLimit: c.Resources.Limits[corev1.ResourceCPU], config: string(want)}
			for _, e := range c.Env {
				if e.Name == "REDIS_PASSWORD" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					s.sessionsRedis = strings.Contains(string(want), "store: redis") && strings.Contains(string(want), "${REDIS_PASSWORD}")
				}
			}
			got[env] = s
		})
	}
	// The environments differ in configuration, replicas, resources and (staging, prod) Redis sessions.
	if len(got) == len(envs) {
		if got["dev"].replicas >= got["staging"].replicas || got["staging"].replicas >= got["prod"].replicas {
			t.Errorf("minimum replicas dev %d, staging %d, prod %d: want increasing", got["dev"].replicas, got["staging"].replicas, got["prod"].replicas)
		}
		if devCPU, prodCPU := got["dev"].cpuLimit, got["prod"].cpuLimit; devCPU.Cmp(prodCPU) >= 0 {
			t.Errorf("dev CPU limit %s not below prod %s", devCPU.String(), prodCPU.String())
		}
		if got["dev"].config == got["staging"].config || got["staging"].config == got["prod"].config {
			t.Error("overlays share one ragline.yaml")
		}
		if got["dev"].sessionsRedis || !got["staging"].sessionsRedis || !got["prod"].sessionsRedis {
			t.Errorf("Redis sessions (store: redis, password from Secret): dev %v staging %v prod %v; want false true true",
				got["dev"].sessionsRedis, got["staging"].sessionsRedis, got["prod"].sessionsRedis)
		}
	}
}
