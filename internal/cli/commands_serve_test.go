package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ragline/ragline/internal/schema"
)

// safetyBound caps every wait on a subprocess so a hung server fails the
// test instead of stalling the run. It bounds, it does not measure.
const safetyBound = 60 * time.Second

var servingLine = regexp.MustCompile(`^ragline: serving on http://(\S+) `)

// cliServer is a `ragline serve` or `ragline quickstart` subprocess.
type cliServer struct {
	t    testing.TB
	cmd  *exec.Cmd
	base string // http://HOST:PORT

	mu     sync.Mutex
	stderr bytes.Buffer // everything the process wrote on stderr
	done   chan struct{}
	err    error // from Wait, once done is closed
}

// startServer runs the CLI with args in a subprocess (the test binary
// re-executed as the real command line) and waits for its
// "ragline: serving on http://HOST:PORT" line.
func startServer(t testing.TB, args ...string) *cliServer {
	t.Helper()
	s := &cliServer{t: t, done: make(chan struct{})}
	s.cmd = exec.Command(os.Args[0], args...)
	s.cmd.Env = append(os.Environ(), "RAGLINE_CLI_MAIN=1")
	pipe, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		// Keep reading to the end so the server never blocks on a full pipe.
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.stderr.WriteString(line + "\n")
			s.mu.Unlock()
			if m := servingLine.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pipe)
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})

	select {
	case a := <-addr:
		host, port, err := net.SplitHostPort(a)
		if err != nil || host != "127.0.0.1" || port == "0" {
			t.Fatalf("serving on %q, want 127.0.0.1 and a bound port", a)
		}
		s.base = "http://" + a
	case <-s.done:
		t.Fatalf("%v exited before serving (%v):\n%s", args, s.err, s.log())
	case <-time.After(safetyBound):
		t.Fatalf("%v not serving after %v:\n%s", args, safetyBound, s.log())
	}
	return s
}

func (s *cliServer) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

var client = &http.Client{Timeout: safetyBound}

// chat posts a question to /v1/chat and decodes the response object.
func (s *cliServer) chat(question string) schema.Response {
	s.t.Helper()
	body, _ := json.Marshal(map[string]string{"message": question})
	resp, err := client.Post(s.base+"/v1/chat", "application/json", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("POST /v1/chat: %s: %s", resp.Status, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.t.Errorf("POST /v1/chat: Content-Type %q", ct)
	}
	var r schema.Response
	if err := json.Unmarshal(b, &r); err != nil {
		s.t.Fatalf("POST /v1/chat: %v\n%s", err, b)
	}
	return r
}

// get fetches path and returns the status code and body.
func (s *cliServer) get(path string) (int, string) {
	s.t.Helper()
	resp, err := client.Get(s.base + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// stop sends SIGTERM and checks the process exits with status 0.
func (s *cliServer) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(safetyBound):
		s.t.Fatalf("still running %v after SIGTERM:\n%s", safetyBound, s.log())
	}
	if s.err != nil {
		s.t.Fatalf("exit after SIGTERM: %v, want status 0:\n%s", s.err, s.log())
	}
}

// checkAnswer checks a response: an answer containing want, citations of
// source with markers, and the knowledge-base digest.
func checkAnswer(t *testing.T, r schema.Response, want, source, digest string) {
	t.Helper()
	if r.NoAnswer || !strings.Contains(r.Answer, want) {
		t.Errorf("answer %q (no_answer %v) lacks %q", r.Answer, r.NoAnswer, want)
	}
	if len(r.Citations) == 0 {
		t.Fatalf("no citations in %+v", r)
	}
	cited := false
	for _, c := range r.Citations {
		cited = cited || c.Source == source
		if marker := fmt.Sprintf("[%d]", c.Index); !strings.Contains(r.Answer, marker) {
			t.Errorf("answer lacks marker %s for citation %+v", marker, c)
		}
		if c.Text == "" || c.End <= c.Start {
			t.Errorf("citation [%d] has no text span: %+v", c.Index, c)
		}
	}
	if !cited {
		t.Errorf("no citation of %s: %+v", source, r.Citations)
	}
	if !hex64.MatchString(r.Digest) {
		t.Errorf("digest %q is not 64 hex digits", r.Digest)
	}
	if digest != "" && r.Digest != digest {
		t.Errorf("digest %s, want %s", r.Digest, digest)
	}
}

// TestServeSnapshot serves a snapshot read-only from a real process,
// answers over HTTP with the snapshot's digest and stops cleanly on
// SIGTERM.
func TestServeSnapshot(t *testing.T) {
	snap := filepath.Join(t.TempDir(), "kb.db")
	digest := buildSnapshot(t, snap, quickstartDocs)

	s := startServer(t, "serve", "--data", snap, "--read-only", "--addr", "127.0.0.1:0")
	if !strings.Contains(s.log(), "(kb digest "+digest[:12]+")") {
		t.Errorf("serving line does not show the snapshot digest %s:\n%s", digest[:12], s.log())
	}

	r := s.chat("How many weeks of paid parental leave does a primary caregiver get?")
	checkAnswer(t, r, "16 weeks", "vacation-and-leave.md", digest)

	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := s.get(path); code != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, code, body)
		}
	}
	code, body := s.get("/version")
	if code != http.StatusOK || !strings.Contains(body, `"kb_digest":"`+digest+`"`) {
		t.Errorf("GET /version: %d %s; want kb_digest %s", code, body, digest)
	}

	s.stop()
	if fi, err := os.Stat(snap); err != nil {
		t.Error(err)
	} else if fi.Mode().Perm()&0o222 != 0 {
		t.Errorf("snapshot mode %v after serving, want read-only", fi.Mode().Perm())
	}
	if code, out, errOut := run(t, "index", "verify", snap); code != ExitOK {
		t.Errorf("snapshot changed by serving: exit %d\n%s%s", code, out, errOut)
	}
}

