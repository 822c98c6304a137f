package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/search"
)

// loadingKB is a real knowledge base whose Ping answers as a serving
// process's does while its in-memory index is still loading; the store
// itself answers (PingStore is the real one).
type loadingKB struct{ *kb.KB }

func (loadingKB) Ping(context.Context) error {
	return fmt.Errorf("%w: 12 chunks loaded", search.ErrLoading)
}

// pingOnlyKB hides PingStore: a knowledge base that can only be pinged
// whole, so a write's store check meets the loading index.
type pingOnlyKB struct{ KnowledgeBase }

func TestUploadWhileIndexLoading(t *testing.T) {
	cfg := config.Default()
	k, err := kb.Open(context.Background(), cfg, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	upload := func(t *testing.T, kbase KnowledgeBase) (*http.Response, map[string]any) {
		t.Helper()
		srv := httptest.NewServer(New(kbase, Options{Config: cfg}))
		t.Cleanup(srv.Close)
		ctype, body := multipartBody(t, map[string][]byte{"lockers.md": []byte("# Lockers\n\nLockers on level three are assigned by the facilities desk.\n")})
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/collections/default/documents", body)
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp, out
	}
	t.Run("store answers: the write is taken", func(t *testing.T) {
		resp, out := upload(t, loadingKB{k})
		if resp.StatusCode != http.StatusOK || out["failed"] != float64(0) {
			t.Fatalf("upload while loading: %d %v", resp.StatusCode, out)
		}
		docs, err := k.Documents(context.Background(), "default")
		if err != nil || len(docs) != 1 || docs[0].Source != "lockers.md" {
			t.Fatalf("stored documents %+v %v", docs, err)
		}
	})
	t.Run("only a whole ping: 503 index_loading with Retry-After", func(t *testing.T) {
		resp, out := upload(t, pingOnlyKB{loadingKB{k}})
		e, _ := out["error"].(map[string]any)
		if resp.StatusCode != http.StatusServiceUnavailable || e["type"] != "index_loading" || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("%d Retry-After %q %v", resp.StatusCode, resp.Header.Get("Retry-After"), out)
		}
	})
}
