package config

import (
	"fmt"
	"net/url"
	"sort"
	"text/template"
)

// validateModels checks models, the model-dependent retrieval and
// generator settings, and their prompt templates.
func (c *Config) validateModels(add func(field, format string, args ...any)) {
	m := c.Models
	c.validateModel(add, "models.chat", m.Chat, []string{"openai"}, nil)
	c.validateModel(add, "models.embedding", m.Embedding, []string{"openai", "hash"}, nil)
	c.validateModel(add, "models.rerank", m.Rerank, []string{"tei", "cohere", "jina", "llm"}, []string{"rerank"})
	c.validateModel(add, "models.judge", m.Judge, []string{"openai"}, []string{"statements", "verdicts", "questions"})
	if m.Embedding.Configured() && (m.Embedding.Dimensions < 1 || m.Embedding.Dimensions > 16384) {
		add("models.embedding.dimensions", "is required: the length of the model's vectors (1–16384)")
	}
	if m.Embedding.Configured() {
		if m.Embedding.BatchSize < 1 || m.Embedding.BatchSize > 2048 {
			add("models.embedding.batch_size", "must be between 1 and 2048")
		}
		if m.Embedding.Concurrency < 1 || m.Embedding.Concurrency > 64 {
			add("models.embedding.concurrency", "must be between 1 and 64")
		}
	}
	if m.Rerank.Provider == "llm" && !m.Chat.Configured() {
		add("models.rerank.provider", "llm reranks with models.chat, which is not configured")
	}
	if m.Rerank.TopN < 0 {
		add("models.rerank.top_n", "must be ≥ 0")
	}

	r := c.Retrieval
	oneOf(add, "retrieval.mode", r.Mode, "lexical", "vector", "hybrid")
	if (r.Mode == "vector" || r.Mode == "hybrid") && !m.Embedding.Configured() {
		add("retrieval.mode", "%s retrieval needs models.embedding", r.Mode)
	}
	if r.Candidates < 1 || r.Candidates > 1000 {
		add("retrieval.candidates", "must be between 1 and 1000")
	}
	if r.RRFK < 1 || r.RRFK > 10000 {
		add("retrieval.rrf_k", "must be between 1 and 10000")
	}
	if r.Weights.Lexical < 0 {
		add("retrieval.weights.lexical", "must be ≥ 0")
	}
	if r.Weights.Vector < 0 {
		add("retrieval.weights.vector", "must be ≥ 0")
	}
	if r.Mode == "hybrid" && r.Weights.Lexical == 0 && r.Weights.Vector == 0 {
		add("retrieval.weights", "at least one weight must be > 0 in hybrid mode")
	}
	oneOf(add, "retrieval.vector_index", r.VectorIndex, "exact", "ivf", "auto")
	if r.NProbe < 1 || r.NProbe > 10000 {
		add("retrieval.nprobe", "must be between 1 and 10000")
	}
	if r.MMRLambda < 0 || r.MMRLambda > 1 {
		add("retrieval.mmr_lambda", "must be between 0 (off) and 1")
	}
	if r.MultiQuery < 0 || r.MultiQuery > 10 {
		add("retrieval.multi_query", "must be between 0 and 10")
	}
	if r.MultiQuery > 0 && !m.Chat.Configured() {
		add("retrieval.multi_query", "needs models.chat")
	}
	if r.CrossLingual && !m.Chat.Configured() {
		add("retrieval.cross_lingual", "needs models.chat")
	}
	checkTemplate(add, "retrieval.prompts.rewrite", r.Prompts.Rewrite)
	checkTemplate(add, "retrieval.prompts.expand", r.Prompts.Expand)

	g := c.Generator
	if g.Kind == "llm" && !m.Chat.Configured() {
		add("generator.kind", "llm generation needs models.chat")
	}
	oneOf(add, "generator.fallback", g.Fallback, "extractive", "none")
	checkTemplate(add, "generator.prompts.system", g.Prompts.System)
	checkTemplate(add, "generator.prompts.user", g.Prompts.User)
}

func (c *Config) validateModel(add func(field, format string, args ...any), field string, m ModelConfig, providers, prompts []string) {
	if !m.Configured() {
		if m.BaseURL != "" || m.Model != "" || m.APIKey.IsSet() {
			add(field+".provider", "is required (one of %q)", providers)
		}
		return
	}
	oneOf(add, field+".provider", m.Provider, providers...)
	remote := m.Provider != "hash" && m.Provider != "llm"
	if remote {
		u, err := url.Parse(m.BaseURL)
		switch {
		case m.BaseURL == "":
			add(field+".base_url", "is required, e.g. http://localhost:8000/v1")
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			add(field+".base_url", "must be an http:// or https:// URL, got %q", m.BaseURL)
		}
		if m.Model == "" && m.Provider != "tei" {
			add(field+".model", "is required")
		}
	}
	if m.Timeout <= 0 {
		add(field+".timeout", "must be > 0")
	}
	if m.MaxRetries < 0 || m.MaxRetries > 10 {
		add(field+".max_retries", "must be between 0 and 10")
	}
	if m.Temperature < 0 || m.Temperature > 2 {
		add(field+".temperature", "must be between 0 and 2")
	}
	if m.MaxTokens < 0 {
		add(field+".max_tokens", "must be ≥ 0")
	}
	names := make([]string, 0, len(m.Prompts))
	for name := range m.Prompts {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ok := false
		for _, p := range prompts {
			ok = ok || p == name
		}
		if !ok {
			if len(prompts) == 0 {
				add(field+".prompts."+name, "this model takes no prompts")
			} else {
				add(field+".prompts."+name, "unknown prompt (known: %q)", prompts)
			}
			continue
		}
		checkTemplate(add, field+".prompts."+name, m.Prompts[name])
	}
}

// checkTemplate reports a prompt template that does not parse.
func checkTemplate(add func(field, format string, args ...any), field, tmpl string) {
	if tmpl == "" {
		return
	}
	if _, err := template.New(field).Option("missingkey=error").Parse(tmpl); err != nil {
		add(field, "invalid template: %v", fmt.Sprint(err))
	}
}
