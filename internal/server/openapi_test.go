package server

import (
	"context"

	"bytes"
	"encoding/json"
	"flag"
	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestOpenAPIGolden keeps the served document equal to the reviewed copy
// in testdata; refresh it with -update after a deliberate API change.
func TestOpenAPIGolden(t *testing.T) {
	srv := newTestServer(t, "")
	resp, err := http.Get(srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	if err := json.Unmarshal(got, &doc); err != nil || doc["openapi"] != "3.1.0" {
		t.Fatalf("not an OpenAPI 3.1 document: %v", err)
	}
	golden := filepath.Join("testdata", "openapi.golden.json")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("/openapi.json differs from %s (run go test ./internal/server -run OpenAPI -update after a deliberate change)", golden)
	}
	// Every $ref points at a defined schema.
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for _, part := range strings.Split(string(got), `"$ref": "#/components/schemas/`)[1:] {
		name := part[:strings.Index(part, `"`)]
		if _, ok := schemas[name]; !ok {
			t.Errorf("$ref to undefined schema %s", name)
		}
	}
}

// TestOpenAPICoversRouter checks that every route the router serves is in
// the document and every documented route is served.
func TestOpenAPICoversRouter(t *testing.T) {
	cfg := config.Default()
	k, err := kb.Open(context.Background(), cfg, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	s := New(k, Options{Config: cfg})
	served := s.Routes()
	sort.Strings(served)
	documented := documentedRoutes()
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("route %q is served but not in /openapi.json", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("route %q is documented but not served", r)
		}
	}
}
