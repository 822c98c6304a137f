package kube

import (
	"bufio"
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// hpaTargets is "Kind/name" of every workload an HPA of objs scales.
func hpaTargets(objs []Object) map[string]bool {
	out := map[string]bool{}
	for _, o := range find(objs, "HorizontalPodAutoscaler", "") {
		ref := o.Typed.(*autoscalingv2.HorizontalPodAutoscaler).Spec.ScaleTargetRef
		out[ref.Kind+"/"+ref.Name] = true
	}
	return out
}

type imageUse struct{ where, image string }

// imagesOf lists every image a set of objects runs or mounts: containers,
// init containers, Job templates of AnalysisTemplates, image volumes.
func imagesOf(objs []Object) []imageUse {
	var out []imageUse
	for _, pt := range podTemplates(objs) {
		for _, c := range append(append(pt.spec.InitContainers[:0:0], pt.spec.InitContainers...), pt.spec.Containers...) {
			out = append(out, imageUse{pt.where + " container " + c.Name, c.Image})
		}
		for _, v := range pt.spec.Volumes {
			if v.Image != nil {
				out = append(out, imageUse{pt.where + " image volume " + v.Name, v.Image.Reference})
			}
		}
	}
	return out
}

// renderRelease renders what the deploy task applies: a kustomization over
// the overlay (and optional components) pinning both release images.
func renderRelease(t *testing.T, env string, components []string, imageDigest, kbDigest string) []Object {
	t.Helper()
	dir := t.TempDir()
	rel := func(p string) string {
		abs, err := filepath.Abs(filepath.Join(repo, p))
		if err != nil {
			t.Fatal(err)
		}
		r, err := filepath.Rel(dir, abs)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - " + rel("deploy/kubernetes/overlays/"+env) + "\n"
	if len(components) > 0 {
		k += "components:\n"
		for _, c := range components {
			k += "  - " + rel("deploy/kubernetes/components/"+c) + "\n"
		}
	}
	k += "images:\n  - name: ghcr.io/ragline/ragline\n    newName: registry.example.com/ragline\n    digest: " + imageDigest +
		"\n  - name: ghcr.io/ragline/ragline-kb\n    newName: registry.example.com/ragline-kb\n    digest: " + kbDigest + "\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	objs, err := Render(dir)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// TestNetworkPolicyAfterRendering renders every overlay and checks that its
// NetworkPolicy reaches the cluster as written (no peer rewritten by
// Kustomize's labels), that DNS goes to kube-dns in kube-system and Redis
// to the redis pods, and that the policy selects ragline's pods.
func TestNetworkPolicyAfterRendering(t *testing.T) {
	written, err := os.ReadFile(filepath.Join(repo, "deploy/kubernetes/base/networkpolicy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	srcObjs, err := DecodeAll(written, "base/networkpolicy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := srcObjs[0].Typed.(*networkingv1.NetworkPolicy)
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			objs, err := Render(overlayDir(env))
			if err != nil {
				t.Fatal(err)
			}
			np := one[*networkingv1.NetworkPolicy](t, objs, "NetworkPolicy", "ragline")
			for _, bad := range NetworkPolicyPeers("NetworkPolicy ragline ("+env+")", np, src) {
				t.Error(bad)
			}
			var dns, redis bool
			for _, r := range np.Spec.Egress {
				for _, p := range r.To {
					if p.PodSelector == nil {
						continue
					}
					sel := p.PodSelector.MatchLabels
					if len(sel) == 1 && sel["k8s-app"] == "kube-dns" && p.NamespaceSelector != nil &&
						p.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] == "kube-system" && hasPort(r.Ports, 53, "UDP") && hasPort(r.Ports, 53, "TCP") {
						dns = true
					}
					if len(sel) == 1 && sel["app.kubernetes.io/name"] == "redis" && hasPort(r.Ports, 6379, "TCP") {
						redis = true
					}
				}
			}
			if !dns || !redis {
				t.Errorf("rendered egress allows DNS to kube-dns: %v, Redis to the redis pods: %v", dns, redis)
			}
			d := one[*appsv1.Deployment](t, objs, "Deployment", "ragline")
			if !matches(np.Spec.PodSelector.MatchLabels, d.Spec.Template.Labels) {
				t.Errorf("policy selects %v, pods carry %v", np.Spec.PodSelector.MatchLabels, d.Spec.Template.Labels)
			}
			// Selectors are exactly what the base writes: Kustomize's labels stay out.
			want := map[string]string{"app.kubernetes.io/name": "ragline", "app.kubernetes.io/component": "server"}
			if got := d.Spec.Selector.MatchLabels; !maps.Equal(got, want) {
				t.Errorf("Deployment selector %v, want %v", got, want)
			}
		})
	}
}

func hasPort(ports []networkingv1.NetworkPolicyPort, port int32, proto string) bool {
	for _, p := range ports {
		if p.Port != nil && p.Port.Type == intstr.Int && p.Port.IntVal == port && p.Protocol != nil && string(*p.Protocol) == proto {
			return true
		}
	}
	return false
}

// TestReferencesResolve checks in every rendered overlay (and in prod with
// the image-volume component) that each ConfigMap and Secret key an env or
// volume references exists, and each Service targetPort and NetworkPolicy
// port name is a container port of the pods they select; and that no
// workload under an HPA sets replicas.
func TestReferencesResolve(t *testing.T) {
	external, err := LoadExternal(filepath.Join(repo, "deploy/kubernetes/external-objects.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			objs, err := Render(overlayDir(env))
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range ResolveReferences(objs, external) {
				t.Error(bad)
			}
			targets := hpaTargets(objs)
			if len(targets) != 1 {
				t.Errorf("HPA targets %v, want one", targets)
			}
			for _, bad := range ReplicasUnderHPA(objs, targets) {
				t.Error(bad)
			}
			for _, bad := range ResolveReferences(renderRelease(t, env, []string{"kb-image-volume"}, d, d), external) {
				t.Error("with kb-image-volume: " + bad)
			}
		})
	}
}

