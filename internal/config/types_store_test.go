package config

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestStoreURL: store.url resolves ${VAR} references, never prints, is
// left out of the config digest, must be a postgres URL, and a postgres
// URL under data is not taken for a relative path.
func TestStoreURL(t *testing.T) {
	t.Setenv("PG_PASS", "s3cret")
	cfg, err := Parse("/etc/ragline/ragline.yaml", []byte("store:\n  url: postgres://ragline:${PG_PASS}@db:5432/kb\nsessions:\n  store: postgres\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Store.URL.Value(); got != "postgres://ragline:s3cret@db:5432/kb" {
		t.Fatalf("store.url resolved to %q", got)
	}
	out, _ := json.Marshal(cfg)
	var shown struct {
		Store struct{ URL string } `json:"store"`
	}
	_ = json.Unmarshal(out, &shown)
	if strings.Contains(string(out), "s3cret") || shown.Store.URL != "<redacted>" {
		t.Fatalf("store.url printed: %s", out)
	}
	plain, err := Parse("/etc/ragline/ragline.yaml", []byte("sessions:\n  store: postgres\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Digest() != plain.Digest() {
		t.Error("where the knowledge base lives changed the config digest")
	}

	_, err = Parse("/etc/ragline/ragline.yaml", []byte("store:\n  url: mysql://db/kb\nsessions:\n  store: postgres\n  url: redis://x\n"))
	if err == nil || !strings.Contains(err.Error(), "store.url: must be a postgres:// or postgresql:// URL") ||
		!strings.Contains(err.Error(), "sessions.url: must be a postgres:// or postgresql:// URL") {
		t.Fatalf("bad URLs: %v", err)
	}

	d, err := Parse("/etc/ragline/ragline.yaml", []byte("data: postgresql://db/kb\n"))
	if err != nil || d.Data != "postgresql://db/kb" {
		t.Fatalf("data URL: %q %v", d.Data, err)
	}
}
