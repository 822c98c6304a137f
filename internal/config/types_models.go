package config

import "time"

// ModelsConfig declares the remote models ragline may call. Every entry
// is optional: with none configured ragline answers offline (lexical
// retrieval, extractive generation).
type ModelsConfig struct {
	// Chat answers questions (generator.kind llm), rewrites follow-ups,
	// expands queries and reranks listwise (models.rerank.provider llm).
	Chat ModelConfig `yaml:"chat" json:"chat,omitzero"`
	// Embedding turns chunks and questions into vectors for
	// retrieval.mode vector and hybrid.
	Embedding ModelConfig `yaml:"embedding" json:"embedding,omitzero"`
	// Rerank reorders the fused candidates.
	Rerank ModelConfig `yaml:"rerank" json:"rerank,omitzero"`
	// Judge scores answers in `ragline eval` (faithfulness, answer
	// relevancy); it is never called while serving.
	Judge ModelConfig `yaml:"judge" json:"judge,omitzero"`
}

// ModelConfig is one model endpoint.
type ModelConfig struct {
	// Provider is the wire format: "openai" (any OpenAI-compatible
	// server) for chat, embedding and judge; "tei", "cohere", "jina" or
	// "llm" (listwise, by models.chat) for rerank; "hash" for embedding is
	// a deterministic test embedder (hashed bag of analyzer terms, no
	// semantic knowledge, no network).
	Provider string `yaml:"provider" json:"provider,omitempty"`
	// BaseURL is the API root, e.g. http://vllm:8000/v1 (OpenAI wire) or
	// http://tei-rerank:8080 (TEI rerank).
	BaseURL string `yaml:"base_url" json:"base_url,omitempty"`
	// Model is the model name sent to the server.
	Model string `yaml:"model" json:"model,omitempty"`
	// APIKey is sent as a bearer token (Azure: the api-key header).
	APIKey Secret `yaml:"api_key" json:"api_key,omitzero"`
	// APIVersion selects Azure OpenAI: sent as the api-version query
	// parameter, with the key in the api-key header.
	APIVersion string `yaml:"api_version" json:"api_version,omitempty"`
	// Timeout bounds one attempt: a whole response, or for a stream the
	// wait for the first byte and every pause between pieces.
	Timeout Duration `yaml:"timeout" json:"timeout,omitzero"`
	// MaxRetries is how many times a 429, 5xx, timeout or broken
	// connection is retried (exponential backoff with jitter, honouring
	// Retry-After).
	MaxRetries int `yaml:"max_retries" json:"max_retries"`
	// Temperature of chat completions.
	Temperature float64 `yaml:"temperature" json:"temperature"`
	// MaxTokens caps one completion (0: the server's default).
	MaxTokens int `yaml:"max_tokens" json:"max_tokens,omitempty"`
	// Dimensions is the length of the embedding vectors (required for
	// embedding); the knowledge base records it.
	Dimensions int `yaml:"dimensions" json:"dimensions,omitempty"`
	// SendDimensions also sends dimensions in embedding requests, for
	// models that can shorten their vectors (OpenAI text-embedding-3).
	SendDimensions bool `yaml:"send_dimensions" json:"send_dimensions,omitempty"`
	// BatchSize is the number of texts per embedding request.
	BatchSize int `yaml:"batch_size" json:"batch_size,omitempty"`
	// Concurrency is the number of embedding requests in flight.
	Concurrency int `yaml:"concurrency" json:"concurrency,omitempty"`
	// TopN is the number of reranked hits kept (default retrieval.top_k).
	TopN int `yaml:"top_n" json:"top_n,omitempty"`
	// Prompts override built-in prompt templates by name: for judge
	// "statements", "verdicts" and "questions"; for rerank (provider llm)
	// "rerank".
	Prompts map[string]string `yaml:"prompts" json:"prompts,omitempty"`
}

// Configured reports whether the entry names a provider.
func (m ModelConfig) Configured() bool { return m.Provider != "" }

// FusionWeights weights each ranked list in reciprocal rank fusion.
type FusionWeights struct {
	Lexical float64 `yaml:"lexical" json:"lexical"`
	Vector  float64 `yaml:"vector" json:"vector"`
}

// GeneratorPrompts are the templates of the LLM generator (Go
// text/template; fields .Question, .Context, .Language). An empty
// template uses the built-in one in the question's language (English or
// Chinese).
type GeneratorPrompts struct {
	System string `yaml:"system" json:"system,omitempty"`
	User   string `yaml:"user" json:"user,omitempty"`
}

// QueryPrompts are the templates of LLM query understanding.
type QueryPrompts struct {
	// Rewrite turns a follow-up into a standalone question (.History,
	// .Question).
	Rewrite string `yaml:"rewrite" json:"rewrite,omitempty"`
	// Expand writes alternative phrasings (.Question, .N).
	Expand string `yaml:"expand" json:"expand,omitempty"`
}

// defaultModels gives every model entry its default limits; an entry is
// still unconfigured until it names a provider.
func defaultModels() ModelsConfig {
	m := ModelConfig{Timeout: Duration(60 * time.Second), MaxRetries: 4, Temperature: 0}
	e := m
	e.BatchSize, e.Concurrency = 64, 4
	return ModelsConfig{Chat: m, Embedding: e, Rerank: m, Judge: m}
}
