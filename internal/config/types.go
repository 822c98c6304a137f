package config

// Config is the whole ragline configuration: every component is declared
// here and swappable by configuration alone.
type Config struct {
	// Data is the knowledge-base directory (relative to the config file).
	Data string `yaml:"data" json:"data"`
	// Store selects a PostgreSQL knowledge base instead (types_store.go).
	Store StoreConfig `yaml:"store" json:"store"`
	// Sources are the files and folders `ragline index build` ingests,
	// relative to the config file.
	Sources []Source `yaml:"sources" json:"sources,omitempty"`
	// Collection is the default collection for ingest and questions.
	Collection string          `yaml:"collection" json:"collection"`
	Ingest     IngestConfig    `yaml:"ingest" json:"ingest"`
	Chunker    ChunkerConfig   `yaml:"chunker" json:"chunker"`
	Analyzer   AnalyzerConfig  `yaml:"analyzer" json:"analyzer"`
	Retrieval  RetrievalConfig `yaml:"retrieval" json:"retrieval"`
	Generator  GeneratorConfig `yaml:"generator" json:"generator"`
	Server     ServerConfig    `yaml:"server" json:"server"`
	Sessions   SessionsConfig  `yaml:"sessions" json:"sessions"`
	Telemetry  TelemetryConfig `yaml:"telemetry" json:"telemetry"`
	// Agent, Tools, Plugins and MCP configure the agent layer
	// (types_agent.go).
	Agent   AgentConfig    `yaml:"agent" json:"agent"`
	Tools   ToolsConfig    `yaml:"tools" json:"tools"`
	Plugins []PluginConfig `yaml:"plugins" json:"plugins,omitempty"`
	MCP     MCPConfig      `yaml:"mcp" json:"mcp"`
	// Models are the remote models (none by default: offline).
	Models ModelsConfig `yaml:"models" json:"models"`

	// file is the path the config was loaded from ("" for defaults).
	file string
	// pos maps a field path (e.g. "retrieval.top_k") to its position.
	pos map[string]Position
}

// Source is one file or folder of a reproducible index build.
type Source struct {
	Path string `yaml:"path" json:"path"`
	// Collection defaults to the configuration's collection.
	Collection string `yaml:"collection" json:"collection,omitempty"`
}

// IngestConfig limits what a loader accepts.
type IngestConfig struct {
	// MaxFileSize rejects larger files before reading them.
	MaxFileSize ByteSize `yaml:"max_file_size" json:"max_file_size"`
	// MaxPages rejects PDFs with more pages.
	MaxPages int `yaml:"max_pages" json:"max_pages"`
	// MaxChars rejects documents whose extracted text is longer.
	MaxChars int `yaml:"max_chars" json:"max_chars"`
	// Workers is the number of files extracted in parallel.
	Workers int `yaml:"workers" json:"workers"`
	// Root is the folder that `ragline ingest` keys documents relative
	// to ("" : the working directory); relative to the config file.
	Root string `yaml:"root" json:"root,omitempty"`
}

// ChunkerConfig sizes chunks in tokens.
type ChunkerConfig struct {
	Size    int `yaml:"size" json:"size"`
	Overlap int `yaml:"overlap" json:"overlap"`
}

// AnalyzerConfig selects the text analysis used for indexing, querying and
// sentence scoring alike.
type AnalyzerConfig struct {
	// Stemming is "english" or "none".
	Stemming string `yaml:"stemming" json:"stemming"`
	// StopWords is "english", "none" or an explicit list.
	StopWords StopWords `yaml:"stop_words" json:"stop_words"`
	// CJK is "bigram" or "gse".
	CJK string `yaml:"cjk" json:"cjk"`
}