// TestKBRelease checks that a knowledge-base release is part of the pod
// template, pinned by digest, in both ways of delivering it (init container,
// image volume): a different KB digest is a different pod template (a new
// Rollout revision that goes through the canary and rolls back with it),
// and the server reads the file where the release puts it.
func TestKBRelease(t *testing.T) {
	const img = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	const kb1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	const kb2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	for _, mode := range [][]string{nil, {"kb-image-volume"}} {
		for _, env := range envs {
			name := env + "/init-container"
			if mode != nil {
				name = env + "/image-volume"
			}
			t.Run(name, func(t *testing.T) {
				objs := renderRelease(t, env, mode, img, kb1)
				d := one[*appsv1.Deployment](t, objs, "Deployment", "ragline")
				ps := d.Spec.Template.Spec
				for _, o := range objs {
					if errs := Validate(o.Typed); len(errs) > 0 {
						t.Errorf("%s: %s", o, ErrorsString(errs))
					}
				}
				for _, bad := range PodRules(d.Name, ps, true) {
					t.Error(bad)
				}
				var kbImages []string
				for _, u := range imagesOf(objs) {
					if strings.Contains(u.image, "ragline-kb") {
						kbImages = append(kbImages, u.image)
					}
				}
				if want := "registry.example.com/ragline-kb@" + kb1; !slices.Equal(kbImages, []string{want}) {
					t.Fatalf("knowledge-base references %v, want exactly %s", kbImages, want)
				}
				server := ps.Containers[0]
				if !slices.Contains(server.Args, "--data=/data/kb/kb.ragline") {
					t.Errorf("server args %v: want --data=/data/kb/kb.ragline", server.Args)
				}
				mount := ""
				for _, m := range server.VolumeMounts {
					if m.Name == "kb" {
						mount = m.MountPath
						if !m.ReadOnly {
							t.Error("the server must mount the KB read-only")
						}
					}
				}
				if mount != "/data" {
					t.Errorf("server mounts kb at %q, want /data", mount)
				}
				if mode == nil {
					if len(ps.InitContainers) != 1 || ps.InitContainers[0].Name != "kb" || !slices.Equal(ps.InitContainers[0].Command, []string{"cp", "-R", "/kb", "/data/"}) {
						t.Errorf("init containers %+v: want kb copying /kb into /data", ps.InitContainers)
					}
				} else if len(ps.InitContainers) != 0 {
					t.Errorf("image-volume mode keeps init containers %+v", ps.InitContainers)
				}
				other := one[*appsv1.Deployment](t, renderRelease(t, env, mode, img, kb2), "Deployment", "ragline")
				a, _ := json.Marshal(d.Spec.Template)
				b, _ := json.Marshal(other.Spec.Template)
				if bytes.Equal(a, b) {
					t.Error("a new KB digest left the pod template unchanged: it would not roll out, nor roll back")
				}
				if env == "prod" {
					ro := one[*v1alpha1.Rollout](t, objs, "Rollout", "ragline")
					if ro.Spec.WorkloadRef == nil || ro.Spec.WorkloadRef.Name != d.Name {
						t.Error("the prod Rollout must take the Deployment's template (which carries the KB)")
					}
				}
			})
		}
	}
}

