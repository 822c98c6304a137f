package tekton

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	triggersv1beta1 "github.com/tektoncd/triggers/pkg/apis/triggers/v1beta1"
	"sigs.k8s.io/yaml"
)

func payload(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata/github", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func celFilters(el *triggersv1beta1.EventListener) map[string]string {
	out := map[string]string{}
	for _, tr := range el.Spec.Triggers {
		for _, ic := range tr.Interceptors {
			if ic.Ref.Name != "cel" {
				continue
			}
			for _, p := range ic.Params {
				if p.Name == "filter" {
					var f string
					if err := json.Unmarshal(p.Value.Raw, &f); err == nil {
						out[tr.Name] = f
					}
				}
			}
		}
	}
	return out
}

func triggerObjects(t *testing.T) (*triggersv1beta1.EventListener, map[string]*triggersv1beta1.TriggerBinding, map[string]*triggersv1beta1.TriggerTemplate) {
	t.Helper()
	var el *triggersv1beta1.EventListener
	bindings, templates := map[string]*triggersv1beta1.TriggerBinding{}, map[string]*triggersv1beta1.TriggerTemplate{}
	for _, o := range load(t, filepath.Join(tektonDir, "triggers/triggers.yaml")) {
		switch v := o.Typed.(type) {
		case *triggersv1beta1.EventListener:
			el = v
		case *triggersv1beta1.TriggerBinding:
			bindings[v.Name] = v
		case *triggersv1beta1.TriggerTemplate:
			templates[v.Name] = v
		}
	}
	if el == nil {
		t.Fatal("no EventListener")
	}
	return el, bindings, templates
}

// TestTriggerFilters compiles and runs every CEL filter with Triggers' own
// CEL interceptor on GitHub payloads: pushes to main release; a member's
// pull request is checked; a fork's pull request runs only once labelled
// ok-to-test, never on its own.
func TestTriggerFilters(t *testing.T) {
	el, _, _ := triggerObjects(t)
	filters := celFilters(el)
	for _, tc := range []struct {
		payload, event string
		want           map[string]bool // trigger -> passes
	}{
		{"push-main.json", "push", map[string]bool{"push-main": true}},
		{"pull_request-member-opened.json", "pull_request", map[string]bool{"pull-request": true, "pull-request-ok-to-test": false}},
		{"pull_request-fork-opened.json", "pull_request", map[string]bool{"pull-request": false, "pull-request-ok-to-test": false}},
		{"pull_request-fork-labeled-ok-to-test.json", "pull_request", map[string]bool{"pull-request": false, "pull-request-ok-to-test": true}},
	} {
		for trigger, want := range tc.want {
			f, ok := filters[trigger]
			if !ok {
				t.Errorf("no CEL filter on trigger %s", trigger)
				continue
			}
			got, err := CELFilter(f, payload(t, tc.payload), tc.event)
			if err != nil {
				t.Errorf("trigger %s on %s: %v", trigger, tc.payload, err)
				continue
			}
			if got != want {
				t.Errorf("trigger %s on %s: passes %v, want %v", trigger, tc.payload, got, want)
			}
		}
	}
	// A push to another branch or a branch deletion releases nothing.
	var push map[string]any
	json.Unmarshal(payload(t, "push-main.json"), &push)
	push["ref"] = "refs/heads/feature"
	b, _ := json.Marshal(push)
	if got, err := CELFilter(filters["push-main"], b, "push"); err != nil || got {
		t.Errorf("push to a feature branch: passes %v (%v), want false", got, err)
	}
}

// TestBindingsOnPayloads resolves every TriggerBinding on the payload of its
// trigger's event with Triggers' own template code.
func TestBindingsOnPayloads(t *testing.T) {
	el, bindings, templates := triggerObjects(t)
	events := map[string]string{"push-main": "push-main.json", "pull-request": "pull_request-member-opened.json", "pull-request-ok-to-test": "pull_request-fork-labeled-ok-to-test.json"}
	for _, tr := range el.Spec.Triggers {
		file, ok := events[tr.Name]
		if !ok {
			t.Errorf("trigger %s has no payload to check its bindings on", tr.Name)
			continue
		}
		event := strings.SplitN(file, "-", 2)[0]
		for _, b := range tr.Bindings {
			for _, bad := range BindingProblems(bindings[b.Ref], templates[*tr.Template.Ref], payload(t, file), event) {
				t.Error(bad)
			}
		}
	}
}

