package tekton

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	triggersv1beta1 "github.com/tektoncd/triggers/pkg/apis/triggers/v1beta1"
)

const tektonDir = "../../tekton"

func load(t *testing.T, path string) []Object {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := DecodeAll(b, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) == 0 {
		t.Fatalf("%s: no objects", path)
	}
	return objs
}

// catalog loads every task/NAME/VERSION/NAME.yaml and pipeline/... file.
func catalog(t *testing.T) (map[string]*pipelinev1.Task, map[string]*pipelinev1.Pipeline) {
	t.Helper()
	tasks, pipelines := map[string]*pipelinev1.Task{}, map[string]*pipelinev1.Pipeline{}
	for _, kind := range []string{"task", "pipeline"} {
		files, _ := filepath.Glob(filepath.Join(tektonDir, kind, "*", "*", "*.yaml"))
		if len(files) == 0 {
			t.Fatalf("no %s in %s/%s", kind, tektonDir, kind)
		}
		for _, f := range files {
			rel, _ := filepath.Rel(filepath.Join(tektonDir, kind), f)
			parts := strings.Split(rel, string(filepath.Separator))
			if len(parts) != 3 || parts[2] != parts[0]+".yaml" {
				t.Errorf("%s: not at %s/NAME/VERSION/NAME.yaml", f, kind)
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(f), "README.md")); err != nil {
				t.Errorf("%s: no README.md beside it", f)
			}
			objs := load(t, f)
			if len(objs) != 1 {
				t.Errorf("%s: %d objects, want 1", f, len(objs))
				continue
			}
			switch o := objs[0].Typed.(type) {
			case *pipelinev1.Task:
				for _, bad := range CatalogMetadata(f, parts[0], parts[1], o.Name, o.Labels, o.Annotations, o.Spec.Description) {
					t.Error(bad)
				}
				tasks[o.Name] = o
			case *pipelinev1.Pipeline:
				for _, bad := range CatalogMetadata(f, parts[0], parts[1], o.Name, o.Labels, o.Annotations, o.Spec.Description) {
					t.Error(bad)
				}
				pipelines[o.Name] = o
			default:
				t.Errorf("%s: a %s in the %s folder", f, objs[0].GVK.Kind, kind)
			}
		}
	}
	return tasks, pipelines
}

// TestCatalog checks the tektoncd/catalog layout and rules and runs Tekton's
// SetDefaults and Validate on every Task and Pipeline.
func TestCatalog(t *testing.T) {
	tasks, pipelines := catalog(t)
	for _, name := range []string{"ragline-test", "ragline-eval", "ragline-index-build", "ragline-image-build", "ragline-release-info", "ragline-deploy"} {
		if tasks[name] == nil {
			t.Errorf("no Task %s", name)
		}
	}
	for name, task := range tasks {
		for _, bad := range StepRules("Task "+name, &task.Spec) {
			t.Error(bad)
		}
		if err := Validate(task); err != nil {
			t.Errorf("Task %s: %v", name, err)
		}
	}
	for _, name := range []string{"ragline-ci-cd", "ragline-promote"} {
		p := pipelines[name]
		if p == nil {
			t.Fatalf("no Pipeline %s", name)
		}
		if err := Validate(p); err != nil {
			t.Fatalf("Pipeline %s: %v", name, err)
		}
		for _, pt := range append(append([]pipelinev1.PipelineTask{}, p.Spec.Tasks...), p.Spec.Finally...) {
			if pt.TaskSpec != nil {
				for _, bad := range StepRules("Pipeline "+name+" task "+pt.Name, &pt.TaskSpec.TaskSpec) {
					t.Error(bad)
				}
			}
		}
	}
	// Results the eval task must offer, and the ragline-eval contract.
	eval := tasks["ragline-eval"]
	var results []string
	for _, r := range eval.Spec.Results {
		results = append(results, r.Name)
	}
	for _, want := range []string{"passed", "summary"} {
		if !slices.Contains(results, want) {
			t.Errorf("ragline-eval has no result %q", want)
		}
	}
	if s := eval.Spec.Steps[0].Script; !strings.Contains(s, "eval --dataset") || !strings.Contains(s, "--results-dir") || !strings.Contains(s, "--gate") {
		t.Errorf("ragline-eval does not run ragline eval --dataset ... --gate ... --results-dir:\n%s", s)
	}
	if tasks["ragline-index-build"].Spec.Results[0].Name != "kb-digest" {
		t.Error("ragline-index-build's result must be kb-digest")
	}
}

