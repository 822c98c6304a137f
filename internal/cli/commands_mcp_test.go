package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ragline/ragline/internal/server"
)

// quickstartKB ingests the quick-start documents into a fresh directory.
func quickstartKB(t *testing.T) string {
	t.Helper()
	data := t.TempDir()
	if code, _, stderr := run(t, "ingest", "--data", data, "../../examples/quickstart/docs"); code != 0 {
		t.Fatalf("ingest: %d %s", code, stderr)
	}
	return data
}

// selfCommand runs this test binary as the ragline command line.
func selfCommand(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "RAGLINE_CLI_MAIN=1")
	return cmd
}

func callTool(t *testing.T, s *sdk.ClientSession, name string, args any) *sdk.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := s.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	return res
}

func text(res *sdk.CallToolResult) string {
	var out []string
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			out = append(out, tc.Text)
		}
	}
	return strings.Join(out, "\n")
}

// checkRagline lists and calls the tools of a ragline MCP server.
func checkRagline(t *testing.T, s *sdk.ClientSession) {
	t.Helper()
	var names []string
	for tl, err := range s.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, tl.Name)
	}
	if strings.Join(names, ",") != "ask,search_documents" {
		t.Errorf("tools %v, want ask and search_documents", names)
	}
	res := callTool(t, s, "ask", map[string]any{"question": "what is 17*23+4"})
	if res.IsError || !strings.Contains(text(res), "395") {
		t.Errorf("ask: %v %s", res.IsError, text(res))
	}
	b, _ := json.Marshal(res.StructuredContent)
	if !strings.Contains(string(b), `"tool":"calculator"`) {
		t.Errorf("the structured answer's trace does not name the calculator: %s", b)
	}
	res = callTool(t, s, "ask", map[string]any{"question": "How many weeks of paid parental leave does a primary caregiver get?"})
	if res.IsError || !strings.Contains(text(res), "Sources:\n[1]") {
		t.Errorf("ask with citations: %s", text(res))
	}
	res = callTool(t, s, "search_documents", map[string]any{"query": "parental leave", "top_k": 2})
	if res.IsError || strings.Count(text(res), `"rank"`) != 2 {
		t.Errorf("search_documents: %s", text(res))
	}
	res = callTool(t, s, "search_documents", map[string]any{"top_k": 2})
	if !res.IsError || !strings.Contains(text(res), "query") {
		t.Errorf("search_documents without a query must fail naming it: %s", text(res))
	}
	res = callTool(t, s, "ask", map[string]any{"question": ""})
	if !res.IsError || !strings.Contains(text(res), "question") {
		t.Errorf("empty question must fail naming it: %s", text(res))
	}
}

// TestMCPServeStdio starts `ragline mcp serve` as a real process and
// speaks MCP to it over stdio.
func TestMCPServeStdio(t *testing.T) {
	data := quickstartKB(t)
	cmd := selfCommand("mcp", "serve", "--config", "../../examples/agent/ragline.yaml", "--data", data)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, &sdk.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkRagline(t, s)
}

// bearerTransport adds a bearer key to every request.
type bearerTransport struct{ key string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return http.DefaultTransport.RoundTrip(r)
}

// TestMCPServeHTTP starts `ragline mcp serve --http` as a real process
// with an API key configured and speaks streamable HTTP to it.
func TestMCPServeHTTP(t *testing.T) {
	data := quickstartKB(t)
	const key = "rl_mcp-test-key-0123456789abcdef0123"
	cfgFile := filepath.Join(t.TempDir(), "ragline.yaml")
	example, err := os.ReadFile("../../examples/agent/ragline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	keys := fmt.Sprintf("server:\n  keys:\n    - {name: mcp, hash: %q, scopes: [chat]}\n", server.HashKey(key))
	if err := os.WriteFile(cfgFile, append(example, keys...), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := selfCommand("mcp", "serve", "--config", cfgFile, "--data", data, "--http", "127.0.0.1:0")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`MCP on (http://\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	var url string
	select {
	case url = <-addr:
	case <-time.After(60 * time.Second):
		t.Fatal("mcp serve --http did not start")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, nil)
	if _, err := client.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: url, MaxRetries: -1}, nil); err == nil {
		t.Error("connected without a key")
	}
	// The refusal is counted as the API's are, at the server's /metrics.
	resp, err := http.Get(strings.TrimSuffix(url, "/mcp") + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !regexp.MustCompile(`(?m)^ragline_auth_failures_total\{reason="missing"\} [1-9]`).Match(m) {
		t.Errorf("the refused request was not counted:\n%s", m)
	}
	s, err := client.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: url, MaxRetries: -1,
		HTTPClient: &http.Client{Transport: bearerTransport{key}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkRagline(t, s)
}

// TestMCPClientImportsTools configures another ragline process as an MCP
// server: its tools are imported as peer_ask and peer_search_documents,
// a rule calls one, and /v1/invoke-style calls go through the registry.
func TestMCPClientImportsTools(t *testing.T) {
	data := quickstartKB(t)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "ragline.yaml")
	yaml := fmt.Sprintf(`mcp:
  servers:
    - name: peer
      command: [%q, "mcp", "serve", "--data", %q]
      timeout: 60s
agent:
  rules:
    - name: ask-peer
      when: {keywords: ["ask the peer"]}
      action: tool
      tool: peer_search_documents
      arguments: {query: "parental leave primary caregiver", top_k: 3}
      answer: '{{range .Result.hits}}{{.source}};{{end}}'
`, os.Args[0], data)
	if err := os.WriteFile(cfgFile, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RAGLINE_CLI_MAIN", "1") // the configured command is this test binary
	code, stdout, stderr := run(t, "ask", "--config", cfgFile, "--data", data, "--json", "ask the peer about leave")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var resp struct {
		Answer string `json:"answer"`
		Trace  []struct {
			Step   string         `json:"step"`
			Detail map[string]any `json:"detail"`
		} `json:"trace"`
	}
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil {
		t.Fatal(err)
	}
	if strings.Count(resp.Answer, ";") != 3 || !strings.Contains(resp.Answer, ".") {
		t.Errorf("answer %q, want three sources from the peer", resp.Answer)
	}
	var called bool
	for _, st := range resp.Trace {
		if st.Step == "tool" && st.Detail["tool"] == "peer_search_documents" && st.Detail["outcome"] == "ok" {
			called = true
		}
	}
	if !called {
		t.Errorf("trace does not show the imported tool: %+v", resp.Trace)
	}
}
