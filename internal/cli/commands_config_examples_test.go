package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExampleConfigsValidate runs `ragline config validate` on every
// model example, with the secrets they reference set.
func TestExampleConfigsValidate(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-example")
	t.Setenv("VLLM_API_KEY", "token-example")
	for _, name := range []string{"openai", "vllm", "ollama", "tei"} {
		file := filepath.Join("..", "..", "examples", name, "ragline.yaml")
		code, out, errOut := run(t, "config", "validate", file)
		if code != 0 || !strings.Contains(out, ": ok (digest ") {
			t.Errorf("%s: exit %d\n%s%s", file, code, out, errOut)
		}
	}
	// Without the secret, validation names the variable.
	os.Unsetenv("OPENAI_API_KEY") // restored by t.Setenv's cleanup
	code, _, errOut := run(t, "config", "validate", filepath.Join("..", "..", "examples", "openai", "ragline.yaml"))
	if code == 0 || !strings.Contains(errOut, "models.chat.api_key: environment variable OPENAI_API_KEY is not set") {
		t.Errorf("unset secret: exit %d\n%s", code, errOut)
	}
}
