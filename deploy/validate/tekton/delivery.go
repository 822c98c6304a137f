package tekton

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/workspace"
	triggersv1beta1 "github.com/tektoncd/triggers/pkg/apis/triggers/v1beta1"
	"github.com/tektoncd/triggers/pkg/interceptors/cel"
	"github.com/tektoncd/triggers/pkg/template"
	"google.golang.org/grpc/codes"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// PVCProblems lists the pipeline tasks of a PipelineRun whose TaskRun would
// bind more than one PersistentVolumeClaim: Tekton's own
// workspace.ValidateOnlyOnePVCIsUsed rejects such a TaskRun under the
// default affinity assistant (coschedule: workspaces). A volumeClaimTemplate
// becomes one claim per PipelineRun workspace, as the controller creates it.
func PVCProblems(pr *pipelinev1.PipelineRun, p *pipelinev1.Pipeline) []string {
	bindings := map[string]pipelinev1.WorkspaceBinding{}
	for _, b := range pr.Spec.Workspaces {
		bindings[b.Name] = b
	}
	var bad []string
	for _, pt := range append(append([]pipelinev1.PipelineTask{}, p.Spec.Tasks...), p.Spec.Finally...) {
		var wb []pipelinev1.WorkspaceBinding
		for _, w := range pt.Workspaces {
			b, ok := bindings[w.Workspace]
			if !ok {
				continue
			}
			b.Name = w.Name
			if b.VolumeClaimTemplate != nil {
				b = pipelinev1.WorkspaceBinding{Name: w.Name, PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "pvc-" + w.Workspace}}
			}
			wb = append(wb, b)
		}
		if err := workspace.ValidateOnlyOnePVCIsUsed(wb); err != nil {
			bad = append(bad, fmt.Sprintf("PipelineRun %s%s: task %s: %v (Tekton rejects the TaskRun under the affinity assistant)", pr.Name, pr.GenerateName, pt.Name, err))
		}
	}
	return bad
}

// GitCloneFSGroup lists PipelineRuns whose pipeline runs the catalog's
// git-clone (its step runs as UID 65532) without an fsGroup for that task's
// pod: the checkout volume would not be writable.
func GitCloneFSGroup(pr *pipelinev1.PipelineRun, p *pipelinev1.Pipeline) []string {
	var bad []string
	for _, pt := range p.Spec.Tasks {
		if !isGitClone(pt) {
			continue
		}
		ok := false
		if pt := pr.Spec.TaskRunTemplate.PodTemplate; pt != nil && pt.SecurityContext != nil && pt.SecurityContext.FSGroup != nil {
			ok = true
		}
		for _, s := range pr.Spec.TaskRunSpecs {
			if s.PipelineTaskName == pt.Name && s.PodTemplate != nil && s.PodTemplate.SecurityContext != nil && s.PodTemplate.SecurityContext.FSGroup != nil {
				ok = true
			}
		}
		if !ok {
			bad = append(bad, fmt.Sprintf("PipelineRun %s%s: task %s runs git-clone as UID 65532 but its pod has no fsGroup", pr.Name, pr.GenerateName, pt.Name))
		}
	}
	return bad
}

func isGitClone(pt pipelinev1.PipelineTask) bool {
	if pt.TaskRef == nil {
		return false
	}
	if pt.TaskRef.Name == "git-clone" {
		return true
	}
	for _, prm := range pt.TaskRef.Params {
		v := prm.Value.StringVal
		if (prm.Name == "name" && v == "git-clone") || (prm.Name == "pathInRepo" && strings.Contains(v, "/git-clone/")) {
			return true
		}
	}
	return false
}

// CELFilter runs a CEL interceptor filter through Tekton Triggers' own CEL
// interceptor (its CEL environment, parse, check and evaluation) on a
// webhook body and reports whether the event passes. A filter that does
// not compile, or fails on the payload, is an error.
func CELFilter(filter string, body []byte, eventType string) (bool, error) {
	resp := cel.NewInterceptor(nil).Process(context.Background(), &triggersv1beta1.InterceptorRequest{
		Body:              string(body),
		Header:            map[string][]string{"X-Github-Event": {eventType}, "Content-Type": {"application/json"}},
		InterceptorParams: map[string]any{"filter": filter},
		Context:           &triggersv1beta1.TriggerContext{EventURL: "http://el-ragline-github.ragline-ci:8080", EventID: "test", TriggerID: "namespaces/ragline-ci/triggers/test"},
	})
	if resp.Continue {
		return true, nil
	}
	if resp.Status.Code == codes.FailedPrecondition {
		return false, nil
	}
	return false, fmt.Errorf("%s", resp.Status.Message)
}

