package tekton

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	triggersv1beta1 "github.com/tektoncd/triggers/pkg/apis/triggers/v1beta1"
)

// TestBadFixtures proves each validator rejects broken input with the
// expected message: testdata/*.bad.yaml name their validator (strict
// decoding, tekton = SetDefaults+Validate of Pipelines or Triggers, rules =
// the catalog rules) and a part of the message.
func TestBadFixtures(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(paths) == 0 {
		t.Fatal("no testdata/*.bad.yaml")
	}
	seen := map[string]bool{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var validator, want string
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "# validator: "); ok {
				validator = v
			}
			if v, ok := strings.CutPrefix(sc.Text(), "# want: "); ok {
				want = v
			}
		}
		seen[validator] = true
		t.Run(filepath.Base(p), func(t *testing.T) {
			var msg string
			objs, err := DecodeAll(b, p)
			switch validator {
			case "strict":
				if err != nil {
					msg = err.Error()
				}
			case "tekton", "rules":
				if err != nil {
					t.Fatalf("fixture must decode: %v", err)
				}
				for _, o := range objs {
					if validator == "tekton" {
						if err := Validate(o.Typed); err != nil {
							msg += err.Error() + "\n"
						}
						continue
					}
					if err := Validate(o.Typed); err != nil {
						t.Fatalf("rules fixture must pass Tekton's validation: %v", err)
					}
					msg += strings.Join(StepRules(p, &o.Typed.(*pipelinev1.Task).Spec), "\n")
				}
			case "cel", "binding", "contract", "pvc", "fsgroup":
				if err != nil {
					t.Fatalf("fixture must decode: %v", err)
				}
				msg = deliveryRejection(t, validator, objs)
			default:
				t.Fatalf("unknown validator %q", validator)
			}
			if msg == "" {
				t.Fatalf("%s validator accepted %s", validator, p)
			}
			if !strings.Contains(msg, want) {
				t.Errorf("rejected, but the message lacks %q:\n%s", want, msg)
			}
		})
	}
	for _, v := range []string{"strict", "tekton", "rules", "cel", "binding", "contract", "pvc", "fsgroup"} {
		if !seen[v] {
			t.Errorf("no fixture for %s", v)
		}
	}
}

// deliveryRejection runs the delivery checks on a fixture's objects: CEL
// filters on a push and a pull request payload, bindings on a pull
// request payload, catalog contracts, one PVC per TaskRun, git-clone's fsGroup.
func deliveryRejection(t *testing.T, validator string, objs []Object) string {
	t.Helper()
	var msgs []string
	var pipeline *pipelinev1.Pipeline
	var runs []*pipelinev1.PipelineRun
	for _, o := range objs {
		switch v := o.Typed.(type) {
		case *triggersv1beta1.EventListener:
			for trigger, f := range celFilters(v) {
				for _, pl := range []struct{ file, event string }{{"push-main.json", "push"}, {"pull_request-member-opened.json", "pull_request"}} {
					if _, err := CELFilter(f, payload(t, pl.file), pl.event); err != nil {
						msgs = append(msgs, trigger+": "+err.Error())
					}
				}
			}
		case *triggersv1beta1.TriggerBinding:
			msgs = append(msgs, BindingProblems(v, nil, payload(t, "pull_request-member-opened.json"), "pull_request")...)
		case *pipelinev1.Pipeline:
			pipeline = v
		case *pipelinev1.PipelineRun:
			runs = append(runs, v)
		}
	}
	switch validator {
	case "contract":
		contracts, err := LoadContracts(filepath.Join(tektonDir, "hub-contracts.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, ContractProblems(pipeline, contracts)...)
	case "pvc", "fsgroup":
		for _, pr := range runs {
			if validator == "pvc" {
				msgs = append(msgs, PVCProblems(pr, pipeline)...)
			} else {
				msgs = append(msgs, GitCloneFSGroup(pr, pipeline)...)
			}
		}
	}
	return strings.Join(msgs, "\n")
}
