package kb

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/model/hashembed"
	"github.com/ragline/ragline/internal/model/modeltest"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/text"
)

// parseConfig validates a configuration like a file would be.
func parseConfig(t testing.TB, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("ragline.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func openWith(t testing.TB, cfg *config.Config, dir string) *KB {
	t.Helper()
	k, err := Open(context.Background(), cfg, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

var sourceLine = regexp.MustCompile(`(?m)^\[(\d+)\] `)

// citingModel answers by citing the first two sources it was given and a
// source that does not exist.
func citingModel(r modeltest.ChatRequest) modeltest.Reply {
	n := len(sourceLine.FindAllString(r.Last(), -1))
	if n == 0 {
		return modeltest.Reply{Text: "I do not know."}
	}
	return modeltest.Reply{Text: fmt.Sprintf("New hires get the days stated in the policy [1]. See also [%d] and [%d].", min(2, n), n+7)}
}

// modelServer is a scripted OpenAI-compatible server whose embeddings
// come from the hashed test embedder.
func modelServer(t *testing.T) *modeltest.Server {
	srv := modeltest.New(t)
	an, _ := text.NewAnalyzer(text.Options{Stemming: "english", CJK: "bigram"})
	emb := hashembed.New(an, 256)
	srv.Embed = func(s string) []float32 {
		v, _ := emb.Embed(context.Background(), []string{s})
		return v[0]
	}
	srv.Chat = citingModel
	return srv
}

func detail(resp schema.Response, step string) map[string]any {
	for _, s := range resp.Trace {
		if s.Step == step {
			return s.Detail
		}
	}
	return nil
}

func TestLLMAnswerCitationsValid(t *testing.T) {
	srv := modelServer(t)
	cfg := parseConfig(t, `
models:
  chat: {provider: openai, base_url: `+srv.URL+`/v1, model: scripted, max_retries: 0}
generator: {kind: llm}
`)
	k := openWith(t, cfg, t.TempDir())
	ingestOK(t, k, quickstartDocs)
	var tokens sync.Map
	k.Observe(Observer{Tokens: func(m, kind string, n int) {
		v, _ := tokens.LoadOrStore(m+"/"+kind, new(int))
		*v.(*int) += n
	}})
	for _, stream := range []bool{false, true} {
		var pieces []string
		req := AskRequest{Question: "How many vacation days do new hires get?"}
		if stream {
			req.OnDelta = func(s string) error { pieces = append(pieces, s); return nil }
		}
		resp, err := k.AskWith(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(resp.Answer, "[9]") || !strings.Contains(resp.Answer, "[1]") || resp.NoAnswer {
			t.Errorf("answer %q", resp.Answer)
		}
		given := detail(resp, "retrieve")["hits"].(int)
		if len(resp.Citations) == 0 {
			t.Fatal("no citations")
		}
		for _, c := range resp.Citations {
			if c.Index < 1 || c.Index > given || c.ChunkID == "" || !strings.Contains(resp.Answer, fmt.Sprintf("[%d]", c.Index)) {
				t.Errorf("invalid citation %+v of %d chunks", c, given)
			}
			doc, err := k.Document(context.Background(), c.DocumentID)
			if err != nil || !strings.Contains(doc.Text, strings.TrimSpace(c.Text[:min(len(c.Text), 40)])) {
				t.Errorf("citation %d text not in its document %s: %v", c.Index, c.DocumentID, err)
			}
		}
		g := detail(resp, "generate")
		if g["generator"] != "llm" || g["invalid_citations"] != 1 || g["model"] != "scripted" {
			t.Errorf("generate step %v", g)
		}
		if resp.Usage == nil || resp.Usage.PromptTokens == 0 || resp.Usage.CompletionTokens == 0 {
			t.Errorf("usage %+v", resp.Usage)
		}
		if stream && strings.Join(pieces, "") != resp.Answer {
			t.Errorf("streamed %q, answer %q", strings.Join(pieces, ""), resp.Answer)
		}
	}
	if v, ok := tokens.Load("scripted/completion"); !ok || *v.(*int) == 0 {
		t.Error("completion tokens not observed")
	}
}

func TestLLMFallback(t *testing.T) {
	srv := modelServer(t)
	srv.Chat = func(modeltest.ChatRequest) modeltest.Reply {
		return modeltest.Reply{Status: 503, Body: `{"object":"error","message":"The model is overloaded","type":"ServiceUnavailableError","code":503}`}
	}
	yaml := `
models:
  chat: {provider: openai, base_url: ` + srv.URL + `/v1, model: scripted, max_retries: 0}
generator: {kind: llm, fallback: %s}
`
	k := openWith(t, parseConfig(t, fmt.Sprintf(yaml, "extractive")), t.TempDir())
	ingestOK(t, k, quickstartDocs)
	var fallbacks []string
	k.Observe(Observer{Fallback: func(c string) { fallbacks = append(fallbacks, c) }})
	var pieces []string
	resp, err := k.AskWith(context.Background(), AskRequest{Question: "How many vacation days do new hires get?", OnDelta: func(s string) error { pieces = append(pieces, s); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	g := detail(resp, "generate")
	if g["generator"] != "extractive" || g["fallback_from"] != "llm" || !strings.Contains(g["model_error"].(string), "HTTP 503: The model is overloaded") {
		t.Errorf("generate step %v", g)
	}
	if resp.NoAnswer || len(resp.Citations) == 0 || strings.Join(pieces, "") != resp.Answer || len(fallbacks) != 1 || fallbacks[0] != "generate" {
		t.Errorf("fallback answer %q pieces %d fallbacks %v", resp.Answer, len(pieces), fallbacks)
	}

	k2 := openWith(t, parseConfig(t, fmt.Sprintf(yaml, "none")), k.store.Path())
	_, err = k2.Ask(context.Background(), "", "How many vacation days do new hires get?", nil)
	if err == nil || !strings.Contains(err.Error(), "openai model scripted: HTTP 503: The model is overloaded") {
		t.Errorf("without fallback: %v", err)
	}
}

func TestQueryRewriteAndExpansion(t *testing.T) {
	srv := modelServer(t)
	srv.Chat = func(r modeltest.ChatRequest) modeltest.Reply {
		switch {
		case strings.Contains(r.Last(), "standalone question"):
			return modeltest.Reply{Text: "How many vacation days do new hires in Munich get?"}
		case r.ResponseFormat != nil:
			return modeltest.Reply{Text: `{"queries": ["annual leave allowance for new employees"]}`}
		}
		return citingModel(r)
	}
	cfg := parseConfig(t, `
models:
  chat: {provider: openai, base_url: `+srv.URL+`/v1, model: scripted}
generator: {kind: llm}
retrieval: {multi_query: 1}
`)
	k := openWith(t, cfg, t.TempDir())
	ingestOK(t, k, quickstartDocs)
	hist := []schema.Message{{Role: "user", Content: "How many vacation days do new hires get?"}, {Role: "assistant", Content: "Twenty [1]."}}
	resp, err := k.Ask(context.Background(), "", "And in Munich?", hist)
	if err != nil {
		t.Fatal(err)
	}
	p := detail(resp, "perceive")
	if p["standalone"] != "How many vacation days do new hires in Munich get?" || p["rewritten_by"] != "scripted" {
		t.Errorf("perceive step %v", p)
	}
	if e, _ := p["expansions"].([]string); len(e) != 1 {
		t.Errorf("expansions %v", p["expansions"])
	}
	r := detail(resp, "retrieve")
	if q, _ := r["queries"].([]string); len(q) != 2 || r["lists"].(map[string]int)["lexical:q2"] == 0 {
		t.Errorf("retrieve step %v", r)
	}
	// Three model calls: rewrite, expand, answer.
	if srv.Calls("/v1/chat/completions") != 3 || resp.Usage == nil {
		t.Errorf("%d chat calls, usage %v", srv.Calls("/v1/chat/completions"), resp.Usage)
	}
}

func TestHybridEmbeddingCacheAndMismatch(t *testing.T) {
	srv := modelServer(t)
	yaml := `
models:
  embedding: {provider: openai, base_url: ` + srv.URL + `/v1, model: hashed, dimensions: %d, batch_size: 16}
retrieval: {mode: hybrid}
`
	dir := t.TempDir()
	k := openWith(t, parseConfig(t, fmt.Sprintf(yaml, 256)), dir)
	rep := ingestOK(t, k, quickstartDocs)
	calls := srv.Calls("/v1/embeddings")
	if rep.Embedded == 0 || rep.Embedded != rep.Chunks || calls == 0 {
		t.Fatalf("embedded %d of %d chunks in %d calls", rep.Embedded, rep.Chunks, calls)
	}
	resp, err := k.Ask(context.Background(), "", "How many days of paid vacation do full-time employees receive?", nil)
	if err != nil {
		t.Fatal(err)
	}
	r := detail(resp, "retrieve")
	ranked := strings.Join(r["ranked"].([]string), "\n")
	if r["mode"] != "hybrid" || !strings.Contains(ranked, "lexical #") || !strings.Contains(ranked, "vector #") || len(resp.Citations) == 0 {
		t.Errorf("retrieve step %v; answer %q generate %v", r, resp.Answer, detail(resp, "generate"))
	}
	// Re-ingesting documents whose chunks are unchanged makes no remote
	// call: unchanged files keep their vectors, and a replaced document
	// with the same text takes them from the cache.
	calls = srv.Calls("/v1/embeddings")
	ingestOK(t, k, quickstartDocs)
	doc := schema.Document{Key: "note.txt", Source: "note.txt", Text: "The cafeteria opens at eight.", Hash: "v1"}
	if err := k.PutDocuments(context.Background(), "default", []schema.Document{doc}); err != nil {
		t.Fatal(err)
	}
	calls++ // that new text was embedded once
	doc.Hash = "v2"
	if err := k.PutDocuments(context.Background(), "default", []schema.Document{doc}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Calls("/v1/embeddings") - 1; got != calls-1 {
		t.Errorf("re-indexing unchanged text made %d embedding calls", got-(calls-1))
	}
	n, _ := k.store.VectorCount(context.Background())
	if n != rep.Chunks+1 {
		t.Errorf("%d vectors for %d chunks", n, rep.Chunks+1)
	}
	k.Close()

	// Another embedder is refused with a message saying what to do.
	_, err = Open(context.Background(), parseConfig(t, fmt.Sprintf(yaml, 32)), dir, false)
	if err == nil || !strings.Contains(err.Error(), "openai:hashed (256 dimensions), the configuration gives openai:hashed (32 dimensions)") || !strings.Contains(err.Error(), "re-index") {
		t.Errorf("mismatch: %v", err)
	}
}

func TestRerankDegrades(t *testing.T) {
	srv := modelServer(t)
	bad := modeltest.New(t) // no rerank function: every call is a 404
	cfg := parseConfig(t, `
models:
  rerank: {provider: tei, base_url: `+bad.URL+`, max_retries: 0}
`)
	k := openWith(t, cfg, t.TempDir())
	ingestOK(t, k, quickstartDocs)
	var fallbacks []string
	k.Observe(Observer{Fallback: func(c string) { fallbacks = append(fallbacks, c) }})
	resp, err := k.Ask(context.Background(), "", "How many vacation days do new hires get?", nil)
	if err != nil {
		t.Fatal(err)
	}
	rr := detail(resp, "rerank")
	if rr == nil || rr["fallback"] != "fused order" || !strings.Contains(rr["error"].(string), "HTTP 404") || len(fallbacks) != 1 || resp.NoAnswer {
		t.Errorf("rerank step %v fallbacks %v", rr, fallbacks)
	}
	// A working reranker reorders: here it prefers the longest passage.
	srv.Rerank = func(q, doc string) float64 { return float64(len(doc)) }
	k2 := openWith(t, parseConfig(t, `
models:
  rerank: {provider: tei, base_url: `+srv.URL+`, top_n: 3}
`), k.store.Path())
	resp, err = k2.Ask(context.Background(), "", "How many vacation days do new hires get?", nil)
	if err != nil {
		t.Fatal(err)
	}
	rr = detail(resp, "rerank")
	if rr == nil || rr["kept"] != 3 || rr["error"] != nil || detail(resp, "retrieve")["hits"] != 3 {
		t.Errorf("rerank step %v", rr)
	}
}