// BindingProblems resolves a TriggerBinding's $(body...) and $(header...)
// paths on a webhook body with Triggers' own template code, as the
// EventListener does; a path the payload lacks is an error, as is an empty
// value.
func BindingProblems(tb *triggersv1beta1.TriggerBinding, tt *triggersv1beta1.TriggerTemplate, body []byte, eventType string) []string {
	params, err := template.ResolveParams(template.ResolvedTrigger{BindingParams: tb.Spec.Params, TriggerTemplate: tt},
		body, http.Header{"X-Github-Event": {eventType}}, map[string]any{}, template.NewTriggerContext("test"))
	if err != nil {
		return []string{fmt.Sprintf("TriggerBinding %s on a %s payload: %v", tb.Name, eventType, err)}
	}
	var bad []string
	for _, p := range params {
		if strings.TrimSpace(p.Value) == "" {
			bad = append(bad, fmt.Sprintf("TriggerBinding %s: param %s is empty on a %s payload", tb.Name, p.Name, eventType))
		}
	}
	return bad
}

// Contract is the recorded interface of one catalog task version.
type Contract struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Params  struct {
		Required []string `json:"required"`
		Optional []string `json:"optional"`
	} `json:"params"`
	Results    []string `json:"results"`
	Workspaces struct {
		Required []string `json:"required"`
		Optional []string `json:"optional"`
	} `json:"workspaces"`
	RunsAsUser int64 `json:"runsAsUser"`
}

// LoadContracts reads deploy/tekton/hub-contracts.yaml strictly.
func LoadContracts(path string) (map[string]Contract, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f struct {
		Tasks []Contract `json:"tasks"`
	}
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]Contract{}
	for _, c := range f.Tasks {
		out[c.Name] = c
	}
	return out, nil
}

var resultRef = regexp.MustCompile(`\$\(tasks\.([a-z0-9-]+)\.results\.([A-Za-z0-9_-]+)`)

// ContractProblems checks every use of a catalog task in a pipeline
// against its recorded contract: parameters passed must be declared,
// required ones passed, workspaces bound must be declared and required ones
// bound, and every $(tasks.<task>.results.<name>) anywhere in the pipeline
// must name a declared result.
func ContractProblems(p *pipelinev1.Pipeline, contracts map[string]Contract) []string {
	var bad []string
	used := map[string]Contract{}
	for _, pt := range p.Spec.Tasks {
		name := catalogName(pt)
		if name == "" {
			continue
		}
		c, ok := contracts[name]
		if !ok {
			bad = append(bad, fmt.Sprintf("%s: task %s uses catalog task %s, which has no recorded contract", p.Name, pt.Name, name))
			continue
		}
		used[pt.Name] = c
		passed := map[string]bool{}
		for _, prm := range pt.Params {
			passed[prm.Name] = true
			if !slices.Contains(c.Params.Required, prm.Name) && !slices.Contains(c.Params.Optional, prm.Name) {
				bad = append(bad, fmt.Sprintf("%s: task %s passes param %q, which %s %s does not declare", p.Name, pt.Name, prm.Name, c.Name, c.Version))
			}
		}
		for _, r := range c.Params.Required {
			if !passed[r] {
				bad = append(bad, fmt.Sprintf("%s: task %s does not pass %s's required param %q", p.Name, pt.Name, c.Name, r))
			}
		}
		bound := map[string]bool{}
		for _, w := range pt.Workspaces {
			bound[w.Name] = true
			if !slices.Contains(c.Workspaces.Required, w.Name) && !slices.Contains(c.Workspaces.Optional, w.Name) {
				bad = append(bad, fmt.Sprintf("%s: task %s binds workspace %q, which %s %s does not declare", p.Name, pt.Name, w.Name, c.Name, c.Version))
			}
		}
		for _, w := range c.Workspaces.Required {
			if !bound[w] {
				bad = append(bad, fmt.Sprintf("%s: task %s does not bind %s's workspace %q", p.Name, pt.Name, c.Name, w))
			}
		}
	}
	raw, _ := yaml.Marshal(p.Spec)
	for _, m := range resultRef.FindAllStringSubmatch(string(raw), -1) {
		if c, ok := used[m[1]]; ok && !slices.Contains(c.Results, m[2]) {
			bad = append(bad, fmt.Sprintf("%s: $(tasks.%s.results.%s): %s %s has no result %q (results %v)", p.Name, m[1], m[2], c.Name, c.Version, m[2], c.Results))
		}
	}
	return bad
}

// catalogName is the name of the catalog task a pipeline task resolves
// (hub or git resolver), "" for a Task of this repository or a custom task.
func catalogName(pt pipelinev1.PipelineTask) string {
	if pt.TaskRef == nil || pt.TaskRef.Resolver == "" {
		return ""
	}
	for _, prm := range pt.TaskRef.Params {
		v := prm.Value.StringVal
		if prm.Name == "name" {
			return v
		}
		if prm.Name == "pathInRepo" {
			parts := strings.Split(v, "/")
			if len(parts) >= 2 && parts[0] == "task" {
				return parts[1]
			}
		}
	}
	return ""
}
