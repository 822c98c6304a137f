package cli

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// serverSessions counts the conversations GET /v1/sessions lists on an
// open-mode server.
func serverSessions(t *testing.T, base string) int {
	t.Helper()
	resp, err := http.Get(base + "/v1/sessions")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Sessions []json.RawMessage `json:"sessions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /v1/sessions: %d %v", resp.StatusCode, err)
	}
	return len(out.Sessions)
}

// TestBenchHTTPTarget loads a running server from a folder outside the
// repository: the built-in questions are used, every request succeeds and
// the server keeps no conversation for them. A questions file that does
// not exist is a usage error naming the flag.
func TestBenchHTTPTarget(t *testing.T) {
	data := filepath.Join(t.TempDir(), "kb")
	s := startServer(t, "quickstart", "--data", data, "--docs", quickstartDocs, "--addr", "127.0.0.1:0")
	elsewhere := t.TempDir()
	code, out, errOut := runIn(t, elsewhere, "bench", "http", "--target", s.base, "--concurrency", "2", "--duration", "500ms")
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s\n%s", code, errOut, s.log())
	}
	var res HTTPBench
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if res.Questions != 18 || len(res.Levels) != 1 || res.Levels[0].Requests == 0 || res.Levels[0].Errors != 0 {
		t.Errorf("result %+v: want the 18 built-in questions asked without errors", res)
	}
	if n := serverSessions(t, s.base); n != 0 {
		t.Errorf("bench http left %d conversations on the server", n)
	}
	s.stop()

	code, _, errOut = runIn(t, elsewhere, "bench", "http", "--questions", "examples/quickstart/questions.jsonl")
	if code != ExitUsage || !strings.Contains(errOut, "--questions") || !strings.Contains(errOut, "examples/quickstart/questions.jsonl") {
		t.Errorf("missing questions file: exit %d, want 2 naming the flag and the file:\n%s", code, errOut)
	}
}
