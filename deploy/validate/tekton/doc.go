// Package tekton checks ragline's Tekton delivery (deploy/tekton) with the
// Go code Tekton Pipelines and Tekton Triggers run in their admission
// webhooks: every Task, Pipeline and PipelineRun is strictly decoded, then
// SetDefaults and Validate; every Triggers object likewise (with
// contexts.WithUpgradeViaDefaulting), and each TriggerTemplate's resource
// templates are decoded and validated as PipelineRuns. On top: the
// tektoncd/catalog layout and metadata rules, pinned images, parameters
// passed to scripts only through the environment, and the references
// between the objects (tasks, results, parameters, bindings, templates).
//
// It is its own module because Tekton's Kubernetes version differs from the
// one Argo Rollouts pins (deploy/validate/kube).
package tekton
