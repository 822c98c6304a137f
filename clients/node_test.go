package clients

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ragline/ragline/internal/model/modeltest"
)

// nodeDir is the Node.js test package; its packages are installed from
// the lockfile by `npm ci` (.ci/run does it).
const nodeDir = "testdata/node"

// parkingDoc and badgesDoc are the knowledge base both servers answer
// from.
const (
	parkingDoc = "# Parking\n\nParking is free for employees on level two of the garage.\n\nVisitors pay five dollars per day.\n"
	badgesDoc  = "# Badges\n\nLost badges cost twenty dollars to replace at the front desk.\n"
)

// TestNodeClients runs `node --test` in testdata/node against two real
// `ragline serve` processes: one offline (extractive answers), one whose
// answers and embeddings come from a scripted OpenAI-wire model server.
func TestNodeClients(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is needed for the client tests (Node.js 20 or later): ", err)
	}
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "openai")); err != nil {
		t.Fatalf("the Node.js packages are not installed: run `npm ci` in clients/%s (.ci/run does)", nodeDir)
	}
	bin := buildRagline(t)
	upstream := scriptedModel(t)

	docs := t.TempDir()
	for name, text := range map[string]string{"parking.md": parkingDoc, "badges.md": badgesDoc} {
		if err := os.WriteFile(filepath.Join(docs, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	offline := startServe(t, bin, "", docs)
	llmConfig := fmt.Sprintf(`models:
  chat: {provider: openai, base_url: %s/v1, model: scripted-chat, max_retries: 0}
  embedding: {provider: openai, base_url: %s/v1, model: scripted-embed, dimensions: 8, max_retries: 0}
generator: {kind: llm, fallback: none}
`, upstream.URL, upstream.URL)
	llm := startServe(t, bin, llmConfig, docs)

	// The Node tests read what the model server received from here.
	requests := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(upstream.Requests())
	}))
	t.Cleanup(requests.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec")
	cmd.Dir = nodeDir
	cmd.Env = append(os.Environ(),
		"RAGLINE_OFFLINE_URL="+offline, "RAGLINE_LLM_URL="+llm, "MODEL_REQUESTS_URL="+requests.URL,
		"LANGCHAIN_TRACING_V2=false", "LANGSMITH_TRACING=false", "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	// Every test file ran and none was skipped or left to do.
	summary := string(out)
	for _, want := range []*regexp.Regexp{regexp.MustCompile(`(?m)^ℹ fail 0$`), regexp.MustCompile(`(?m)^ℹ skipped 0$`), regexp.MustCompile(`(?m)^ℹ todo 0$`)} {
		if !want.MatchString(summary) {
			t.Errorf("node --test summary lacks %q:\n%s", want, summary)
		}
	}
	if m := regexp.MustCompile(`(?m)^ℹ pass (\d+)$`).FindStringSubmatch(summary); m == nil || m[1] == "0" {
		t.Errorf("no Node test passed:\n%s", summary)
	}
	t.Logf("node --test:\n%s", out)
}

// buildRagline builds the static binary into a temporary folder.
func buildRagline(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("the go command is needed to build ragline: ", err)
	}
	bin := filepath.Join(t.TempDir(), "ragline")
	cmd := exec.Command(goBin, "build", "-o", bin, "../cmd/ragline")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startServe ingests docs into a new knowledge base and serves it on a
// random loopback port; it returns the base URL.
func startServe(t *testing.T, bin, config, docs string) string {
	t.Helper()
	dir := t.TempDir()
	args := []string{"--data", filepath.Join(dir, "kb")}
	if config != "" {
		path := filepath.Join(dir, "ragline.yaml")
		if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--config", path)
	}
	if out, err := exec.Command(bin, append([]string{"ingest", docs}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("ragline ingest: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	var mu sync.Mutex
	addr := make(chan string, 1)
	done := make(chan struct{})
	serving := regexp.MustCompile(`serving on (http://\S+)`)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := serving.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			mu.Lock()
			t.Logf("ragline serve log:\n%s", log.String())
			mu.Unlock()
		}
	})
	select {
	case a := <-addr:
		return strings.TrimSuffix(a, "/")
	case <-done:
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("ragline serve exited:\n%s", log.String())
	case <-time.After(2 * time.Minute):
		t.Fatal("ragline serve did not start listening")
	}
	return ""
}

// scriptedModel answers like a chat model that follows ragline's prompt,
// and like a real server honours max_tokens and stop:
//   - asked to rewrite a follow-up, it returns the question as it is;
//   - with tool results in the conversation, it answers from them and
//     cites source 1;
//   - offered tools (and not told "none"), it calls the first one;
//   - asked for JSON, it answers with a JSON object citing source 1;
//   - otherwise it answers from the numbered sources, or says it does
//     not know when there are none.
func scriptedModel(t *testing.T) *modeltest.Server {
	m := modeltest.New(t)
	m.Chat = func(r modeltest.ChatRequest) modeltest.Reply {
		hasSources := strings.Contains(r.Last(), "[1] ")
		toolResult := ""
		for _, msg := range r.Messages {
			if msg.Role == "tool" {
				toolResult = msg.Content
			}
		}
		var rep modeltest.Reply
		switch {
		case strings.HasPrefix(r.Last(), "Rewrite the last question"):
			// The follow-up rewrite: the last question as it stands.
			_, q, _ := strings.Cut(r.Last(), "Last question: ")
			rep.Text = strings.TrimSpace(q)
			return rep
		case toolResult != "":
			rep.Text = "The weather tool says " + toolResult + ". Parking is free for employees [1]."
		case len(r.Tools) > 0 && string(r.ToolChoice) != `"none"`:
			var tool struct {
				Function struct{ Name string } `json:"function"`
			}
			_ = json.Unmarshal(r.Tools[0], &tool)
			rep.ToolCalls = []modeltest.ToolCall{modeltest.Call("call_weather_1", tool.Function.Name, `{"city":"Paris"}`)}
			return rep
		case r.ResponseFormat != nil && r.ResponseFormat.Type != "text":
			rep.Text = `{"answer":"Parking is free for employees [1].","free":true}`
		case hasSources:
			rep.Text = "Parking is free for employees on level two of the garage [1]. Visitors pay five dollars per day [1]."
		default:
			rep.Text = "I do not know."
		}
		for _, s := range r.Stop {
			if i := strings.Index(rep.Text, s); i >= 0 {
				rep.Text = rep.Text[:i]
			}
		}
		if w := strings.Fields(rep.Text); r.MaxTokens > 0 && len(w) > r.MaxTokens {
			rep.Text, rep.FinishReason = strings.Join(w[:r.MaxTokens], " "), "length"
		}
		return rep
	}
	m.Embed = func(text string) []float32 {
		v := make([]float32, 8)
		for _, w := range strings.Fields(strings.ToLower(text)) {
			h := fnv.New32a()
			h.Write([]byte(w))
			v[h.Sum32()%8]++
		}
		return v
	}
	return m
}
