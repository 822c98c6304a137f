package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/server"
)

// createKey runs keys create and returns the key from stdout and the
// entry parsed from the YAML snippet on stderr.
func createKey(t *testing.T, args ...string) (string, config.APIKey, string) {
	t.Helper()
	code, out, errOut := run(t, append([]string{"keys", "create"}, args...)...)
	if code != ExitOK {
		t.Fatalf("keys create %v: exit %d\n%s", args, code, errOut)
	}
	var entries []config.APIKey
	if err := yaml.Unmarshal([]byte(errOut), &entries); err != nil || len(entries) != 1 {
		t.Fatalf("stderr is not one server.keys entry (%v):\n%s", err, errOut)
	}
	return strings.TrimSuffix(out, "\n"), entries[0], errOut
}

func TestKeysCreate(t *testing.T) {
	key, entry, snippet := createKey(t, "--name", "support-bot", "--scope", "chat,ingest", "--collection", "handbook,hr")
	if strings.ContainsAny(key, " \n\t") || len(key) < 32 || !strings.HasPrefix(key, "rl_") {
		t.Errorf("key %q: want one rl_ token of at least 32 characters", key)
	}
	sum := sha256.Sum256([]byte(key))
	if want := "sha256:" + hex.EncodeToString(sum[:]); entry.Hash != want {
		t.Errorf("hash %s, want sha256 of the printed key %s", entry.Hash, want)
	}
	if strings.Contains(snippet, key) {
		t.Error("the YAML snippet contains the key itself")
	}
	if entry.Name != "support-bot" || !slices.Equal(entry.Scopes, []string{"chat", "ingest"}) || !slices.Equal(entry.Collections, []string{"handbook", "hr"}) {
		t.Errorf("entry %+v", entry)
	}

	other, otherEntry, _ := createKey(t, "--name", "support-bot", "--scope", "chat")
	// The command as documented: no name, one is derived from the hash.
	_, unnamed, _ := createKey(t, "--scope", "chat,ingest")
	if !strings.HasPrefix(unnamed.Name, "key-") || len(unnamed.Name) != 12 {
		t.Errorf("derived name %q", unnamed.Name)
	}
	if other == key || otherEntry.Hash == entry.Hash {
		t.Error("two runs made the same key")
	}
	if otherEntry.Collections != nil {
		t.Errorf("collections %v without --collection", otherEntry.Collections)
	}

	code, out, errOut := runStdin(t, key+"\n", "keys", "hash")
	if code != ExitOK || strings.TrimSpace(out) != entry.Hash {
		t.Errorf("keys hash of the created key: exit %d, %q, want %s\n%s", code, out, entry.Hash, errOut)
	}
}

func TestKeysCreateErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"bad scope", []string{"--name", "x", "--scope", "chat,read"}, `unknown scope "read"`},
		{"no scope", []string{"--name", "x"}, "--scope is required"},
		{"bad collection", []string{"--name", "x", "--scope", "chat", "--collection", "../etc"}, `invalid collection name "../etc"`},
		{"argument", []string{"--name", "x", "--scope", "chat", "extra"}, "unknown command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := run(t, append([]string{"keys", "create"}, c.args...)...)
			if code != ExitUsage || out != "" || !strings.Contains(errOut, c.msg) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, no key, %q", code, out, errOut, ExitUsage, c.msg)
			}
		})
	}
}

func TestKeysHash(t *testing.T) {
	cases := []struct {
		name, stdin string
		code        int
		out         string
	}{
		{"key", "abc", ExitOK, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"},
		{"trailing newline and spaces", "  abc \r\n", ExitOK, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"},
		{"first line only", "abc\nsecond\n", ExitOK, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"},
		{"empty", "", ExitUsage, ""},
		{"blank line", "\n", ExitUsage, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runStdin(t, c.stdin, "keys", "hash")
			if code != c.code || out != c.out {
				t.Errorf("exit %d, %q, want exit %d, %q\n%s", code, out, c.code, c.out, errOut)
			}
		})
	}
}

// TestKeysCreatedKeyIsAccepted pastes the snippet of keys create into a
// configuration and calls the API with the key.
func TestKeysCreatedKeyIsAccepted(t *testing.T) {
	key, _, snippet := createKey(t, "--name", "reader", "--scope", "chat")
	var indented strings.Builder
	for _, line := range strings.SplitAfter(snippet, "\n") {
		if line != "" {
			indented.WriteString("    " + line)
		}
	}
	path := filepath.Join(t.TempDir(), "ragline.yaml")
	if err := os.WriteFile(path, []byte("server:\n  keys:\n"+indented.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("configuration with the pasted snippet: %v", err)
	}
	k, err := kb.Open(context.Background(), cfg, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	srv := httptest.NewServer(server.New(k, server.Options{Config: cfg}))
	defer srv.Close()
	for _, c := range []struct {
		key  string
		code int
	}{{key, http.StatusOK}, {key + "x", http.StatusUnauthorized}} {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/collections", nil)
		req.Header.Set("Authorization", "Bearer "+c.key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("GET /v1/collections with key %q: %d, want %d", c.key, resp.StatusCode, c.code)
		}
	}
}

// runStdin executes the CLI in-process with stdin.
func runStdin(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}
