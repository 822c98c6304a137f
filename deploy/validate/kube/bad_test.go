package kube

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// fixture is a testdata/*.bad.yaml file: a broken manifest with the
// validator that must reject it (# validator: NAME) and a part of the
// expected message (# want: TEXT).
type fixture struct {
	path, validator, want string
	data                  []byte
}

func fixtures(t *testing.T) []fixture {
	t.Helper()
	paths, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no testdata/*.bad.yaml: %v", err)
	}
	var fs []fixture
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f := fixture{path: p, data: b}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "# validator: "); ok {
				f.validator = v
			}
			if v, ok := strings.CutPrefix(line, "# want: "); ok {
				f.want = v
			}
		}
		if f.validator == "" || f.want == "" {
			t.Fatalf("%s: needs '# validator:' and '# want:' lines", p)
		}
		fs = append(fs, f)
	}
	return fs
}

// TestBadFixtures proves each validator rejects broken input, with the
// expected message: strict decoding, the Kubernetes validators, ragline's
// container rules, Argo Rollouts' Rollout and analysis validation,
// Kustomize, and `ragline config validate`. (Fixtures of the metric-name
// cross-check run in TestMetricNamesExposedByServe.)
func TestBadFixtures(t *testing.T) {
	validators := map[string]bool{}
	for _, f := range fixtures(t) {
		validators[f.validator] = true
		if f.validator == "metrics" || f.validator == "promql" {
			continue // needs a running server: TestMetricNamesExposedByServe
		}
		t.Run(filepath.Base(f.path), func(t *testing.T) {
			msg := rejection(t, f)
			if msg == "" {
				t.Fatalf("%s validator accepted %s", f.validator, f.path)
			}
			if !strings.Contains(msg, f.want) {
				t.Errorf("rejected, but the message lacks %q:\n%s", f.want, msg)
			}
		})
	}
	for _, v := range []string{"strict", "kubernetes", "rules", "rollout", "analysis", "kustomize", "config", "metrics",
		"promql", "netpol", "refs", "hpa-replicas", "pins"} {
		if !validators[v] {
			t.Errorf("no fixture for the %s validator", v)
		}
	}
}

// rejection returns the validator's complaint about f, "" when it accepts it.
func rejection(t *testing.T, f fixture) string {
	t.Helper()
	decode := func() []Object {
		objs, err := DecodeAll(f.data, f.path)
		if err != nil {
			t.Fatalf("fixture for %s must decode: %v", f.validator, err)
		}
		return objs
	}
	switch f.validator {
	case "strict":
		if _, err := DecodeAll(f.data, f.path); err != nil {
			return err.Error()
		}
	case "kubernetes":
		var msgs []string
		for _, o := range decode() {
			if errs := Validate(o.Typed); len(errs) > 0 {
				msgs = append(msgs, ErrorsString(errs))
			}
		}
		return strings.Join(msgs, "\n")
	case "rules":
		var msgs []string
		for _, o := range decode() {
			if errs := Validate(o.Typed); len(errs) > 0 {
				t.Fatalf("rules fixture must pass the Kubernetes validators: %s", ErrorsString(errs))
			}
			d, ok := o.Typed.(*appsv1.Deployment)
			if !ok {
				t.Fatalf("rules fixture must be a Deployment, got %s", o.GVK.Kind)
			}
			msgs = append(msgs, PodRules(d.Name, d.Spec.Template.Spec, true)...)
			msgs = append(msgs, EnvRules(d.Name, d.Spec.Template.Spec)...)
		}
		return strings.Join(msgs, "\n")
	case "rollout", "analysis":
		p := renderProd(t)
		ro := p.rollout
		for _, o := range decode() {
			switch v := o.Typed.(type) {
			case *v1alpha1.Rollout:
				ro = v
			case *v1alpha1.AnalysisTemplate:
				if _, ok := p.templates[v.Name]; !ok {
					t.Fatalf("analysis fixture must replace one of prod's templates, not %q", v.Name)
				}
				p.templates[v.Name] = v
			}
		}
		return ErrorsString(ValidateCanary(ro, p.deployment, p.services, p.templates))
	case "kustomize":
		fs := filesys.MakeFsInMemory()
		if err := fs.WriteFile("/app/kustomization.yaml", f.data); err != nil {
			t.Fatal(err)
		}
		if _, err := RenderFS(fs, "/app"); err != nil {
			return err.Error()
		}
	case "netpol":
		// The first document is a kustomization over the others (resources.yaml);
		// the rendered NetworkPolicy's peers must equal the written ones.
		docs := strings.SplitN(string(f.data), "\n---\n", 2)
		if len(docs) != 2 {
			t.Fatal("netpol fixture: a kustomization, ---, then its resources")
		}
		fs := filesys.MakeFsInMemory()
		fs.WriteFile("/app/kustomization.yaml", []byte(docs[0]))
		fs.WriteFile("/app/resources.yaml", []byte(docs[1]))
		rendered, err := RenderFS(fs, "/app")
		if err != nil {
			t.Fatal(err)
		}
		written, err := DecodeAll([]byte(docs[1]), f.path)
		if err != nil {
			t.Fatal(err)
		}
		var msgs []string
		for _, w := range find(written, "NetworkPolicy", "") {
			for _, r := range find(rendered, "NetworkPolicy", w.Name) {
				msgs = append(msgs, NetworkPolicyPeers(r.String(), r.Typed.(*networkingv1.NetworkPolicy), w.Typed.(*networkingv1.NetworkPolicy))...)
			}
		}
		return strings.Join(msgs, "\n")
	case "refs":
		external, err := LoadExternal(filepath.Join(repo, "deploy/kubernetes/external-objects.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(ResolveReferences(decode(), external), "\n")
	case "hpa-replicas":
		objs := decode()
		return strings.Join(ReplicasUnderHPA(objs, hpaTargets(objs)), "\n")
	case "pins":
		pins, err := LoadPins(filepath.Join(repo, "deploy/pins.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var msgs []string
		for _, im := range imagesOf(decode()) {
			if p := pins.Check(im.image); p != "" {
				msgs = append(msgs, im.where+": "+p)
			}
		}
		return strings.Join(msgs, "\n")
	case "config":
		out, err := exec.Command(raglineBin, "config", "validate", f.path).CombinedOutput()
		if err != nil {
			return string(out)
		}
	default:
		t.Fatalf("unknown validator %q", f.validator)
	}
	return ""
}
