package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// hex64 matches a sha256 digest in hex.
var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// writeFile creates path (and its folder) with content.
func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// configDigest returns the config_digest `version --json` reports for
// the given global arguments.
func configDigest(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, append(args, "version", "--json")...)
	if code != ExitOK {
		t.Fatalf("version --json %v: exit %d: %s", args, code, errOut)
	}
	var v VersionInfo
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("version --json: %v\n%s", err, out)
	}
	return v.ConfigDigest
}

// TestConfigValidate checks that a good file is accepted with its digest and
// that every problem of a bad file is reported at once, one per line, as
// file:line:col: field.path: message.
func TestConfigValidate(t *testing.T) {
	// A problem line: file:line:col: field.path: message.
	problemLine := regexp.MustCompile(`^(.+):(\d+):(\d+): ([a-z0-9_.\[\]]+): (.+)$`)
	cases := []struct {
		name string
		yaml string
		// want lists the expected problem lines with FILE standing for the
		// file's path; nil means the file is valid.
		want []string
	}{
		{
			name: "good",
			yaml: "collection: handbook\nchunker:\n  size: 256\n  overlap: 32\nretrieval:\n  top_k: 5\nserver:\n  addr: 127.0.0.1:9090\n",
		},
		{
			name: "empty file is all defaults",
			yaml: "# nothing set\n",
		},
		{
			name: "unknown key and wrong type",
			yaml: "chunker:\n  overlpa: 5\nretrieval:\n  top_k: many\n",
			want: []string{
				`FILE:2:3: chunker.overlpa: unknown field (did you mean "overlap"?)`,
				"FILE:4:10: retrieval.top_k: want an integer",
			},
		},
		{
			name: "out-of-range values",
			yaml: "chunker:\n  size: 100000\ngenerator:\n  min_score: 3\n",
			want: []string{
				"FILE:2:9: chunker.size: must be between 16 and 8192 tokens",
				"FILE:4:14: generator.min_score: must be between 0 and 1",
			},
		},
		{
			// Every kind of problem in one file: all are reported in a
			// single run, not only those found while decoding.
			name: "unknown key, wrong type and out-of-range value together",
			yaml: "collection: handbook\nchunker:\n  size: 100000\n  overlpa: 5\nretrieval:\n  top_k: many\ngenerator:\n  min_score: 3\n",
			want: []string{
				"FILE:3:9: chunker.size: must be between 16 and 8192 tokens",
				`FILE:4:3: chunker.overlpa: unknown field (did you mean "overlap"?)`,
				"FILE:6:10: retrieval.top_k: want an integer",
				"FILE:8:14: generator.min_score: must be between 0 and 1",
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := writeFile(t, filepath.Join(t.TempDir(), "ragline.yaml"), c.yaml)
			code, out, errOut := run(t, "config", "validate", file)
			if c.want == nil {
				if code != ExitOK {
					t.Fatalf("exit %d, want 0; stderr:\n%s", code, errOut)
				}
				m := regexp.MustCompile(`^` + regexp.QuoteMeta(file) + `: ok \(digest ([0-9a-f]{64})\)\n$`).FindStringSubmatch(out)
				if m == nil {
					t.Fatalf("stdout %q, want %q", out, file+": ok (digest …)")
				}
				if d := configDigest(t, "--config", file); m[1] != d {
					t.Errorf("validate digest %s, version reports %s", m[1], d)
				}
				return
			}
			if code != ExitFailure {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut)
			}
			if out != "" {
				t.Errorf("stdout should be empty, got %q", out)
			}
			var problems []string
			for _, line := range strings.Split(strings.TrimRight(errOut, "\n"), "\n") {
				if strings.HasSuffix(line, "problem(s) in "+file) {
					continue
				}
				if !problemLine.MatchString(line) {
					t.Errorf("line %q is not file:line:col: field.path: message", line)
				}
				problems = append(problems, line)
			}
			for _, w := range c.want {
				w = strings.ReplaceAll(w, "FILE", file)
				found := false
				for _, p := range problems {
					found = found || p == w
				}
				if !found {
					t.Errorf("missing problem %q", w)
				}
			}
			if len(problems) != len(c.want) {
				t.Errorf("%d problems reported, want %d:\n%s", len(problems), len(c.want), errOut)
			}
			if summary := "problem(s) in " + file; !strings.Contains(errOut, summary) {
				t.Errorf("no %q summary line:\n%s", summary, errOut)
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "absent.yaml")
		code, out, errOut := run(t, "config", "validate", file)
		if code == ExitOK {
			t.Fatalf("exit 0 for a missing file; stdout %q", out)
		}
		if !strings.Contains(errOut, file) || !strings.Contains(errOut, "no such file") {
			t.Errorf("stderr %q should name %s and say it does not exist", errOut, file)
		}
	})
}

