package store

import (
	"context"
	"errors"

	"github.com/ragline/ragline/internal/schema"
)

// Sentinel errors callers branch on.
var (
	// ErrNotFound is returned for an unknown document or chunk.
	ErrNotFound = errors.New("not found")
	// ErrReadOnly is returned by writes on a read-only knowledge base.
	ErrReadOnly = errors.New("knowledge base is read-only")
	// ErrSettingsMismatch is returned when a knowledge base was built with
	// other indexing settings than the ones in use.
	ErrSettingsMismatch = errors.New("knowledge base was built with different indexing settings")
)

// PutStatus tells what PutDocument did.
type PutStatus string

// Put outcomes.
const (
	Added     PutStatus = "added"
	Replaced  PutStatus = "replaced"
	Unchanged PutStatus = "unchanged"
)

// IndexedChunk is a chunk with the analyzer terms to index for it.
type IndexedChunk struct {
	Chunk      schema.Chunk
	Terms      []string // analyzer terms of Chunk.Text
	TitleTerms []string // analyzer terms of the title and heading path
}

// DocInfo is a document's metadata without its text.
type DocInfo struct {
	ID         string `json:"id"`
	Collection string `json:"collection"`
	Key        string `json:"key"`
	Source     string `json:"source"`
	Title      string `json:"title,omitempty"`
	Type       string `json:"type"`
	Language   string `json:"language,omitempty"`
	Hash       string `json:"hash"`
	Size       int64  `json:"size"`
	Pages      int    `json:"pages,omitempty"`
	Chars      int    `json:"chars"`
	Chunks     int    `json:"chunks"`
	IngestedAt string `json:"ingested_at"`
}

// Match is one lexical search result.
type Match struct {
	ChunkRowID int64
	Score      float64 // BM25, higher is better
}

// Query is a lexical search request.
type Query struct {
	// Collection restricts the search; it is required.
	Collection string
	// Terms are analyzer terms, OR-ed together.
	Terms []string
	// Weights, when not nil, holds one weight per term (same order): a
	// term's BM25 score is multiplied by its weight, and a repeated term
	// adds its weights. Nil means weight 1 for every occurrence, so a
	// term written twice counts twice, as BM25's query term frequency.
	Weights []float64
	// K is the number of chunks to return.
	K int
	// TitleWeight is the BM25 weight of the title column (text is 1).
	TitleWeight float64
}

// ChunkRecord is a stored chunk with the fields of its document that a
// citation needs.
type ChunkRecord struct {
	RowID      int64
	Chunk      schema.Chunk
	Collection string
	DocKey     string
	Source     string
	Title      string
	Type       string
}

// Store is the knowledge-base contract the rest of ragline depends on.
// Implementations are safe for concurrent use.
type Store interface {
	PutDocument(ctx context.Context, doc schema.Document, chunks []IndexedChunk) (PutStatus, error)
	DeleteDocument(ctx context.Context, id string) error
	Documents(ctx context.Context, collection string) ([]DocInfo, error)
	Document(ctx context.Context, id string) (schema.Document, error)
	Search(ctx context.Context, q Query) ([]Match, error)
	Chunks(ctx context.Context, rowids []int64) ([]ChunkRecord, error)
	Close() error
}
