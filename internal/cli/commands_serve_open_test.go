package cli

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ragline/ragline/internal/server"
)

// linesBeforeServing runs the CLI with args in a subprocess and returns
// what it wrote on stderr up to and including its serving line, then
// stops it.
func linesBeforeServing(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "RAGLINE_CLI_MAIN=1")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type result struct {
		log     string
		serving bool
	}
	got := make(chan result, 1)
	go func() {
		var b strings.Builder
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			b.WriteString(sc.Text() + "\n")
			if servingLine.MatchString(sc.Text()) {
				got <- result{b.String(), true}
				_, _ = io.Copy(io.Discard, pipe)
				return
			}
		}
		got <- result{b.String(), false}
	}()
	var r result
	select {
	case r = <-got:
	case <-time.After(safetyBound):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("%v not serving after %v", args, safetyBound)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(safetyBound):
		_ = cmd.Process.Kill()
		<-done
	}
	if !r.serving {
		t.Fatalf("%v exited before serving:\n%s", args, r.log)
	}
	return r.log
}

// TestServeOpenModeWarning checks what serve says about API keys before
// its serving line: a warning when nothing guards an address other
// machines reach, a note on loopback, nothing once a key is configured.
func TestServeOpenModeWarning(t *testing.T) {
	dir := t.TempDir()
	keyed := filepath.Join(dir, "keyed.yaml")
	keyedYAML := "server:\n  keys:\n    - name: ops\n      hash: " + server.HashKey("rl_test-key") + "\n      scopes: [admin]\n"
	legacy := filepath.Join(dir, "legacy.yaml")
	for path, body := range map[string]string{keyed: keyedYAML, legacy: "server:\n  api_key: legacy-secret\n"} {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const warning = "WARNING: no API keys configured and listening on 0.0.0.0:"
	const note = "open local mode"
	cases := []struct {
		name    string
		args    []string
		want    string // "" when neither the warning nor the note may appear
		notWant string
	}{
		{"open, all interfaces", []string{"--addr", "0.0.0.0:0"}, warning, note},
		{"open, loopback", []string{"--addr", "127.0.0.1:0"}, note, "WARNING"},
		{"keys, all interfaces", []string{"--addr", "0.0.0.0:0", "--config", keyed}, "", ""},
		{"legacy api_key, all interfaces", []string{"--addr", "0.0.0.0:0", "--config", legacy}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"serve", "--data", filepath.Join(t.TempDir(), "kb")}, c.args...)
			log := linesBeforeServing(t, args...)
			switch {
			case c.want != "" && !strings.Contains(log, c.want):
				t.Errorf("stderr lacks %q before the serving line:\n%s", c.want, log)
			case c.notWant != "" && strings.Contains(log, c.notWant):
				t.Errorf("stderr has %q:\n%s", c.notWant, log)
			case c.want == "" && (strings.Contains(log, "WARNING") || strings.Contains(log, note)):
				t.Errorf("open-mode notice with a key configured:\n%s", log)
			}
			if c.want == warning && !strings.Contains(log, "anyone who can reach this address can read and change the knowledge base") {
				t.Errorf("warning does not say what is at stake:\n%s", log)
			}
		})
	}
}
