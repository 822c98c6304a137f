package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadGood(t *testing.T) {
	t.Setenv("RAGLINE_TEST_KEY", "s3cret")
	cfg, err := Load("testdata/full.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"collection", cfg.Collection, "handbook"},
		{"data resolved against config dir", cfg.Data, filepath.Join("testdata", "kb")},
		{"max_file_size", cfg.Ingest.MaxFileSize, ByteSize(10 << 20)},
		{"chunker.size", cfg.Chunker.Size, 256},
		{"stop words list", strings.Join(cfg.Analyzer.StopWords.Words, ","), "the,a"},
		{"title_weight", cfg.Retrieval.TitleWeight, 2.5},
		{"engine", cfg.Retrieval.Engine, "fts5"},
		{"bm25.b", cfg.Retrieval.BM25.B, 0.4},
		{"api key resolved", cfg.Server.APIKey.Value(), "s3cret"},
		{"max_body_bytes", cfg.Server.MaxBodyBytes, ByteSize(2_000_000)},
		{"write_timeout", time.Duration(cfg.Server.WriteTimeout), time.Minute},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
}

func TestDefaultsApplied(t *testing.T) {
	cfg, err := Load("testdata/empty.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Digest() != Default().Digest() {
		t.Errorf("empty file should equal defaults")
	}
	if cfg.Chunker.Size != 400 || cfg.Retrieval.TopK != 8 {
		t.Errorf("defaults not applied: %+v", cfg)
	}
}

func TestAllErrorsAtOnce(t *testing.T) {
	_, err := Load("testdata/many.bad.yaml")
	if err == nil {
		t.Fatal("want errors")
	}
	got := err.Error()
	for _, want := range []string{
		`testdata/many.bad.yaml:4:3: chunker.overlpa: unknown field (did you mean "overlap"?)`,
		"testdata/many.bad.yaml:6:10: retrieval.top_k: want an integer",
		"testdata/many.bad.yaml:8:17: server.read_timeout: invalid duration",
		// Semantic checks run alongside decode errors.
		"testdata/many.bad.yaml:1:13: collection: must be",
		"testdata/many.bad.yaml:3:9: chunker.size: must be between 16 and 8192 tokens",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}

func TestSemanticErrorsCarryPositions(t *testing.T) {
	_, err := Parse("x.yaml", []byte("collection: \"bad name!\"\nchunker:\n  size: 10\n"))
	if err == nil {
		t.Fatal("want errors")
	}
	got := err.Error()
	for _, want := range []string{
		"x.yaml:1:13: collection: must be",
		"x.yaml:3:9: chunker.size: must be between 16 and 8192 tokens",
		"x.yaml:2:1: chunker.overlap: must be ≥ 0 and less than chunker.size (10)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"syntax", "chunker:\n  size: [1,\n", "x.yaml:"},
		{"scalar for mapping", "chunker: 5\n", "chunker: want a mapping"},
		{"duplicate key", "collection: a\ncollection: b\n", `x.yaml:2:1: invalid YAML: mapping key "collection" already defined`},
		{"unset env", "server:\n  api_key: ${RAGLINE_DEFINITELY_UNSET}\n", "server.api_key: environment variable RAGLINE_DEFINITELY_UNSET is not set"},
		{"missing secret file", "server:\n  api_key: ${file:/nonexistent/key}\n", "server.api_key: secret file /nonexistent/key"},
		{"bad size", "ingest:\n  max_file_size: lots\n", "ingest.max_file_size: invalid size"},
		{"bad enum", "analyzer:\n  cjk: words\n", `analyzer.cjk: must be one of ["bigram" "gse"], got "words"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte("topsecret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(filepath.Join(dir, "c.yaml"), []byte("server:\n  api_key: ${file:key}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.APIKey.Value() != "topsecret" {
		t.Fatalf("relative secret file not resolved: %q", cfg.Server.APIKey.Value())
	}
	for _, s := range []string{cfg.Server.APIKey.String(), fmtAll(cfg)} {
		if strings.Contains(s, "topsecret") {
			t.Errorf("secret leaked: %s", s)
		}
	}
}

func TestDigestStable(t *testing.T) {
	a, b := Default(), Default()
	b.Data = "/elsewhere"
	b.Server.Addr = "127.0.0.1:1"
	if a.Digest() != Default().Digest() {
		t.Error("digest not deterministic")
	}
	if !reflect.DeepEqual(a.Index(), b.Index()) {
		t.Error("index settings should ignore data dir and server")
	}
	b.Chunker.Size = 100
	if a.Digest() == b.Digest() {
		t.Error("digest ignores chunker size")
	}
}

func TestSources(t *testing.T) {
	t.Setenv("RAGLINE_TEST_KEY", "k")
	cfg, err := Load("testdata/full.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Sources) != 2 || cfg.Sources[0].Path != filepath.Join("testdata", "docs") || cfg.Sources[1].Collection != "other" {
		t.Errorf("sources: %+v", cfg.Sources)
	}
	_, err = Load("testdata/source.bad.yaml")
	if err == nil || !strings.Contains(err.Error(), `testdata/source.bad.yaml:3:5: sources[0].colection: unknown field (did you mean "collection"?)`) {
		t.Errorf("unknown key in a list element: %v", err)
	}
}
