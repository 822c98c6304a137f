package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
)

// IndexSettings is the part of the configuration that changes what is
// stored in a knowledge base. Only these settings enter the knowledge-base
// digest, so changing e.g. the server address keeps the digest.
type IndexSettings struct {
	Ingest   IngestConfig   `json:"ingest"`
	Chunker  ChunkerConfig  `json:"chunker"`
	Analyzer AnalyzerConfig `json:"analyzer"`
}

// Index returns the indexing-relevant settings.
func (c *Config) Index() IndexSettings {
	ix := IndexSettings{Ingest: c.Ingest, Chunker: c.Chunker, Analyzer: c.Analyzer}
	ix.Ingest.Workers = 0 // parallelism never changes the result
	ix.Ingest.Root = ""   // keys depend on it, not how documents are indexed
	return ix
}

// Digest returns the hex sha256 of the whole effective configuration in
// canonical JSON (secrets redacted, so rotating a key keeps the digest; the data
// directory is left out, so the digest is the same on every machine).
func (c *Config) Digest() string {
	cp := *c
	cp.Data = "" // where the knowledge base lives is not what it is
	cp.Store = StoreConfig{}
	cp.Sources = make([]Source, len(c.Sources))
	for i, src := range c.Sources {
		// Sources as written, relative to the config file, not to this machine.
		if rel, err := filepath.Rel(filepath.Dir(c.file), src.Path); err == nil && c.file != "" {
			src.Path = filepath.ToSlash(rel)
		}
		cp.Sources[i] = src
	}
	b, err := json.Marshal(&cp)
	if err != nil {
		panic(err) // every field is marshalable; a failure is a programming error
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
