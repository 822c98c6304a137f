package tekton

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
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
	for _, v := range []string{"strict", "tekton", "rules"} {
		if !seen[v] {
			t.Errorf("no fixture for %s", v)
		}
	}
}