// TestPipelineDesign checks the order and conditions of ragline-ci-cd and
// that each reference (catalog task, parameter, result) resolves.
func TestPipelineDesign(t *testing.T) {
	tasks, pipelines := catalog(t)
	p := pipelines["ragline-ci-cd"]
	byName := map[string]pipelinev1.PipelineTask{}
	for _, pt := range p.Spec.Tasks {
		byName[pt.Name] = pt
	}
	clone := byName["fetch-source"]
	if clone.TaskRef == nil || clone.TaskRef.Resolver == "" || catalogName(clone) != "git-clone" {
		t.Error("fetch-source must be the catalog's git-clone through a resolver")
	}
	build := byName["build-image"]
	if build.TaskRef == nil || build.TaskRef.Name != "ragline-image-build" {
		t.Error("build-image must be ragline-image-build (rootless BuildKit: the Dockerfile's RUN --mount)")
	}
	for _, name := range []string{"build-image", "sbom", "index-build", "deploy"} {
		pt, ok := byName[name]
		if !ok {
			t.Errorf("no task %s", name)
			continue
		}
		gated := false
		for _, w := range pt.When {
			if w.Input == "$(tasks.eval.results.passed)" && string(w.Operator) == "in" && slices.Equal(w.Values, []string{"true"}) {
				gated = true
			}
		}
		if !gated {
			t.Errorf("%s must run only when $(tasks.eval.results.passed) is true", name)
		}
	}
	if !slices.Equal(byName["test"].RunAfter, []string{"fetch-source"}) || !slices.Contains(byName["eval"].RunAfter, "test") || !slices.Contains(byName["eval"].RunAfter, "baseline") {
		t.Error("order must be fetch-source -> test, baseline -> eval")
	}
	if paramValue(byName["eval"].Params, "baseline") != paramValue(byName["baseline"].Params, "report-path") || paramValue(byName["baseline"].Params, "environment") != "staging" {
		t.Error("the gate must compare with the report of the release staging runs (baseline task -> eval baseline)")
	}
	// Prod is never deployed from here: only ragline-promote (approval, staging's digests) deploys prod.
	for _, w := range byName["deploy"].When {
		if w.Input == "$(params.environment)" && slices.Contains(w.Values, "prod") {
			t.Error("ragline-ci-cd must not deploy prod; ragline-promote promotes staging's release")
		}
	}
	promote := pipelines["ragline-promote"]
	pb := map[string]pipelinev1.PipelineTask{}
	for _, pt := range promote.Spec.Tasks {
		pb[pt.Name] = pt
	}
	if a := pb["approve"]; a.TaskRef == nil || a.TaskRef.Kind != "ApprovalTask" || a.TaskRef.APIVersion != "openshift-pipelines.org/v1alpha1" {
		t.Error("ragline-promote needs the manual approval gate (ApprovalTask) before deploying")
	}
	if d := pb["deploy"]; !slices.Contains(d.RunAfter, "approve") || paramValue(d.Params, "environment") != "prod" ||
		paramValue(d.Params, "image-digest") != "$(tasks.staging-release.results.image-digest)" ||
		paramValue(d.Params, "kb-image-digest") != "$(tasks.staging-release.results.kb-image-digest)" {
		t.Error("ragline-promote must deploy prod after the approval with the digests staging runs")
	}
	var resultNames []string
	for _, r := range p.Spec.Results {
		resultNames = append(resultNames, r.Name)
	}
	for _, want := range []string{"IMAGE_URL", "IMAGE_DIGEST"} {
		if !slices.Contains(resultNames, want) {
			t.Errorf("Pipeline result %s (for Tekton Chains) missing", want)
		}
	}
	if len(p.Spec.Finally) == 0 || !strings.Contains(p.Spec.Finally[0].Params[1].Value.StringVal, "tasks.eval.results.summary") {
		t.Error("a finally task must report the eval summary")
	}
	// Tasks of this catalog referenced by name exist and receive only parameters they declare.
	for _, pt := range append(append([]pipelinev1.PipelineTask{}, p.Spec.Tasks...), promote.Spec.Tasks...) {
		if pt.TaskRef == nil || pt.TaskRef.Resolver != "" || pt.TaskRef.APIVersion != "" {
			continue
		}
		task := tasks[pt.TaskRef.Name]
		if task == nil {
			t.Errorf("task %s references missing Task %s", pt.Name, pt.TaskRef.Name)
			continue
		}
		for _, prm := range pt.Params {
			found := false
			for _, spec := range task.Spec.Params {
				found = found || spec.Name == prm.Name
			}
			if !found {
				t.Errorf("task %s passes unknown param %s to %s", pt.Name, prm.Name, task.Name)
			}
		}
		for _, spec := range task.Spec.Params {
			if spec.Default != nil {
				continue
			}
			found := false
			for _, prm := range pt.Params {
				found = found || spec.Name == prm.Name
			}
			if !found {
				t.Errorf("task %s does not pass required param %s of %s", pt.Name, spec.Name, task.Name)
			}
		}
	}
}

