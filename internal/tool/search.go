package tool

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/ragline/ragline/internal/search"
)

// Retriever finds the chunks of a collection that best match a query.
type Retriever interface {
	Retrieve(ctx context.Context, collection, query string, n int) (search.Result, error)
}

// maxHitText caps the text of one hit returned by search_documents.
const maxHitText = 1500

// SearchDocuments is the retriever as a tool.
func SearchDocuments(r Retriever, defaultTopK int) Tool {
	return Func{S: Spec{
		Name:        "search_documents",
		Description: "Search the knowledge base and return the best-matching passages with their sources.",
		Parameters: json.RawMessage(`{"type":"object","properties":{` +
			`"query":{"type":"string","minLength":1,"maxLength":4000},` +
			`"collection":{"type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"},` +
			`"top_k":{"type":"integer","minimum":1,"maximum":50}},"required":["query"],"additionalProperties":false}`),
		Risk: RiskLow,
	}, F: func(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
		var in struct {
			Query      string `json:"query"`
			Collection string `json:"collection"`
			TopK       int    `json:"top_k"`
		}
		if err := json.Unmarshal(args, &in); err != nil {
			return nil, err
		}
		if in.TopK == 0 {
			in.TopK = defaultTopK
		}
		res, err := r.Retrieve(ctx, in.Collection, in.Query, in.TopK)
		if err != nil {
			return nil, err
		}
		type hit struct {
			Rank       int     `json:"rank"`
			Score      float64 `json:"score"`
			DocumentID string  `json:"document_id"`
			ChunkID    string  `json:"chunk_id"`
			Source     string  `json:"source"`
			Title      string  `json:"title,omitempty"`
			Page       int     `json:"page"`
			Section    string  `json:"section,omitempty"`
			Start      int     `json:"start"`
			End        int     `json:"end"`
			Text       string  `json:"text"`
		}
		hits := make([]hit, 0, len(res.Hits))
		for _, h := range res.Hits {
			t := h.Chunk.Text
			if r := []rune(t); len(r) > maxHitText {
				t = string(r[:maxHitText]) + "…"
			}
			hits = append(hits, hit{Rank: h.Rank, Score: h.Score, DocumentID: h.Chunk.DocumentID, ChunkID: h.Chunk.ID,
				Source: h.Source, Title: h.Title, Page: h.Chunk.Page, Section: strings.Join(h.Chunk.Headings, " > "),
				Start: h.Chunk.Start, End: h.Chunk.End, Text: t})
		}
		return json.Marshal(map[string]any{"query": in.Query, "hits": hits})
	}}
}

// Collection returns the collection a call of tool name with args reads:
// its "collection" argument, or "" (the default collection) for a
// search_documents call that names none. ok is false for a call that
// names no collection. Every path that calls tools on a caller's behalf
// (POST /v1/invoke, agent rules, the tool-calling loop) holds this
// collection to the caller's key.
func Collection(name string, args json.RawMessage) (collection string, ok bool) {
	var in struct {
		Collection *string `json:"collection"`
	}
	if json.Unmarshal(args, &in) != nil {
		return "", name == "search_documents"
	}
	if in.Collection == nil {
		return "", name == "search_documents"
	}
	return *in.Collection, true
}

// WithCollection returns args with its "collection" set to collection
// when it names none; args that are not a JSON object are returned as
// they are, for the schema check to report.
func WithCollection(args json.RawMessage, collection string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(args, &m) != nil || m == nil {
		if len(strings.TrimSpace(string(args))) != 0 {
			return args
		}
		m = map[string]json.RawMessage{}
	}
	if _, set := m["collection"]; set {
		return args
	}
	b, err := json.Marshal(collection)
	if err != nil {
		return args
	}
	m["collection"] = b
	out, err := json.Marshal(m)
	if err != nil {
		return args
	}
	return out
}