// TestConfigShowRedactsSecrets checks that `config show` prints the
// effective configuration without ever revealing the API key, however it
// was given.
func TestConfigShowRedactsSecrets(t *testing.T) {
	const secret = "s3cr3t-Zq9-never-print-me"
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the api_key YAML value
	}{
		{"environment variable", func(t *testing.T, dir string) string {
			t.Setenv("RAGLINE_CLI_TEST_API_KEY", secret)
			return "${RAGLINE_CLI_TEST_API_KEY}"
		}},
		{"file reference", func(t *testing.T, dir string) string {
			writeFile(t, filepath.Join(dir, "key.txt"), secret+"\n")
			return "${file:key.txt}"
		}},
		{"literal", func(t *testing.T, dir string) string {
			return secret
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			ref := c.setup(t, dir)
			file := writeFile(t, filepath.Join(dir, "ragline.yaml"), "collection: handbook\nserver:\n  api_key: \""+ref+"\"\n")
			code, out, errOut := run(t, "--config", file, "config", "show")
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if strings.Contains(out+errOut, secret) {
				t.Fatalf("secret printed by config show:\n%s%s", out, errOut)
			}
			var shown struct {
				Collection string `json:"collection"`
				Server     struct {
					APIKey string `json:"api_key"`
				} `json:"server"`
			}
			if err := json.Unmarshal([]byte(out), &shown); err != nil {
				t.Fatalf("config show is not JSON: %v\n%s", err, out)
			}
			if shown.Server.APIKey != "<redacted>" {
				t.Errorf("server.api_key shown as %q, want <redacted>", shown.Server.APIKey)
			}
			if shown.Collection != "handbook" {
				t.Errorf("collection %q: the file was not applied", shown.Collection)
			}
			// Neither does any other command that reads the configuration.
			for _, args := range [][]string{{"config", "validate", file}, {"--config", file, "version", "--json"}} {
				_, out, errOut := run(t, args...)
				if strings.Contains(out+errOut, secret) {
					t.Errorf("%v printed the secret:\n%s%s", args, out, errOut)
				}
			}
		})
	}
}

// TestVersion checks the fields of `version` in both output formats.
func TestVersion(t *testing.T) {
	code, out, errOut := run(t, "version", "--json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(out), &fields); err != nil {
		t.Fatalf("version --json: %v\n%s", err, out)
	}
	for _, k := range []string{"version", "commit", "go_version", "config_digest"} {
		if s, _ := fields[k].(string); s == "" {
			t.Errorf("field %q missing or empty in %s", k, out)
		}
	}
	if fields["go_version"] != runtime.Version() {
		t.Errorf("go_version %v, want %s", fields["go_version"], runtime.Version())
	}
	digest, _ := fields["config_digest"].(string)
	if !hex64.MatchString(digest) {
		t.Errorf("config_digest %q is not 64 hex digits", digest)
	}

	code, out, errOut = run(t, "version")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"ragline " + fields["version"].(string) + "\n",
		"commit: " + fields["commit"].(string) + "\n",
		"go: " + runtime.Version() + "\n",
		"config digest: " + digest + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("version output lacks %q:\n%s", want, out)
		}
	}

	if code, _, _ := run(t, "version", "extra"); code != ExitUsage {
		t.Errorf("version with an argument: exit %d, want 2", code)
	}
}

// TestVersionConfigDigest checks what the configuration digest depends on:
// settings such as chunker.size change it, where the knowledge base lives
// does not.
func TestVersionConfigDigest(t *testing.T) {
	root := t.TempDir()
	base := configDigest(t, "--config", writeFile(t, filepath.Join(root, "a", "ragline.yaml"), "data: kb\nchunker:\n  size: 400\n"))
	cases := []struct {
		name, yaml string
		same       bool
	}{
		{"same content in another folder (data resolves elsewhere)", "data: kb\nchunker:\n  size: 400\n", true},
		{"different relative data path", "data: ./elsewhere/kb\nchunker:\n  size: 400\n", true},
		{"absolute data path", "data: " + filepath.Join(root, "abs-kb") + "\nchunker:\n  size: 400\n", true},
		{"chunker.size changed", "data: kb\nchunker:\n  size: 300\n", false},
		{"server.addr changed", "data: kb\nchunker:\n  size: 400\nserver:\n  addr: 127.0.0.1:9999\n", false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := writeFile(t, filepath.Join(root, "b", string(rune('0'+i)), "ragline.yaml"), c.yaml)
			got := configDigest(t, "--config", file)
			if !hex64.MatchString(got) {
				t.Fatalf("digest %q is not 64 hex digits", got)
			}
			if (got == base) != c.same {
				t.Errorf("digest %s vs base %s: same=%v, want same=%v", got, base, got == base, c.same)
			}
		})
	}
}