// TestHubContracts checks each pipeline's use of catalog tasks against the
// recorded contract of the pinned version, and that the pin file and the
// pipelines agree on the catalog commit.
func TestHubContracts(t *testing.T) {
	contracts, err := LoadContracts(filepath.Join(tektonDir, "hub-contracts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pins := loadPins(t)
	_, pipelines := catalog(t)
	for _, p := range pipelines {
		for _, bad := range ContractProblems(p, contracts) {
			t.Error(bad)
		}
		for _, pt := range p.Spec.Tasks {
			name := catalogName(pt)
			if name == "" {
				continue
			}
			if pt.TaskRef.Resolver != "git" {
				t.Errorf("%s: task %s resolves %s with %q; pin it by commit with the git resolver", p.Name, pt.Name, name, pt.TaskRef.Resolver)
			}
			found := false
			for _, tp := range pins.Tasks {
				if tp.Name == name && paramValue(pt.TaskRef.Params, "revision") == tp.Commit && paramValue(pt.TaskRef.Params, "url") == tp.URL &&
					paramValue(pt.TaskRef.Params, "pathInRepo") == tp.Path && contracts[name].Version == tp.Version {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: task %s (%s) is not the commit, path and version of deploy/pins.yaml", p.Name, pt.Name, name)
			}
			if img := paramValue(pt.Params, "gitInitImage"); name == "git-clone" && img == "" {
				t.Errorf("%s: task %s must pass gitInitImage from deploy/pins.yaml", p.Name, pt.Name)
			}
		}
	}
}

// pins is the part of deploy/pins.yaml this module checks.
type pins struct {
	Images []struct {
		Ref        string `json:"ref"`
		Digest     string `json:"digest"`
		Unverified string `json:"unverified"`
		UsedBy     string `json:"used-by"`
	} `json:"images"`
	Built []string `json:"built"`
	Tasks []struct {
		Name, Version, URL, Commit, Path string
	} `json:"tasks"`
}

func loadPins(t *testing.T) pins {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(tektonDir, "../pins.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var p pins
	if err := yaml.UnmarshalStrict(b, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// allowed says whether image is REF@DIGEST of a pinned entry, or REF of an
// entry whose digest could not be verified.
func (p pins) allowed(image string) bool {
	for _, im := range p.Images {
		if (im.Digest != "" && image == im.Ref+"@"+im.Digest) || (im.Digest == "" && im.Unverified != "" && image == im.Ref) {
			return true
		}
	}
	return false
}

// TestStepImagesPinned checks every step image of every Task and inline
// task, and every image passed as a parameter default, against deploy/pins.yaml.
func TestStepImagesPinned(t *testing.T) {
	p := loadPins(t)
	tasks, pipelines := catalog(t)
	check := func(where string, spec *pipelinev1.TaskSpec) {
		for _, s := range spec.Steps {
			if !p.allowed(s.Image) {
				t.Errorf("%s step %s: image %q is not in deploy/pins.yaml", where, s.Name, s.Image)
			}
		}
		for _, prm := range spec.Params {
			if prm.Default != nil && strings.HasSuffix(prm.Name, "image") && strings.Contains(prm.Default.StringVal, ":") && !p.allowed(prm.Default.StringVal) {
				t.Errorf("%s param %s: default image %q is not in deploy/pins.yaml", where, prm.Name, prm.Default.StringVal)
			}
		}
	}
	for name, task := range tasks {
		check("Task "+name, &task.Spec)
	}
	for name, pl := range pipelines {
		for _, pt := range append(append([]pipelinev1.PipelineTask{}, pl.Spec.Tasks...), pl.Spec.Finally...) {
			if pt.TaskSpec != nil {
				check("Pipeline "+name+" task "+pt.Name, &pt.TaskSpec.TaskSpec)
			}
			if v := paramValue(pt.Params, "gitInitImage"); v != "" && !p.allowed(v) {
				t.Errorf("Pipeline %s task %s: gitInitImage %q is not in deploy/pins.yaml", name, pt.Name, v)
			}
		}
	}
}

// TestChainsConfig checks the Tekton Chains configuration: signed,
// attested (SLSA provenance) and stored in the registry, transparency on,
// and the type-hinted results it relies on are what the tasks emit.
func TestChainsConfig(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(tektonDir, "chains/chains-config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   map[string]string `json:"metadata"`
		Data       map[string]string `json:"data"`
	}
	if err := yaml.UnmarshalStrict(b, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Kind != "ConfigMap" || cm.Metadata["name"] != "chains-config" || cm.Metadata["namespace"] != "tekton-chains" {
		t.Fatalf("want ConfigMap tekton-chains/chains-config, got %s %v", cm.Kind, cm.Metadata)
	}
	known := map[string][]string{
		"artifacts.taskrun.format": {"slsa/v1", "in-toto", "slsa/v2alpha3", "slsa/v2alpha4"}, "artifacts.taskrun.storage": {"oci", "tekton", "oci,tekton"},
		"artifacts.taskrun.signer": {"x509", "kms"}, "artifacts.pipelinerun.format": {"slsa/v1", "in-toto", "slsa/v2alpha3", "slsa/v2alpha4"},
		"artifacts.pipelinerun.storage": {"oci", "tekton", "oci,tekton"}, "artifacts.pipelinerun.signer": {"x509", "kms"},
		"artifacts.pipelinerun.enable-deep-inspection": {"true"}, "artifacts.oci.format": {"simplesigning"},
		"artifacts.oci.storage": {"oci"}, "artifacts.oci.signer": {"x509", "kms"}, "transparency.enabled": {"true", "manual"},
		"transparency.url": nil, "builder.id": nil,
	}
	for k, v := range cm.Data {
		allowed, ok := known[k]
		if !ok {
			t.Errorf("chains-config: unknown key %s", k)
			continue
		}
		if allowed != nil && !slicesContains(allowed, v) {
			t.Errorf("chains-config: %s=%q, want one of %v", k, v, allowed)
		}
	}
	for _, k := range []string{"artifacts.taskrun.storage", "artifacts.oci.storage", "transparency.enabled", "artifacts.pipelinerun.format"} {
		if cm.Data[k] == "" {
			t.Errorf("chains-config: %s not set", k)
		}
	}
	tasks, _ := catalog(t)
	for task, results := range map[string][]string{"ragline-image-build": {"IMAGE_URL", "IMAGE_DIGEST"}, "ragline-index-build": {"KB_IMAGE_URL", "KB_IMAGE_DIGEST"}} {
		var have []string
		for _, r := range tasks[task].Spec.Results {
			have = append(have, r.Name)
		}
		for _, r := range results {
			if !slicesContains(have, r) {
				t.Errorf("%s lacks the type-hinted result %s Chains signs", task, r)
			}
		}
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