// TestImagesPinned checks every image the rendered overlays run or mount
// (both KB modes), and every FROM of the Dockerfile, against deploy/pins.yaml.
func TestImagesPinned(t *testing.T) {
	pins, err := LoadPins(filepath.Join(repo, "deploy/pins.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, env := range envs {
		objs, err := Render(overlayDir(env))
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, renderRelease(t, env, []string{"kb-image-volume"}, d, d)...)
		for _, u := range imagesOf(objs) {
			if p := pins.Check(u.image); p != "" && !strings.HasPrefix(u.image, "registry.example.com/") {
				t.Errorf("%s: %s", u.where, p)
			}
		}
	}
	f, err := os.Open(filepath.Join(repo, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	args := map[string]string{}
	sc := bufio.NewScanner(f)
	froms := 0
	for sc.Scan() {
		if ref, ok := strings.CutPrefix(sc.Text(), "# syntax="); ok {
			if p := pins.Check(ref); p != "" {
				t.Errorf("Dockerfile syntax: %s", p)
			}
			continue
		}
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "ARG" {
			if k, v, ok := strings.Cut(fields[1], "="); ok {
				args[k] = v
			}
		}
		if len(fields) >= 2 && fields[0] == "FROM" {
			froms++
			image := fields[1]
			for k, v := range args {
				image = strings.ReplaceAll(image, "${"+k+"}", v)
			}
			if p := pins.Check(image); p != "" {
				t.Errorf("Dockerfile FROM: %s", p)
			}
		}
	}
	if froms < 2 {
		t.Errorf("Dockerfile: %d FROM lines found", froms)
	}
}

// TestArgoCDApplications checks the GitOps default path: one Argo CD
// Application per environment, on that environment's overlay (which must
// render) and namespace, with automated sync, prune and self-heal.
func TestArgoCDApplications(t *testing.T) {
	path := filepath.Join(repo, "deploy/argocd/applications.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type app struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name       string   `json:"name"`
			Namespace  string   `json:"namespace"`
			Finalizers []string `json:"finalizers"`
		} `json:"metadata"`
		Spec struct {
			Project string `json:"project"`
			Source  struct {
				RepoURL        string `json:"repoURL"`
				TargetRevision string `json:"targetRevision"`
				Path           string `json:"path"`
			} `json:"source"`
			Destination struct {
				Server    string `json:"server"`
				Namespace string `json:"namespace"`
			} `json:"destination"`
			SyncPolicy struct {
				Automated *struct {
					Prune    bool `json:"prune"`
					SelfHeal bool `json:"selfHeal"`
				} `json:"automated"`
				SyncOptions []string `json:"syncOptions"`
			} `json:"syncPolicy"`
		} `json:"spec"`
	}
	seen := map[string]bool{}
	for i, doc := range strings.Split(string(b), "\n---\n") {
		var a app
		if err := yaml.UnmarshalStrict([]byte(doc), &a); err != nil {
			t.Fatalf("%s document %d: %v", path, i, err)
		}
		if a.APIVersion != "argoproj.io/v1alpha1" || a.Kind != "Application" {
			t.Errorf("document %d: %s %s, want argoproj.io/v1alpha1 Application", i, a.APIVersion, a.Kind)
			continue
		}
		env := strings.TrimPrefix(a.Metadata.Name, "ragline-")
		seen[env] = true
		if a.Spec.Source.Path != "deploy/kubernetes/overlays/"+env || a.Spec.Destination.Namespace != "ragline-"+env {
			t.Errorf("%s: path %s, namespace %s", a.Metadata.Name, a.Spec.Source.Path, a.Spec.Destination.Namespace)
		}
		if _, err := Render(filepath.Join(repo, a.Spec.Source.Path)); err != nil {
			t.Errorf("%s: %v", a.Metadata.Name, err)
		}
		if au := a.Spec.SyncPolicy.Automated; au == nil || !au.Prune || !au.SelfHeal {
			t.Errorf("%s: syncPolicy.automated must prune and selfHeal", a.Metadata.Name)
		}
	}
	for _, env := range envs {
		if !seen[env] {
			t.Errorf("no Application for %s", env)
		}
	}
}

// TestAdmissionPolicy checks the Sigstore policy-controller example: it
// covers both ragline images (server and knowledge base), requires a
// signature by the Chains key and Chains' SLSA provenance.
func TestAdmissionPolicy(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repo, "deploy/policy/ragline-signed-images.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Images []struct {
				Glob string `json:"glob"`
			} `json:"images"`
			Authorities []struct {
				Name string `json:"name"`
				Key  *struct {
					SecretRef *struct {
						Name string `json:"name"`
					} `json:"secretRef"`
				} `json:"key"`
				Ctlog *struct {
					URL string `json:"url"`
				} `json:"ctlog"`
				Attestations []struct {
					Name          string `json:"name"`
					PredicateType string `json:"predicateType"`
					Policy        struct {
						Type string `json:"type"`
						Data string `json:"data"`
					} `json:"policy"`
				} `json:"attestations"`
			} `json:"authorities"`
		} `json:"spec"`
	}
	if err := yaml.UnmarshalStrict(b, &p); err != nil {
		t.Fatal(err)
	}
	if p.APIVersion != "policy.sigstore.dev/v1beta1" || p.Kind != "ClusterImagePolicy" {
		t.Fatalf("%s %s, want a policy.sigstore.dev/v1beta1 ClusterImagePolicy", p.APIVersion, p.Kind)
	}
	for _, img := range []string{"ghcr.io/ragline/ragline@sha256:0123", "ghcr.io/ragline/ragline-kb@sha256:0123"} {
		covered := false
		for _, g := range p.Spec.Images {
			if ok, _ := filepath.Match(strings.ReplaceAll(g.Glob, "**", "*"), img); ok {
				covered = true
			}
		}
		if !covered {
			t.Errorf("no image glob covers %s", img)
		}
	}
	if len(p.Spec.Authorities) == 0 || p.Spec.Authorities[0].Key == nil || p.Spec.Authorities[0].Key.SecretRef == nil {
		t.Fatal("the policy must verify a key signature (Tekton Chains' key)")
	}
	a := p.Spec.Authorities[0].Attestations
	if len(a) == 0 || !strings.HasPrefix(a[0].PredicateType, "https://slsa.dev/provenance/") {
		t.Error("the policy must require Chains' SLSA provenance")
	}
}
