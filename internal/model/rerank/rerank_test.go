package rerank

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/model/modeltest"
	"github.com/ragline/ragline/internal/model/openai"
)

// replay serves a fixture and records the request.
func replay(t *testing.T, status int, fixture string) (*httptest.Server, *map[string]any, *string) {
	var body map[string]any
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &body)
		path = r.URL.Path
		b, err := os.ReadFile("testdata/" + fixture)
		if err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, &body, &path
}

func client(t *testing.T, base, model string) *openai.Client {
	c, err := openai.New(openai.Options{Provider: "rerank", BaseURL: base, Model: model})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var docs = []string{"doc zero", "doc one", "doc two"}

func TestHTTPFormats(t *testing.T) {
	tests := []struct {
		format, fixture, base, path string
		want                        []int
		field                       string
	}{
		{"tei", "tei_rerank.json", "", "/rerank", []int{1, 2, 0}, "texts"},
		{"cohere", "cohere_rerank.json", "", "/v1/rerank", []int{2, 0, 1}, "documents"},
		{"jina", "jina_rerank.json", "/v1", "/v1/rerank", []int{0, 2, 1}, "documents"},
	}
	for _, tt := range tests {
		srv, body, path := replay(t, 200, tt.fixture)
		r, err := NewHTTP(client(t, srv.URL+tt.base, "bge-reranker-v2-m3"), tt.format, srv.URL+tt.base)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.Rerank(context.Background(), "what?", docs)
		if err != nil {
			t.Fatalf("%s: %v", tt.format, err)
		}
		if *path != tt.path || (*body)["query"] != "what?" || len((*body)[tt.field].([]any)) != 3 {
			t.Errorf("%s: request %s %v", tt.format, *path, *body)
		}
		if tt.format != "tei" && ((*body)["model"] != "bge-reranker-v2-m3" || (*body)["top_n"] != 3.0) {
			t.Errorf("%s: request %v", tt.format, *body)
		}
		for i, w := range tt.want {
			if got[i].Index != w {
				t.Errorf("%s: order %v, want %v", tt.format, got, tt.want)
				break
			}
		}
		if got[0].Score <= got[1].Score {
			t.Errorf("%s: not sorted %v", tt.format, got)
		}
	}
}

func TestHTTPErrorAndBadIndex(t *testing.T) {
	srv, _, _ := replay(t, 413, "tei_error_413.json")
	r, _ := NewHTTP(client(t, srv.URL, "bge-reranker"), "tei", srv.URL)
	_, err := r.Rerank(context.Background(), "q", docs)
	if err == nil || !strings.Contains(err.Error(), "rerank model bge-reranker: HTTP 413: batch size 300 > maximum allowed batch size 256") {
		t.Errorf("error %v", err)
	}
	if _, err := clean([]model.Ranked{{Index: 5}}, 3); err == nil {
		t.Error("an out-of-range index was accepted")
	}
	if _, err := NewHTTP(client(t, srv.URL, "x"), "voyage", srv.URL); err == nil {
		t.Error("an unknown format was accepted")
	}
}

func TestLLM(t *testing.T) {
	srv := modeltest.New(t)
	var prompt string
	srv.Chat = func(r modeltest.ChatRequest) modeltest.Reply {
		prompt = r.Last()
		if r.ResponseFormat == nil || r.ResponseFormat.Type != "json_object" {
			t.Error("JSON mode not requested")
		}
		return modeltest.Reply{Text: `{"ranking": [3, "[1]", 3, 9]}`}
	}
	c, _ := openai.New(openai.Options{BaseURL: srv.URL + "/v1", Model: "m"})
	l, err := NewLLM(c, "")
	if err != nil {
		t.Fatal(err)
	}
	var used model.Usage
	l.OnUsage = func(u model.Usage) { used = u }
	got, err := l.Rerank(context.Background(), "which?", docs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Index != 2 || got[1].Index != 0 || got[2].Index != 1 || got[0].Score != 1 || used.TotalTokens == 0 {
		t.Errorf("ranking %v usage %+v", got, used)
	}
	if !strings.Contains(prompt, "Query: which?") || !strings.Contains(prompt, "[2] doc one") {
		t.Errorf("prompt %q", prompt)
	}
	srv.Chat = func(modeltest.ChatRequest) modeltest.Reply { return modeltest.Reply{Text: "I cannot rank these."} }
	if _, err := l.Rerank(context.Background(), "which?", docs); err == nil || !strings.Contains(err.Error(), "no ranking in the reply") {
		t.Errorf("unusable reply: %v", err)
	}
}
