package server

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/text"
)

// POST /v1/embeddings passes texts to the configured embedding model
// (models.embedding), so a client can embed with the same model the
// knowledge base's vectors come from.

// embedder is a knowledge base with an embedding model; *kb.KB is one.
type embedder interface {
	Embedder() model.Embedder
}

// maxEmbedInputs bounds one request, as OpenAI does.
const maxEmbedInputs = 2048

type embeddingsRequest struct {
	// Model is echoed; the configured embedding model answers whatever
	// it names.
	Model string          `json:"model"`
	Input json.RawMessage `json:"input"`
	// EncodingFormat is "float" (default) or "base64" (little-endian
	// float32, what the official SDKs ask for).
	EncodingFormat string `json:"encoding_format"`
	// Dimensions must be absent or the model's own dimensions.
	Dimensions *int   `json:"dimensions"`
	User       string `json:"user"`
}

type embeddingData struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"`
}

// configuredEmbedder returns the knowledge base's embedding model.
func (s *Server) configuredEmbedder() model.Embedder {
	var k any = s.kb
	if o, ok := k.(observedKB); ok {
		k = o.KnowledgeBase
	}
	if e, ok := k.(embedder); ok {
		return e.Embedder()
	}
	return nil
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	e := s.configuredEmbedder()
	if e == nil {
		s.writeError(w, r, &apiError{status: http.StatusNotFound, Type: "not_found", Field: "model",
			Message: "no embedding model is configured: set models.embedding in the configuration to serve /v1/embeddings"})
		return
	}
	var req embeddingsRequest
	if err := s.decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	texts, err := embedInputs(req.Input)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	switch req.EncodingFormat {
	case "", "float", "base64":
	default:
		s.writeError(w, r, badRequest("encoding_format", "encoding_format %q is not supported: want float or base64", req.EncodingFormat))
		return
	}
	if req.Dimensions != nil && *req.Dimensions != e.Dimensions() {
		s.writeError(w, r, badRequest("dimensions", "dimensions must be %d, the embedding model's (%s)", e.Dimensions(), e.ID()))
		return
	}
	vecs, err := e.Embed(r.Context(), texts)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(vecs) != len(texts) {
		s.writeError(w, r, fmt.Errorf("embeddings: %d vectors for %d texts", len(vecs), len(texts)))
		return
	}
	data := make([]embeddingData, len(vecs))
	tokens := 0
	for i, v := range vecs {
		data[i] = embeddingData{Object: "embedding", Index: i, Embedding: v}
		if req.EncodingFormat == "base64" {
			data[i].Embedding = base64Floats(v)
		}
		tokens += text.CountTokens(texts[i])
	}
	name := req.Model
	if name == "" {
		name = e.ID()
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data, "model": name,
		"usage": map[string]int{"prompt_tokens": tokens, "total_tokens": tokens}})
}

// embedInputs reads input: a string or an array of strings.
func embedInputs(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	var texts []string
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return nil, badRequest("input", "input is required: a string or an array of strings")
	case raw[0] == '"':
		var one string
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, badRequest("input", "invalid string: %v", err)
		}
		texts = []string{one}
	default:
		if err := json.Unmarshal(raw, &texts); err != nil {
			return nil, badRequest("input", "input must be a string or an array of strings (token arrays are not supported)")
		}
	}
	if len(texts) == 0 || len(texts) > maxEmbedInputs {
		return nil, badRequest("input", "input must hold 1 to %d strings, not %d", maxEmbedInputs, len(texts))
	}
	for i, t := range texts {
		if strings.TrimSpace(t) == "" {
			return nil, badRequest(fmt.Sprintf("input[%d]", i), "input strings must not be empty")
		}
	}
	return texts, nil
}

// base64Floats encodes a vector as OpenAI's base64 format: the float32
// values little-endian.
func base64Floats(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return base64.StdEncoding.EncodeToString(b)
}