// RetrievalConfig tunes lexical retrieval.
type RetrievalConfig struct {
	// Engine ranks chunks: "memory" (in-memory BM25 loaded from the
	// store) or "fts5" (SQLite's bm25(), fixed k1 1.2 and b 0.75).
	Engine string `yaml:"engine" json:"engine"`
	// BM25 holds the ranking parameters of the memory engine.
	BM25 BM25Config `yaml:"bm25" json:"bm25"`
	// TopK is the number of chunks handed to the generator.
	TopK int `yaml:"top_k" json:"top_k"`
	// TitleWeight is the BM25 weight of the title column relative to text.
	TitleWeight float64 `yaml:"title_weight" json:"title_weight"`
	// Mode is "lexical" (BM25 only, the default), "vector" (embeddings
	// only) or "hybrid" (both, fused by reciprocal rank fusion).
	Mode string `yaml:"mode" json:"mode"`
	// Candidates is how many hits each list contributes to fusion and
	// reranking.
	Candidates int `yaml:"candidates" json:"candidates"`
	// RRFK is the k of reciprocal rank fusion: a hit at rank r of a list
	// contributes weight/(k+r).
	RRFK int `yaml:"rrf_k" json:"rrf_k"`
	// Weights weight each list in fusion.
	Weights FusionWeights `yaml:"weights" json:"weights"`
	// VectorIndex chooses how vectors are searched: "exact" (scan every
	// vector), "ivf" (inverted-file index, approximate) or "auto" (exact
	// below 20,000 vectors, IVF from there on).
	VectorIndex string `yaml:"vector_index" json:"vector_index"`
	// NProbe is the number of IVF lists a vector query scans.
	NProbe int `yaml:"nprobe" json:"nprobe"`
	// MMRLambda, when > 0, diversifies the fused list by maximal marginal
	// relevance: 1 is pure relevance, lower values favour novelty.
	MMRLambda float64 `yaml:"mmr_lambda" json:"mmr_lambda"`
	// Rewrite lets models.chat rewrite a follow-up into a standalone
	// question from the conversation.
	Rewrite bool `yaml:"rewrite" json:"rewrite"`
	// Fuzzy expands question terms that no chunk holds to the
	// collection's terms within one or two edits (typo tolerance).
	Fuzzy bool `yaml:"fuzzy" json:"fuzzy"`
	// MultiQuery, when > 0, asks models.chat for this many alternative
	// phrasings of the question; all are retrieved and fused.
	MultiQuery int `yaml:"multi_query" json:"multi_query"`
	// CrossLingual asks models.chat to translate the question into the
	// collection's other language (English ↔ Chinese); both questions
	// are retrieved and fused by reciprocal rank fusion.
	CrossLingual bool `yaml:"cross_lingual" json:"cross_lingual"`
	// Prompts override the query-understanding templates.
	Prompts QueryPrompts `yaml:"prompts" json:"prompts,omitzero"`
}

// BM25Config holds BM25 parameters.
type BM25Config struct {
	K1 float64 `yaml:"k1" json:"k1"`
	B  float64 `yaml:"b" json:"b"`
	// K3 saturates query term frequency, (k3+1)·qtf/(k3+qtf); 0 counts a
	// repeated query term plainly, as Lucene does.
	K3 float64 `yaml:"k3" json:"k3"`
}

// GeneratorConfig selects and tunes the answer generator.
type GeneratorConfig struct {
	// Kind is "extractive" (offline, default) or "llm" (models.chat).
	Kind string `yaml:"kind" json:"kind"`
	// Fallback is "extractive" (answer extractively when the model
	// fails) or "none" (the request fails).
	Fallback string `yaml:"fallback" json:"fallback"`
	// Prompts override the LLM generator's templates.
	Prompts GeneratorPrompts `yaml:"prompts" json:"prompts,omitzero"`
	// MaxSentences caps the sentences quoted in an extractive answer.
	MaxSentences int `yaml:"max_sentences" json:"max_sentences"`
	// MinScore is the relevance threshold (share of the question's term
	// weight a sentence must cover) below which no answer is given.
	MinScore float64 `yaml:"min_score" json:"min_score"`
	// LLMMinScore gates the LLM generator: when the retrieved passages'
	// support for the question (the extractive generator's decision
	// score) is below it, the answer is "no answer" and the model is not
	// called. 0 turns the gate off.
	LLMMinScore float64 `yaml:"llm_min_score" json:"llm_min_score"`
}

