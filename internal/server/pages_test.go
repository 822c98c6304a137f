package server

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
)

// TestDocumentPage renders a cited PDF page with and without its passage
// marked, and refuses what cannot be rendered.
func TestDocumentPage(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	k, err := kb.Open(ctx, cfg, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	docs := t.TempDir()
	for _, f := range []string{"multipage.pdf"} {
		b, err := os.ReadFile(filepath.Join("..", "ingest", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(docs, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(docs, "notes.md"), []byte("# Notes\n\nThe cafeteria opens at eight.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if rep, err := k.Ingest(ctx, "", []string{docs}, nil); err != nil || rep.Failed > 0 {
		t.Fatalf("ingest: %+v %v", rep, err)
	}
	srv := httptest.NewServer(New(k, Options{Config: cfg}))
	t.Cleanup(srv.Close)

	// Ask about page 2 and render the cited page with the citation's offsets.
	_, out := post(t, srv.URL+"/v1/chat", "", `{"message":"How much is the hotel per night?"}`)
	cits, _ := out["citations"].([]any)
	if len(cits) == 0 {
		t.Fatalf("no citation: %v", out)
	}
	c := cits[0].(map[string]any)
	if c["source"] != "multipage.pdf" || c["page"] != 2.0 {
		t.Fatalf("citation %v", c)
	}
	id := c["document_id"].(string)
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	page := "/v1/documents/" + id + "/pages/2.png"
	resp, body := get(page + "?start=" + itoa(c["start"]) + "&end=" + itoa(c["end"]))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("page: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if resp.Header.Get("X-Ragline-Marked") == "0" || resp.Header.Get("X-Ragline-Marked") == "" {
		t.Errorf("cited passage not marked: X-Ragline-Marked %q", resp.Header.Get("X-Ragline-Marked"))
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil || img.Bounds().Dx() < 800 || img.Bounds().Dx() > 1000 { // A4/Letter at 110 dpi
		t.Fatalf("image: %v %v", img.Bounds(), err)
	}
	resp, _ = get(page + "?dpi=36")
	if resp.StatusCode != 200 || resp.Header.Get("X-Ragline-Marked") != "0" {
		t.Errorf("plain page: %d marked %q", resp.StatusCode, resp.Header.Get("X-Ragline-Marked"))
	}
	// The page-2 passage is not on page 1.
	resp, _ = get("/v1/documents/" + id + "/pages/1.png?start=" + itoa(c["start"]) + "&end=" + itoa(c["end"]))
	if resp.StatusCode != 200 || resp.Header.Get("X-Ragline-Marked") != "0" {
		t.Errorf("page 1: %d marked %q", resp.StatusCode, resp.Header.Get("X-Ragline-Marked"))
	}

	mdDocs, _ := k.Documents(ctx, cfg.Collection)
	var md string
	for _, d := range mdDocs {
		if d.Type != "pdf" {
			md = d.ID
		}
	}
	for _, tc := range []struct {
		path   string
		status int
		field  string
	}{
		{"/v1/documents/" + id + "/pages/4.png", 404, "n"},
		{"/v1/documents/" + id + "/pages/0.png", 400, "n"},
		{"/v1/documents/" + id + "/pages/2", 400, "n"},
		{"/v1/documents/" + id + "/pages/x.png", 400, "n"},
		{"/v1/documents/" + id + "/pages/2.png?dpi=999", 400, "dpi"},
		{"/v1/documents/" + id + "/pages/2.png?start=5&end=5", 400, "end"},
		{"/v1/documents/" + id + "/pages/2.png?start=-1&end=5", 400, "start"},
		{"/v1/documents/" + id + "/pages/2.png?start=0&end=999999", 400, "end"},
		{"/v1/documents/" + md + "/pages/1.png", 404, "n"},
		{"/v1/documents/nope/pages/1.png", 404, ""},
	} {
		resp, body := get(tc.path)
		if resp.StatusCode != tc.status || !strings.Contains(string(body), `"field":"`+tc.field+`"`) && tc.field != "" {
			t.Errorf("%s: %d %s", tc.path, resp.StatusCode, body)
		}
	}
}

func itoa(v any) string {
	f, _ := v.(float64)
	return strconv.Itoa(int(f))
}

// TestDocumentPageKeys checks that page images follow the key rules of
// the document they belong to.
func TestDocumentPageKeys(t *testing.T) {
	srv, handbookDoc, hrDoc := keyedServer(t, nil)
	for _, c := range []struct {
		key, doc string
		status   int
	}{
		{"", handbookDoc, 401},
		{loaderKey, handbookDoc, 403}, // ingest scope only
		{scopedKey, hrDoc, 404},       // another collection: as if absent
		{readerKey, handbookDoc, 404}, // allowed, but Markdown has no pages
	} {
		h := http.Header{}
		if c.key != "" {
			h = bearer(c.key)
		}
		resp, out := send(t, srv.URL, request{method: "GET", path: "/v1/documents/" + c.doc + "/pages/1.png", header: h})
		if resp.StatusCode != c.status {
			t.Errorf("key %q, document %s: %d %v, want %d", c.key, c.doc, resp.StatusCode, out, c.status)
		}
	}
}
