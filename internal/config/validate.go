package config

import (
	"fmt"
	"net"
	"regexp"
	"strings"
)

var (
	collectionName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	keyHash        = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// ValidCollection reports whether name is a valid collection name: 1–64
// letters, digits, '_', '.', '-', starting with a letter or digit.
func ValidCollection(name string) bool { return collectionName.MatchString(name) }

// Validate checks every semantic rule and returns all problems, each with
// the position of the offending key when it came from a file.
func (c *Config) Validate() Errors {
	var errs Errors
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{File: c.file, Pos: c.position(field), Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if !ValidCollection(c.Collection) {
		add("collection", "must be 1–64 letters, digits, '_', '.' or '-', starting with a letter or digit")
	}
	for i, src := range c.Sources {
		if src.Path == "" {
			add(fmt.Sprintf("sources[%d].path", i), "is required")
		}
		if src.Collection != "" && !ValidCollection(src.Collection) {
			add(fmt.Sprintf("sources[%d].collection", i), "must be 1–64 letters, digits, '_', '.' or '-'")
		}
	}
	if c.Ingest.MaxFileSize <= 0 {
		add("ingest.max_file_size", "must be > 0")
	}
	if c.Ingest.MaxPages < 1 {
		add("ingest.max_pages", "must be ≥ 1")
	}
	if c.Ingest.MaxChars < 1 {
		add("ingest.max_chars", "must be ≥ 1")
	}
	if c.Ingest.Workers < 1 || c.Ingest.Workers > 64 {
		add("ingest.workers", "must be between 1 and 64")
	}
	if c.Chunker.Size < 16 || c.Chunker.Size > 8192 {
		add("chunker.size", "must be between 16 and 8192 tokens")
	}
	if c.Chunker.Overlap < 0 || c.Chunker.Overlap >= c.Chunker.Size {
		add("chunker.overlap", "must be ≥ 0 and less than chunker.size (%d)", c.Chunker.Size)
	}
	oneOf(add, "analyzer.stemming", c.Analyzer.Stemming, "english", "none")
	oneOf(add, "analyzer.cjk", c.Analyzer.CJK, "bigram", "gse")
	if c.Analyzer.StopWords.Words == nil {
		oneOf(add, "analyzer.stop_words", c.Analyzer.StopWords.Preset, "english", "none")
	}
	if c.Retrieval.TopK < 1 || c.Retrieval.TopK > 1000 {
		add("retrieval.top_k", "must be between 1 and 1000")
	}
	oneOf(add, "retrieval.engine", c.Retrieval.Engine, "memory", "fts5")
	if c.Retrieval.BM25.K1 < 0 || c.Retrieval.BM25.K1 > 10 {
		add("retrieval.bm25.k1", "must be between 0 and 10")
	}
	if c.Retrieval.BM25.K3 < 0 || c.Retrieval.BM25.K3 > 1000 {
		add("retrieval.bm25.k3", "must be between 0 and 1000")
	}
	if c.Retrieval.BM25.B < 0 || c.Retrieval.BM25.B > 1 {
		add("retrieval.bm25.b", "must be between 0 and 1")
	}
	if c.Retrieval.TitleWeight < 0 {
		add("retrieval.title_weight", "must be ≥ 0")
	}
	oneOf(add, "generator.kind", c.Generator.Kind, "extractive", "llm")
	if c.Generator.MaxSentences < 1 || c.Generator.MaxSentences > 20 {
		add("generator.max_sentences", "must be between 1 and 20")
	}
	if c.Generator.MinScore < 0 || c.Generator.MinScore > 1 {
		add("generator.min_score", "must be between 0 and 1")
	}
	if c.Generator.LLMMinScore < 0 || c.Generator.LLMMinScore > 1 {
		add("generator.llm_min_score", "must be between 0 (no gate) and 1")
	}
	if _, _, err := net.SplitHostPort(c.Server.Addr); err != nil {
		add("server.addr", "must be HOST:PORT (%v)", err)
	}
	if c.Server.MaxBodyBytes < 1024 {
		add("server.max_body_bytes", "must be ≥ 1KiB")
	}
	for i, k := range c.Server.Keys {
		f := fmt.Sprintf("server.keys[%d]", i)
		if k.Name == "" {
			add(f+".name", "is required")
		}
		if !keyHash.MatchString(k.Hash) {
			add(f+".hash", `must be "sha256:" and 64 hex digits (see ragline keys create)`)
		}
		if len(k.Scopes) == 0 {
			add(f+".scopes", `must list at least one of "chat", "ingest", "admin"`)
		}
		for j, sc := range k.Scopes {
			if sc != "chat" && sc != "ingest" && sc != "admin" {
				add(fmt.Sprintf("%s.scopes[%d]", f, j), `must be "chat", "ingest" or "admin", got %q`, sc)
			}
		}
		for j, col := range k.Collections {
			if !ValidCollection(col) {
				add(fmt.Sprintf("%s.collections[%d]", f, j), "invalid collection name %q", col)
			}
		}
	}
	if c.Server.RateLimit.RequestsPerSecond < 0 {
		add("server.rate_limit.requests_per_second", "must be ≥ 0")
	}
	if c.Server.RateLimit.RequestsPerSecond > 0 && c.Server.RateLimit.Burst < 1 {
		add("server.rate_limit.burst", "must be ≥ 1 when a rate is set")
	}
	if c.Server.IdleTimeout <= 0 {
		add("server.idle_timeout", "must be > 0")
	}
	if c.Server.GracePeriod < 0 {
		add("server.grace_period", "must be ≥ 0")
	}
	if c.Telemetry.SampleRatio < 0 || c.Telemetry.SampleRatio > 1 {
		add("telemetry.sample_ratio", "must be between 0 and 1")
	}
	if c.Sessions.Store != "" {
		oneOf(add, "sessions.store", c.Sessions.Store, "sqlite", "memory", "redis", "postgres")
	}
	if c.Sessions.Store == "redis" && !c.Sessions.URL.IsSet() {
		add("sessions.url", "is required when sessions.store is redis")
	}
	c.validateStore(add)
	if c.Sessions.TTL < 0 {
		add("sessions.ttl", "must be ≥ 0")
	}
	if c.Sessions.MaxTurns < 1 {
		add("sessions.max_turns", "must be ≥ 1")
	}
	if c.Sessions.HistoryTurns < 0 {
		add("sessions.history_turns", "must be ≥ 0")
	}
	if c.Sessions.Timeout <= 0 {
		add("sessions.timeout", "must be > 0")
	}
	if c.Server.MaxUploadBytes < 1024 {
		add("server.max_upload_bytes", "must be ≥ 1KiB")
	}
	if c.Server.ReadTimeout <= 0 {
		add("server.read_timeout", "must be > 0")
	}
	if c.Server.WriteTimeout <= 0 {
		add("server.write_timeout", "must be > 0")
	}
	c.validateAgent(add)
	c.validateModels(add)
	return errs
}

// position is where field, or the nearest enclosing key that the file
// has, was written; zero when the file sets none of them.
func (c *Config) position(field string) Position {
	for f := field; f != ""; {
		if p, ok := c.pos[f]; ok {
			return p
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			break
		}
		f = f[:i]
	}
	return Position{}
}

func oneOf(add func(string, string, ...any), field, value string, allowed ...string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	add(field, "must be one of %q, got %q", allowed, value)
}
