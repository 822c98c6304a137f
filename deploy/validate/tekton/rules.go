package tekton

import (
	"fmt"
	"regexp"
	"strings"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// tektonVar matches Tekton variable substitutions that must not be
// interpolated into a script: parameters, results, workspaces, context.
var tektonVar = regexp.MustCompile(`\$\((params|inputs|results|workspaces|context|tasks|steps|tt\.params)\.[^)]*\)`)

// StepRules lists breaches of the catalog rules in a TaskSpec: every image
// pinned (a tag other than latest, or a digest), and no Tekton variable
// interpolated into a script (parameters reach scripts through env).
func StepRules(where string, spec *pipelinev1.TaskSpec) []string {
	var bad []string
	for _, s := range spec.Steps {
		if p := imageProblem(s.Image); p != "" {
			bad = append(bad, fmt.Sprintf("%s: step %q: image %q %s", where, s.Name, s.Image, p))
		}
		if m := tektonVar.FindAllString(s.Script, -1); len(m) > 0 {
			bad = append(bad, fmt.Sprintf("%s: step %q: script interpolates %v; pass it through env", where, s.Name, m))
		}
	}
	for _, s := range spec.Sidecars {
		if p := imageProblem(s.Image); p != "" {
			bad = append(bad, fmt.Sprintf("%s: sidecar %q: image %q %s", where, s.Name, s.Image, p))
		}
	}
	return bad
}

func imageProblem(image string) string {
	if strings.Contains(image, "@sha256:") {
		return ""
	}
	name := image
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	_, tag, ok := strings.Cut(name, ":")
	if !ok || tag == "" {
		return "is not pinned (no tag or digest)"
	}
	if tag == "latest" {
		return "uses :latest"
	}
	return ""
}

// CatalogMetadata lists breaches of the tektoncd/catalog metadata rules for
// a resource at task|pipeline/NAME/VERSION/NAME.yaml.
func CatalogMetadata(where, dirName, dirVersion, name string, labels, annotations map[string]string, description string) []string {
	var bad []string
	if name != dirName {
		bad = append(bad, fmt.Sprintf("%s: named %q, but lives in %s/", where, name, dirName))
	}
	if v := labels["app.kubernetes.io/version"]; v != dirVersion {
		bad = append(bad, fmt.Sprintf("%s: label app.kubernetes.io/version %q, want %q (its folder)", where, v, dirVersion))
	}
	for _, a := range []string{"tekton.dev/pipelines.minVersion", "tekton.dev/categories", "tekton.dev/tags", "tekton.dev/platforms"} {
		if strings.TrimSpace(annotations[a]) == "" {
			bad = append(bad, fmt.Sprintf("%s: annotation %s missing", where, a))
		}
	}
	if strings.TrimSpace(description) == "" {
		bad = append(bad, where+": spec.description missing")
	}
	return bad
}
