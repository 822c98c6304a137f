package kube

import (
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/validation"
	analysisutil "github.com/argoproj/argo-rollouts/utils/analysis"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ResolveWorkloadRef does what the Argo Rollouts controller does before it
// validates a Rollout with spec.workloadRef: it takes the pod template and
// selector from the referenced Deployment.
func ResolveWorkloadRef(ro *v1alpha1.Rollout, d *appsv1.Deployment) (*v1alpha1.Rollout, error) {
	ref := ro.Spec.WorkloadRef
	if ref == nil {
		return ro.DeepCopy(), nil
	}
	if ref.Kind != "Deployment" || ref.Name != d.Name {
		return nil, fmt.Errorf("rollout %s references %s/%s, not Deployment/%s", ro.Name, ref.Kind, ref.Name, d.Name)
	}
	r := ro.DeepCopy()
	r.Spec.Template = *d.Spec.Template.DeepCopy()
	r.Spec.Selector = d.Spec.Selector.DeepCopy()
	r.Spec.TemplateResolvedFromRef = true
	return r, nil
}

// ValidateCanary runs Argo Rollouts' validation of a canary Rollout and of
// every resource it references: the Rollout as written, the Rollout with its
// workload reference resolved, its Services, its background analysis and the
// inline analysis of each step. templates are the AnalysisTemplates by name.
func ValidateCanary(ro *v1alpha1.Rollout, d *appsv1.Deployment, services map[string]*Service, templates map[string]*v1alpha1.AnalysisTemplate) field.ErrorList {
	errs := validation.ValidateRollout(ro.DeepCopy())
	resolved, err := ResolveWorkloadRef(ro, d)
	if err != nil {
		return append(errs, field.Invalid(field.NewPath("spec", "workloadRef"), ro.Spec.WorkloadRef, err.Error()))
	}
	errs = append(errs, validation.ValidateRollout(resolved)...)
	canary := resolved.Spec.Strategy.Canary
	if canary == nil {
		return append(errs, field.Required(field.NewPath("spec", "strategy", "canary"), "ragline releases by canary"))
	}
	var refs validation.ReferencedResources
	for name, typ := range map[string]validation.ServiceType{canary.CanaryService: validation.CanaryService, canary.StableService: validation.StableService} {
		if name == "" {
			continue
		}
		svc, ok := services[name]
		if !ok {
			errs = append(errs, field.NotFound(field.NewPath("spec", "strategy", "canary"), "Service "+name))
			continue
		}
		refs.ServiceWithType = append(refs.ServiceWithType, validation.ServiceWithType{Service: svc, Type: typ})
	}
	lookup := func(path *field.Path, rs []v1alpha1.AnalysisTemplateRef) []*v1alpha1.AnalysisTemplate {
		var out []*v1alpha1.AnalysisTemplate
		for i, r := range rs {
			tpl, ok := templates[r.TemplateName]
			if !ok || (r.ClusterScope != nil && *r.ClusterScope) {
				errs = append(errs, field.NotFound(path.Index(i), "AnalysisTemplate "+r.TemplateName))
				continue
			}
			out = append(out, tpl.DeepCopy())
		}
		return out
	}
	if canary.Analysis != nil {
		ts := lookup(field.NewPath("spec", "strategy", "canary", "analysis", "templates"), canary.Analysis.Templates)
		refs.AnalysisTemplatesWithType = append(refs.AnalysisTemplatesWithType, validation.AnalysisTemplatesWithType{
			AnalysisTemplates: ts, TemplateType: validation.BackgroundAnalysis, Args: canary.Analysis.Args,
		})
		errs = append(errs, validateMetrics(ts)...)
	}
	for i, step := range canary.Steps {
		if step.Analysis == nil {
			continue
		}
		ts := lookup(field.NewPath("spec", "strategy", "canary", "steps").Index(i).Child("analysis", "templates"), step.Analysis.Templates)
		refs.AnalysisTemplatesWithType = append(refs.AnalysisTemplatesWithType, validation.AnalysisTemplatesWithType{
			AnalysisTemplates: ts, TemplateType: validation.InlineAnalysis, CanaryStepIndex: i, Args: step.Analysis.Args,
		})
		errs = append(errs, validateMetrics(ts)...)
	}
	return append(errs, validation.ValidateRolloutReferencedResources(resolved, refs)...)
}

func validateMetrics(ts []*v1alpha1.AnalysisTemplate) field.ErrorList {
	var errs field.ErrorList
	for _, t := range ts {
		if err := analysisutil.ValidateMetrics(t.Spec.Metrics); err != nil {
			errs = append(errs, field.Invalid(field.NewPath("AnalysisTemplate", t.Name, "spec", "metrics"), t.Name, err.Error()))
		}
	}
	return errs
}

// ResolveAnalysis returns a template's metrics with every {{args.*}}
// resolved as the controller resolves them for an AnalysisRun of ro: the
// run's arguments (from the Rollout, with the given pod-template hashes)
// merged over the template's defaults.
func ResolveAnalysis(ro *v1alpha1.Rollout, tpl *v1alpha1.AnalysisTemplate, runArgs []v1alpha1.AnalysisRunArgument, stableHash, canaryHash string, extra map[string]string) ([]v1alpha1.Metric, error) {
	stable := &appsv1.ReplicaSet{}
	stable.Labels = map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: stableHash}
	canary := &appsv1.ReplicaSet{}
	canary.Labels = map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: canaryHash}
	args, err := analysisutil.BuildArgumentsForRolloutAnalysisRun(runArgs, stable, canary, ro)
	if err != nil {
		return nil, err
	}
	for name, v := range extra {
		v := v
		args = append(args, v1alpha1.Argument{Name: name, Value: &v})
	}
	merged, err := analysisutil.MergeArgs(args, tpl.Spec.Args)
	if err != nil {
		return nil, err
	}
	var out []v1alpha1.Metric
	for _, m := range tpl.Spec.Metrics {
		r, err := analysisutil.ResolveMetricArgs(m, merged)
		if err != nil {
			return nil, fmt.Errorf("AnalysisTemplate %s metric %s: %w", tpl.Name, m.Name, err)
		}
		out = append(out, *r)
	}
	return out, nil
}
