package config

import "time"

// Default returns the configuration used when no file is given. Load
// starts from it, so a file only states what differs.
func Default() *Config {
	c := &Config{
		Collection: "default",
		Ingest: IngestConfig{
			MaxFileSize: 64 << 20,
			MaxPages:    2000,
			MaxChars:    20_000_000,
			Workers:     2,
		},
		Chunker:  ChunkerConfig{Size: 400, Overlap: 60},
		Analyzer: AnalyzerConfig{Stemming: "english", StopWords: StopWords{Preset: "english"}, CJK: "bigram"},
		Retrieval: RetrievalConfig{
			Engine:      "memory",
			BM25:        BM25Config{K1: 1.2, B: 0.75},
			TopK:        8,
			TitleWeight: 1.0,
			Mode:        "lexical",
			Candidates:  50,
			RRFK:        60,
			Weights:     FusionWeights{Lexical: 1, Vector: 1},
			VectorIndex: "auto",
			NProbe:      48,
			Rewrite:     true,
		},
		Generator: GeneratorConfig{Kind: "extractive", Fallback: "extractive", MaxSentences: 3, MinScore: 0.4},
		Models:    defaultModels(),
		Server: ServerConfig{
			Addr:           "127.0.0.1:8080",
			MaxBodyBytes:   1 << 20,
			MaxUploadBytes: 64 << 20,
			ReadTimeout:    Duration(30 * time.Second),
			WriteTimeout:   Duration(120 * time.Second),
			IdleTimeout:    Duration(120 * time.Second),
			GracePeriod:    Duration(20 * time.Second),
		},
		Sessions:  SessionsConfig{TTL: Duration(24 * time.Hour), MaxTurns: 200, HistoryTurns: 10, Timeout: Duration(800 * time.Millisecond)},
		Telemetry: TelemetryConfig{ServiceName: "ragline", SampleRatio: 1},
		pos:       map[string]Position{},
	}
	agentDefaults(c)
	return c
}
