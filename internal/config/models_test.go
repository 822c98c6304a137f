package config

import (
	"strings"
	"testing"
	"time"
)

func TestModelsGood(t *testing.T) {
	t.Setenv("RAGLINE_TEST_OPENAI", "sk-test")
	cfg, err := Parse("ragline.yaml", []byte(`
models:
  chat:      {provider: openai, base_url: http://vllm:8000/v1, model: qwen2.5-7b-instruct, api_key: "${RAGLINE_TEST_OPENAI}", timeout: 30s, max_retries: 2}
  embedding: {provider: openai, base_url: http://tei:8080/v1, model: bge-m3, dimensions: 1024, batch_size: 32, concurrency: 2}
  rerank:    {provider: tei, base_url: http://tei-rerank:8080, model: bge-reranker-v2-m3, top_n: 8}
  judge:     {provider: openai, base_url: https://api.openai.com/v1, model: gpt-4o-mini, prompts: {verdicts: "{{.Context}} {{.Statements}}"}}
generator: {kind: llm, fallback: extractive, prompts: {system: "Cite [n].", user: "{{.Context}}\n{{.Question}}"}}
retrieval: {mode: hybrid, top_k: 8, rrf_k: 60, weights: {lexical: 1.0, vector: 0.5}, mmr_lambda: 0.7, multi_query: 2, vector_index: ivf, nprobe: 32}
`))
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Models
	if m.Chat.APIKey.Value() != "sk-test" || time.Duration(m.Chat.Timeout) != 30*time.Second || m.Chat.MaxRetries != 2 {
		t.Errorf("chat %+v", m.Chat)
	}
	if m.Embedding.Dimensions != 1024 || m.Embedding.BatchSize != 32 || m.Rerank.TopN != 8 || m.Judge.Model != "gpt-4o-mini" {
		t.Errorf("models %+v", m)
	}
	// Unset limits keep their defaults.
	if time.Duration(m.Embedding.Timeout) != time.Minute || m.Rerank.MaxRetries != 4 {
		t.Errorf("defaults lost: %+v", m)
	}
	if cfg.Retrieval.Mode != "hybrid" || cfg.Retrieval.Weights.Vector != 0.5 || cfg.Retrieval.RRFK != 60 || cfg.Generator.Kind != "llm" {
		t.Errorf("retrieval %+v generator %+v", cfg.Retrieval, cfg.Generator)
	}
	if cfg.Retrieval.VectorIndex != "ivf" || cfg.Retrieval.NProbe != 32 {
		t.Errorf("vector index %q nprobe %d", cfg.Retrieval.VectorIndex, cfg.Retrieval.NProbe)
	}
	if d := Default().Retrieval; d.VectorIndex != "auto" || d.NProbe != 48 {
		t.Errorf("default vector index %q nprobe %d", d.VectorIndex, d.NProbe)
	}
	if strings.Contains(cfg.Digest(), "sk-test") {
		t.Error("secret in digest input")
	}
}

func TestModelsBad(t *testing.T) {
	tests := []struct {
		yaml string
		want []string
	}{
		{"retrieval: {mode: vector}", []string{"ragline.yaml:1:19: retrieval.mode: vector retrieval needs models.embedding"}},
		{"retrieval: {mode: semantic}", []string{`retrieval.mode: must be one of ["lexical" "vector" "hybrid"], got "semantic"`}},
		{"generator: {kind: llm}", []string{"generator.kind: llm generation needs models.chat"}},
		{"generator: {fallback: retry}", []string{`generator.fallback: must be one of ["extractive" "none"]`}},
		{"models:\n  chat: {provider: anthropic, base_url: http://x, model: m}", []string{`ragline.yaml:2:20: models.chat.provider: must be one of ["openai"], got "anthropic"`}},
		{"models:\n  chat: {provider: openai}", []string{"models.chat.base_url: is required", "models.chat.model: is required"}},
		{"models:\n  chat: {provider: openai, base_url: vllm:8000, model: m}", []string{`models.chat.base_url: must be an http:// or https:// URL, got "vllm:8000"`}},
		{"models:\n  chat: {base_url: http://x/v1, model: m}", []string{"models.chat.provider: is required"}},
		{"models:\n  embedding: {provider: openai, base_url: http://x/v1, model: m}", []string{"models.embedding.dimensions: is required"}},
		{"models:\n  embedding: {provider: hash, dimensions: 64, concurrency: 0}", []string{"models.embedding.concurrency: must be between 1 and 64"}},
		{"models:\n  rerank: {provider: llm}", []string{"models.rerank.provider: llm reranks with models.chat, which is not configured"}},
		{"models:\n  rerank: {provider: voyage, base_url: http://x, model: m}", []string{`models.rerank.provider: must be one of ["tei" "cohere" "jina" "llm"]`}},
		{"models:\n  chat: {provider: openai, base_url: http://x, model: m, max_retries: 99, timeout: 0s, temperature: 3}", []string{"models.chat.max_retries: must be between 0 and 10", "models.chat.timeout: must be > 0", "models.chat.temperature: must be between 0 and 2"}},
		{"models:\n  judge: {provider: openai, base_url: http://x, model: m, prompts: {grade: x}}", []string{`models.judge.prompts.grade: unknown prompt (known: ["statements" "verdicts" "questions"])`}},
		{"generator:\n  prompts: {user: \"{{.Question\"}", []string{"generator.prompts.user: invalid template"}},
		{"retrieval: {mode: hybrid, weights: {lexical: 0, vector: 0}}\nmodels:\n  embedding: {provider: hash, dimensions: 8}", []string{"retrieval.weights: at least one weight must be > 0"}},
		{"retrieval: {multi_query: 2, mmr_lambda: 1.5, rrf_k: 0}", []string{"retrieval.multi_query: needs models.chat", "retrieval.mmr_lambda: must be between 0 (off) and 1", "retrieval.rrf_k: must be between 1 and 10000"}},
		{"retrieval: {vector_index: hnsw, nprobe: 0}", []string{`retrieval.vector_index: must be one of ["exact" "ivf" "auto"], got "hnsw"`, "retrieval.nprobe: must be between 1 and 10000"}},
	}
	for _, tt := range tests {
		_, err := Parse("ragline.yaml", []byte(tt.yaml))
		if err == nil {
			t.Errorf("%q: accepted", tt.yaml)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q:\n%v\nwant %q", tt.yaml, err, w)
			}
		}
	}
}