func paramValue(ps pipelinev1.Params, name string) string {
	for _, p := range ps {
		if p.Name == name {
			return p.Value.StringVal
		}
	}
	return ""
}

// TestTriggersAndRuns validates the EventListener, TriggerBindings and
// TriggerTemplates with Triggers' own code, each template's PipelineRun with
// Tekton's, and the example PipelineRun, and checks their references.
func TestTriggersAndRuns(t *testing.T) {
	_, pipelines := catalog(t)
	objs := load(t, filepath.Join(tektonDir, "triggers/triggers.yaml"))
	bindings, templates := map[string]*triggersv1beta1.TriggerBinding{}, map[string]*triggersv1beta1.TriggerTemplate{}
	var el *triggersv1beta1.EventListener
	for _, o := range objs {
		if err := Validate(o.Typed); err != nil {
			t.Errorf("%s: %v", o.Source, err)
		}
		switch v := o.Typed.(type) {
		case *triggersv1beta1.TriggerBinding:
			bindings[v.Name] = v
		case *triggersv1beta1.TriggerTemplate:
			templates[v.Name] = v
		case *triggersv1beta1.EventListener:
			el = v
		}
	}
	if el == nil {
		t.Fatal("no EventListener")
	}
	var events []string
	for _, tr := range el.Spec.Triggers {
		var interceptors []string
		for _, ic := range tr.Interceptors {
			interceptors = append(interceptors, ic.Ref.Name)
			if ic.Ref.Name == "github" {
				secret := false
				for _, prm := range ic.Params {
					if prm.Name == "secretRef" {
						secret = strings.Contains(string(prm.Value.Raw), `"secretName"`)
					}
					if prm.Name == "eventTypes" {
						events = append(events, string(prm.Value.Raw))
					}
				}
				if !secret {
					t.Errorf("trigger %s: the GitHub interceptor needs the webhook secret from a Secret", tr.Name)
				}
			}
		}
		if !slices.Equal(interceptors, []string{"github", "cel"}) {
			t.Errorf("trigger %s: interceptors %v, want github then a cel filter", tr.Name, interceptors)
		}
		for _, b := range tr.Bindings {
			if bindings[b.Ref] == nil {
				t.Errorf("trigger %s: no TriggerBinding %s", tr.Name, b.Ref)
			}
		}
		var tt *triggersv1beta1.TriggerTemplate
		if tr.Template != nil && tr.Template.Ref != nil {
			tt = templates[*tr.Template.Ref]
		}
		if tt == nil {
			t.Errorf("trigger %s: no TriggerTemplate %v", tr.Name, tr.Template.Ref)
			continue
		}
		for _, b := range tr.Bindings {
			for _, bp := range bindings[b.Ref].Spec.Params {
				found := false
				for _, tp := range tt.Spec.Params {
					found = found || tp.Name == bp.Name
				}
				if !found {
					t.Errorf("binding %s param %s is not a param of template %s", b.Ref, bp.Name, tt.Name)
				}
			}
		}
	}
	joined := strings.Join(events, " ")
	if !strings.Contains(joined, `"push"`) || !strings.Contains(joined, `"pull_request"`) {
		t.Errorf("event types %v, want push and pull_request", events)
	}
	// Every PipelineRun (templates and the example) runs ragline-ci-cd with its parameters and workspaces.
	var runs []*pipelinev1.PipelineRun
	for _, tt := range templates {
		for _, rt := range tt.Spec.ResourceTemplates {
			objs, err := DecodeAll(rt.RawExtension.Raw, tt.Name)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				pr, ok := o.Typed.(*pipelinev1.PipelineRun)
				if !ok {
					t.Fatalf("%s creates a %s, want a PipelineRun", tt.Name, o.GVK.Kind)
				}
				runs = append(runs, pr)
			}
		}
	}
	example := load(t, filepath.Join(tektonDir, "examples/pipelinerun.yaml"))
	for _, o := range example {
		if err := Validate(o.Typed); err != nil {
			t.Errorf("%s: %v", o.Source, err)
		}
		runs = append(runs, o.Typed.(*pipelinev1.PipelineRun))
	}
	for _, pr := range runs {
		if pr.Spec.PipelineRef == nil || pipelines[pr.Spec.PipelineRef.Name] == nil {
			t.Errorf("PipelineRun %s%s runs no pipeline of this catalog", pr.Name, pr.GenerateName)
			continue
		}
		p := pipelines[pr.Spec.PipelineRef.Name]
		for _, prm := range pr.Spec.Params {
			found := false
			for _, spec := range p.Spec.Params {
				found = found || spec.Name == prm.Name
			}
			if !found {
				t.Errorf("PipelineRun %s passes unknown param %s", pr.GenerateName, prm.Name)
			}
		}
		bound := map[string]bool{}
		for _, w := range pr.Spec.Workspaces {
			bound[w.Name] = true
		}
		for _, w := range p.Spec.Workspaces {
			if !bound[w.Name] && !w.Optional {
				t.Errorf("PipelineRun %s does not bind workspace %s", pr.GenerateName, w.Name)
			}
		}
		// Trust boundary: who runs what.
		env := paramValue(pr.Spec.Params, "environment")
		deploySA := ""
		for _, s := range pr.Spec.TaskRunSpecs {
			if s.PipelineTaskName == "deploy" {
				deploySA = s.ServiceAccountName
			}
		}
		sa := pr.Spec.TaskRunTemplate.ServiceAccountName
		switch {
		case p.Name == "ragline-ci-cd" && env == "none":
			if sa != "ragline-pr" || deploySA != "" {
				t.Errorf("pull-request run %s: runs as %q (deploy %q), want ragline-pr and no deployer", pr.GenerateName, sa, deploySA)
			}
			if bound["docker-config"] {
				t.Errorf("pull-request run %s must not get registry credentials", pr.GenerateName)
			}
		case p.Name == "ragline-ci-cd":
			if sa != "ragline-build" || deploySA != "ragline-deployer" {
				t.Errorf("release run %s: runs as %q, deploy as %q; want ragline-build and ragline-deployer (taskRunSpecs)", pr.GenerateName, sa, deploySA)
			}
		case p.Name == "ragline-promote":
			if sa != "ragline-build" || deploySA != "ragline-prod-deployer" {
				t.Errorf("promotion %s: runs as %q, deploy as %q; want ragline-build and ragline-prod-deployer", pr.GenerateName, sa, deploySA)
			}
		}
		for _, bad := range append(PVCProblems(pr, p), GitCloneFSGroup(pr, p)...) {
			t.Error(bad)
		}
	}
}
