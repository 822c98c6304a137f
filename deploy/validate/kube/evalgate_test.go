package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startServe runs `ragline serve` on loopback with the knowledge base built
// from sources and one chat-scoped API key; it returns the base URL.
func startServe(t *testing.T, hash string, sources ...string) string {
	t.Helper()
	dir := t.TempDir()
	addr := freePort(t)
	cfg := filepath.Join(dir, "ragline.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("server:\n  addr: %s\n  keys:\n    - name: eval\n      hash: %s\n      scopes: [chat]\n", addr, hash)), 0o644)
	kb := filepath.Join(dir, "kb.ragline")
	args := append([]string{"index", "build", "--config", cfg, "--out", kb}, sources...)
	if out, err := exec.Command(raglineBin, args...).CombinedOutput(); err != nil {
		t.Fatalf("ragline index build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, raglineBin, "serve", "--config", cfg, "--data", kb, "--read-only")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	base := "http://" + addr
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("ragline serve not ready: %v\n%s", err, logs.String())
		}
	}
}

var hashLine = regexp.MustCompile(`hash: (sha256:[0-9a-f]{64})`)

// TestEvalGateJob runs the evaluation gate Job's container, exactly as the
// prod AnalysisTemplate declares it (image entrypoint ragline, its args and
// env, /eval holding the golden set of the ConfigMap the deploy step makes),
// against real canaries on loopback: a healthy one passes the gate (exit 0:
// the Job succeeds, the measurement is Successful) and one whose knowledge
// base lost most documents fails it (exit 1: the Job fails, and with
// failureLimit 0 the rollout aborts).
func TestEvalGateJob(t *testing.T) {
	p := renderProd(t)
	resolved, err := ResolveWorkloadRef(p.rollout, p.deployment)
	if err != nil {
		t.Fatal(err)
	}
	var gateArgs []string
	for _, s := range resolved.Spec.Strategy.Canary.Steps {
		if s.Analysis == nil {
			continue
		}
		metrics, err := ResolveAnalysis(resolved, p.templates[s.Analysis.Templates[0].TemplateName], s.Analysis.Args, "stable0", "canary1", nil)
		if err != nil {
			t.Fatal(err)
		}
		gateArgs = metrics[0].Provider.Job.Spec.Template.Spec.Containers[0].Args
	}
	if len(gateArgs) == 0 || gateArgs[0] != "eval" {
		t.Fatalf("gate Job args %q", gateArgs)
	}

	// The API key: created like an operator would; the hash goes into the config, the key into the Secret.
	var keyOut, entry bytes.Buffer
	create := exec.Command(raglineBin, "keys", "create", "--name", "eval", "--scope", "chat")
	create.Stdout, create.Stderr = &keyOut, &entry
	if err := create.Run(); err != nil {
		t.Fatalf("ragline keys create: %v\n%s", err, entry.String())
	}
	key := strings.TrimSpace(keyOut.String())
	m := hashLine.FindStringSubmatch(entry.String())
	if key == "" || m == nil {
		t.Fatalf("ragline keys create printed no key or hash:\n%s\n%s", keyOut.String(), entry.String())
	}

	// /eval: the ConfigMap ragline-golden, as the deploy step creates it.
	evalDir := t.TempDir()
	for _, f := range []string{"golden.jsonl", "gate.yaml"} {
		b, err := os.ReadFile(filepath.Join(repo, "examples/quickstart", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(evalDir, f), b, 0o644)
	}
	docs, err := filepath.Abs(filepath.Join(repo, "examples/quickstart/docs"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		sources []string
		exit    int
		passed  string
	}{
		{"healthy canary", []string{docs}, 0, "true"},
		{"canary that lost documents", []string{filepath.Join(docs, "code-of-conduct.txt")}, 1, "false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := startServe(t, m[1], tc.sources...)
			tmp := t.TempDir()
			var args []string
			for _, a := range gateArgs {
				switch {
				case strings.Contains(a, "http://ragline-canary:8080"):
					a = strings.Replace(a, "http://ragline-canary:8080", base, 1)
				case strings.Contains(a, "=/eval/"):
					a = strings.Replace(a, "=/eval/", "="+evalDir+"/", 1)
				case strings.Contains(a, "=/tmp/"):
					a = strings.Replace(a, "=/tmp/", "="+tmp+"/", 1)
				}
				args = append(args, a)
			}
			cmd := exec.Command(raglineBin, args...)
			cmd.Env = append(os.Environ(), "RAGLINE_API_KEY="+key)
			out, err := cmd.CombinedOutput()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.exit {
				t.Fatalf("ragline %s: exit %d, want %d\n%s", strings.Join(args, " "), code, tc.exit, out)
			}
			passed, err := os.ReadFile(filepath.Join(tmp, "results", "passed"))
			if err != nil {
				t.Fatalf("no results/passed: %v\n%s", err, out)
			}
			if strings.TrimSpace(string(passed)) != tc.passed {
				t.Errorf("passed = %q, want %q", passed, tc.passed)
			}
		})
	}
}
