package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/model/modeltest"
)

// TestAskModelErrors checks that a failing model server reaches the user
// as a clear message (and exit status), and that with the extractive
// fallback the question is still answered.
func TestAskModelErrors(t *testing.T) {
	model := modeltest.New(t)
	model.Chat = func(modeltest.ChatRequest) modeltest.Reply {
		return modeltest.Reply{Status: 404, Body: `{"error":{"message":"model \"llama9\" not found, try pulling it first","type":"api_error"}}`}
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "kb")
	write := func(name, fallback string) string {
		p := filepath.Join(dir, name)
		cfg := fmt.Sprintf("models:\n  chat: {provider: openai, base_url: %s/v1, model: llama9}\ngenerator: {kind: llm, fallback: %s}\n", model.URL, fallback)
		if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	strict, lenient := write("strict.yaml", "none"), write("lenient.yaml", "extractive")
	if code, _, errOut := run(t, "ingest", "--config", strict, "--data", data, "../../examples/quickstart/docs"); code != 0 {
		t.Fatalf("ingest: %d %s", code, errOut)
	}
	code, _, errOut := run(t, "ask", "--config", strict, "--data", data, "How many days of paid vacation do full-time employees get?")
	if code == 0 || !strings.Contains(errOut, `openai model llama9: HTTP 404: model "llama9" not found, try pulling it first`) {
		t.Errorf("strict: exit %d, stderr %q", code, errOut)
	}
	code, out, errOut := run(t, "ask", "--config", lenient, "--data", data, "--json", "How many days of paid vacation do full-time employees get?")
	if code != 0 || !strings.Contains(out, `"fallback_from": "llm"`) || !strings.Contains(out, `HTTP 404`) {
		t.Errorf("lenient: exit %d, stdout %.300s, stderr %q", code, out, errOut)
	}
}