// TestQuickstartServes runs quickstart as a real process: it ingests the
// example handbook and answers a Chinese question over HTTP.
func TestQuickstartServes(t *testing.T) {
	data := filepath.Join(t.TempDir(), "qs")
	s := startServer(t, "quickstart", "--data", data, "--docs", quickstartDocs, "--addr", "127.0.0.1:0")
	if !strings.Contains(s.log(), "ingest: 11 files (11 added") {
		t.Errorf("quickstart did not ingest the 11 example documents:\n%s", s.log())
	}

	r := s.chat("每周最多可以远程办公几天？")
	checkAnswer(t, r, "三天", "remote-work-policy-zh.md", "")
	if code, body := s.get("/readyz"); code != http.StatusOK {
		t.Errorf("GET /readyz: %d %s", code, body)
	}
	s.stop()

	// The knowledge base stays behind and answers from the command line.
	code, out, errOut := run(t, "ask", "--data", data, "每周最多可以远程办公几天？")
	if code != ExitOK || !strings.Contains(out, "三天") {
		t.Errorf("ask on the quickstart knowledge base: exit %d\n%s%s", code, out, errOut)
	}
}

// TestQuickstartNoServe checks quickstart's exits without serving.
func TestQuickstartNoServe(t *testing.T) {
	cases := []struct {
		name string
		docs string
		code int
		msg  string
	}{
		{"example documents", quickstartDocs, ExitOK, "ingest: 11 files (11 added"},
		{"missing documents", "/nonexistent", ExitUsage, "example documents not found at /nonexistent"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "qs")
			code, _, errOut := run(t, "quickstart", "--no-serve", "--data", data, "--docs", c.docs)
			if code != c.code {
				t.Fatalf("exit %d, want %d:\n%s", code, c.code, errOut)
			}
			if !strings.Contains(errOut, c.msg) {
				t.Errorf("stderr lacks %q:\n%s", c.msg, errOut)
			}
			_, err := os.Stat(data)
			if exists := err == nil; exists != (c.code == ExitOK) {
				t.Errorf("knowledge base %s exists=%v after exit %d", data, exists, code)
			}
		})
	}
}