// ServerConfig configures the HTTP server.
type ServerConfig struct {
	Addr string `yaml:"addr" json:"addr"`
	// APIKey, when set, is required as a bearer token on /v1 routes.
	APIKey Secret `yaml:"api_key" json:"api_key"`
	// MaxBodyBytes caps JSON request bodies.
	MaxBodyBytes ByteSize `yaml:"max_body_bytes" json:"max_body_bytes"`
	// MaxUploadBytes caps a document upload request (all files together).
	MaxUploadBytes ByteSize `yaml:"max_upload_bytes" json:"max_upload_bytes"`
	// ReadTimeout bounds reading a request.
	ReadTimeout Duration `yaml:"read_timeout" json:"read_timeout"`
	// WriteTimeout bounds writing a response.
	WriteTimeout Duration `yaml:"write_timeout" json:"write_timeout"`
	// IdleTimeout closes idle keep-alive connections.
	IdleTimeout Duration `yaml:"idle_timeout" json:"idle_timeout"`
	// GracePeriod is how long shutdown waits for in-flight requests and
	// streams after SIGTERM.
	GracePeriod Duration `yaml:"grace_period" json:"grace_period"`
	// Keys are the API keys, stored as SHA-256 hashes ("sha256:<hex>", as
	// printed by `ragline keys create`). With no keys and no api_key the
	// server runs in open local mode.
	Keys []APIKey `yaml:"keys" json:"keys,omitempty"`
	// RateLimit is a token bucket per API key (per client address in open
	// mode); zero rate disables it.
	RateLimit RateLimitConfig `yaml:"rate_limit" json:"rate_limit"`
	// CORS lists the browser origins allowed to call the API.
	CORS CORSConfig `yaml:"cors" json:"cors"`
	// AllowedHosts are the Host names (no port) served in open local mode,
	// where no key is configured; "*" serves any. Requests naming another
	// host, as a DNS-rebinding page would, get 403.
	AllowedHosts []string `yaml:"allowed_hosts" json:"allowed_hosts,omitempty"`
}

// APIKey is one API key: its hash, what it may do and where.
type APIKey struct {
	// Name identifies the key in logs and metrics (never the key itself).
	Name string `yaml:"name" json:"name"`
	// Hash is "sha256:" followed by the hex SHA-256 of the key.
	Hash string `yaml:"hash" json:"hash"`
	// Scopes are any of "chat", "ingest", "admin" ("admin" implies all).
	Scopes []string `yaml:"scopes" json:"scopes"`
	// Collections, when set, are the only collections the key may use.
	Collections []string `yaml:"collections" json:"collections,omitempty"`
}

// RateLimitConfig is a token bucket.
type RateLimitConfig struct {
	// RequestsPerSecond is the refill rate; 0 disables rate limiting.
	RequestsPerSecond float64 `yaml:"requests_per_second" json:"requests_per_second"`
	// Burst is the bucket size.
	Burst int `yaml:"burst" json:"burst"`
}

// CORSConfig configures cross-origin requests.
type CORSConfig struct {
	// AllowedOrigins are exact origins ("https://app.example.com") or "*".
	AllowedOrigins []string `yaml:"allowed_origins" json:"allowed_origins,omitempty"`
}

// TelemetryConfig configures tracing export.
type TelemetryConfig struct {
	// OTLPEndpoint, when set, exports traces over OTLP/HTTP to it
	// (e.g. http://otel-collector:4318).
	OTLPEndpoint string `yaml:"otlp_endpoint" json:"otlp_endpoint,omitempty"`
	// ServiceName is the service.name resource attribute.
	ServiceName string `yaml:"service_name" json:"service_name"`
	// SampleRatio is the share of traces sampled (0–1) when the caller
	// sends no sampling decision.
	SampleRatio float64 `yaml:"sample_ratio" json:"sample_ratio"`
}

// SessionsConfig selects where conversations are kept.
type SessionsConfig struct {
	// Store is "sqlite" (a file beside the knowledge base; the default for
	// a writable one), "memory" (the default for a read-only one) or
	// "redis" (shared by every replica).
	Store string `yaml:"store" json:"store"`
	// URL is the Redis address for store "redis", e.g.
	// redis://:${REDIS_PASSWORD}@redis:6379/0; a secret, never printed.
	URL Secret `yaml:"url" json:"url"`
	// Path is the SQLite session file (default DATA/sessions.db).
	Path string `yaml:"path" json:"path,omitempty"`
	// TTL expires a session this long after its last turn (0: never).
	TTL Duration `yaml:"ttl" json:"ttl"`
	// MaxTurns is the most turns a session holds; a further question in
	// it is refused with 409 session_full.
	MaxTurns int `yaml:"max_turns" json:"max_turns"`
	// HistoryTurns is how many of the latest earlier turns a follow-up
	// question is read with (rewriting, the model's context).
	HistoryTurns int `yaml:"history_turns" json:"history_turns"`
	// Timeout bounds each call to a networked store (Redis); a store that
	// does not answer in time gets 503 sessions_unavailable.
	Timeout Duration `yaml:"timeout" json:"timeout"`
}

// Position is a place in the configuration file.
type Position struct {
	Line   int
	Column int
}

// File returns the path the configuration was loaded from, or "".
func (c *Config) File() string { return c.file }
