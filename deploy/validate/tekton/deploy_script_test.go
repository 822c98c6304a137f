package tekton

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// fakeKubectl records its arguments and, for `apply -k DIR`, the
// kustomization it was given; `get rollout` answers "generation
// observedGeneration phase stableRS currentPodHash" from $ROLLOUT.
const fakeKubectl = `#!/usr/bin/env bash
echo "$*" >> "$KUBECTL_LOG"
case "$1 $2" in
  "apply -k") cp "$3/kustomization.yaml" "$KUBECTL_LOG.kustomization"; echo "$3" > "$KUBECTL_LOG.dir" ;;
  "apply -f") cat > "$KUBECTL_LOG.stdin" ;;
esac
if [ "$3" = get ] && [ "$4" = rollout ]; then
  case "$*" in *observedGeneration*) printf '%s' "$ROLLOUT" ;; *) printf 'step 5/6' ;; esac
fi
if [[ "$*" == *"create configmap"* ]]; then echo "kind: ConfigMap"; fi
exit 0
`

// TestDeployScript runs the ragline-deploy step's script with bash, the
// parameters in its environment as Tekton sets them, and a recording kubectl:
// the release kustomization names the overlay and pins the digest; prod
// refreshes the golden set and waits for the Rollout; a Degraded (aborted)
// Rollout fails the task; bad input is refused.
func TestDeployScript(t *testing.T) {
	tasks, _ := catalog(t)
	step := tasks["ragline-deploy"].Spec.Steps[0]
	source, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	const kbDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	for _, tc := range []struct {
		name, env, image, digest, rollout, timeout string
		wantExit                                   int
	}{
		{"staging", "staging", "registry.example.com/ragline:abc123", digest, "", "60m", 0},
		{"prod healthy", "prod", "registry.example.com:5000/team/ragline:abc123", digest, "4 4 Healthy 6d8f9c 6d8f9c", "60m", 0},
		{"prod aborted", "prod", "registry.example.com/ragline:abc123", digest, "4 4 Degraded 5c7b8a 6d8f9c", "60m", 1},
		// The controller has not seen the new generation (it is down): a Healthy
		// phase from before the apply must not count.
		{"prod controller down", "prod", "registry.example.com/ragline:abc123", digest, "4 3 Healthy 5c7b8a 5c7b8a", "0m", 1},
		// Healthy but the new revision is not yet the stable one.
		{"prod not promoted", "prod", "registry.example.com/ragline:abc123", digest, "4 4 Healthy 5c7b8a 6d8f9c", "0m", 1},
		{"unknown environment", "qa", "registry.example.com/ragline:abc123", digest, "", "60m", 2},
		{"tag instead of digest", "dev", "registry.example.com/ragline:abc123", "latest", "", "60m", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := t.TempDir()
			if err := os.WriteFile(filepath.Join(bin, "kubectl"), []byte(fakeKubectl), 0o755); err != nil {
				t.Fatal(err)
			}
			// sleep is a no-op so the wait loop runs at once.
			os.WriteFile(filepath.Join(bin, "sleep"), []byte("#!/bin/sh\nexit 0\n"), 0o755)
			log := filepath.Join(t.TempDir(), "kubectl.log")
			cmd := exec.Command("bash", "-c", step.Script)
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "KUBECTL_LOG="+log, "ROLLOUT="+tc.rollout)
			cmd.Env = append(cmd.Env, stepEnv(t, step, map[string]string{
				"workspaces.source.path": source, "params.environment": tc.env, "params.image-url": tc.image,
				"params.image-digest": tc.digest, "params.golden-dir": "examples/quickstart", "params.timeout": tc.timeout,
				"params.kb-image-url": "registry.example.com/ragline-kb:kb-0123456789ab", "params.kb-image-digest": kbDigest,
				"params.commit": "4f2e8d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e", "params.report": "examples/quickstart/gate.yaml",
			})...)
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.wantExit {
				t.Fatalf("exit %d, want %d\n%s", code, tc.wantExit, out)
			}
			// The release is recorded (baseline and promotion source) only when it rolled out.
			calls, _ := os.ReadFile(log)
			recorded := strings.Contains(string(calls), "create configmap ragline-release --from-literal=image-url=")
			if recorded != (tc.wantExit == 0) {
				t.Errorf("ragline-release recorded %v, want %v:\n%s", recorded, tc.wantExit == 0, calls)
			}
			if recorded && (!strings.Contains(string(calls), "--from-literal=kb-image-digest="+kbDigest) || !strings.Contains(string(calls), "--from-file=report.json=examples/quickstart/gate.yaml")) {
				t.Errorf("ragline-release lacks the KB digest or the report:\n%s", calls)
			}
			if tc.wantExit == 2 {
				return
			}
			k, err := os.ReadFile(log + ".kustomization")
			if err != nil {
				t.Fatalf("no kubectl apply -k: %v\n%s", err, out)
			}
			dir, _ := os.ReadFile(log + ".dir")
			var overlay string
			for _, l := range strings.Split(string(k), "\n") {
				if v, ok := strings.CutPrefix(l, "  - "); ok && overlay == "" {
					overlay = filepath.Join(strings.TrimSpace(string(dir)), v)
				}
			}
			if want := filepath.Join(source, "deploy/kubernetes/overlays", tc.env); overlay != want {
				t.Errorf("release kustomization names %q, want the overlay %q:\n%s", overlay, want, k)
			}
			wantName := tc.image[:strings.LastIndex(tc.image, ":")]
			if !strings.Contains(string(k), "newName: "+wantName+"\n") || !strings.Contains(string(k), "digest: "+digest) {
				t.Errorf("release kustomization does not pin %s@%s:\n%s", wantName, digest, k)
			}
			if !strings.Contains(string(k), "newName: registry.example.com/ragline-kb\n") || !strings.Contains(string(k), "digest: "+kbDigest) {
				t.Errorf("release kustomization does not pin the knowledge base:\n%s", k)
			}
			if tc.env == "prod" {
				if !strings.Contains(string(calls), "-n ragline-prod create configmap ragline-golden --from-file=examples/quickstart/golden.jsonl --from-file=examples/quickstart/gate.yaml") {
					t.Errorf("prod: golden set ConfigMap not refreshed:\n%s", calls)
				}
				if !strings.Contains(string(calls), "-n ragline-prod get rollout ragline") {
					t.Errorf("prod: did not wait for the Rollout:\n%s", calls)
				}
			} else if !strings.Contains(string(calls), "-n ragline-"+tc.env+" rollout status deployment/ragline") {
				t.Errorf("%s: did not wait for the Deployment:\n%s", tc.env, calls)
			}
		})
	}
}

// stepEnv resolves a step's env the way Tekton substitutes $(...) variables.
func stepEnv(t *testing.T, step pipelinev1.Step, vars map[string]string) []string {
	t.Helper()
	var env []string
	for _, e := range step.Env {
		v := e.Value
		for k, val := range vars {
			v = strings.ReplaceAll(v, "$("+k+")", val)
		}
		if strings.Contains(v, "$(") {
			t.Fatalf("env %s=%s: unresolved variable", e.Name, v)
		}
		env = append(env, e.Name+"="+v)
	}
	return env
}
