package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Backend is everything a knowledge base needs from its system of record.
// The embedded SQLite store and the PostgreSQL store implement it with the
// same behaviour; implementations are safe for concurrent use.
type Backend interface {
	Store
	ChangeLog
	// ID names the knowledge base (and so its change log's sequence
	// space); "" for an old read-only one without it.
	ID(ctx context.Context) (string, error)
	DocumentTerms(ctx context.Context, documentID string) ([]TermChunk, error)
	RowVectors(ctx context.Context, rowids []int64) (map[int64][]float32, error)
	PutDocuments(ctx context.Context, docs []DocumentChunks) ([]PutStatus, error)
	Unchanged(ctx context.Context, collection, key, hash string) (bool, error)
	DocumentInfo(ctx context.Context, id string) (DocInfo, error)
	DocumentChunks(ctx context.Context, id string) ([]ChunkRecord, error)
	Original(ctx context.Context, id string) ([]byte, error)
	Collections(ctx context.Context) (map[string]int, error)
	Meta(ctx context.Context, key string) (string, error)
	SetMeta(ctx context.Context, key, value string) error
	Digest(ctx context.Context, settings string) (string, error)
	Generation(ctx context.Context) (int64, error)
	ChunkTerms(ctx context.Context, collection string, fn func(rowid int64, title, body string)) error
	DocFreq(ctx context.Context, terms []string) (map[string]int, int, error)

	CheckEmbedder(ctx context.Context, id string, dims int) error
	Embedder(ctx context.Context) (string, int, error)
	VectorCount(ctx context.Context) (int, error)
	PendingChunks(ctx context.Context, after int64, limit int) ([]PendingChunk, error)
	CachedEmbeddings(ctx context.Context, embedder string, hashes [][]byte) (map[int][]float32, error)
	PutVectors(ctx context.Context, embedder string, vecs []ChunkVector) error
	ChunkVectors(ctx context.Context, collection string, fn func(rowid int64, vec []float32)) error
	EmbeddingCache(ctx context.Context, fn func(embedder string, hash, vec []byte) error) error
	PutEmbeddingCache(ctx context.Context, embedder string, hashes, vecs [][]byte) error

	Ping(ctx context.Context) error
	ReadOnly() bool
	// Path names the store for messages: a file, or a URL without its
	// password.
	Path() string
}

var (
	_ Backend = (*SQLite)(nil)
	_ Backend = (*Postgres)(nil)
)

// OpenData opens the store a --data argument names: a postgres:// or
// postgresql:// URL opens PostgreSQL, anything else the SQLite file or
// directory (see Resolve).
func OpenData(ctx context.Context, data string, o Options) (Backend, error) {
	if IsURL(data) {
		return OpenPostgres(ctx, data, o)
	}
	s, err := Open(ctx, data, o)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Copy copies every document (text, structure, original, ingestion time),
// chunk (offsets and analyzer terms), vector, the embedding cache and the
// indexing stamp from one store into another, keeping the digest. Chunk
// row ids are the destination's own.
func Copy(ctx context.Context, from, to Backend, progress func(done, total int)) error {
	if stamp, err := from.Meta(ctx, "stamp"); err == nil {
		if err := to.SetMeta(ctx, "stamp", stamp); err != nil {
			return fmt.Errorf("copy: %w", err)
		}
	}
	emb, dims, err := from.Embedder(ctx)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if emb != "" {
		if err := to.CheckEmbedder(ctx, emb, dims); err != nil {
			return fmt.Errorf("copy: %w", err)
		}
	}
	docs, err := from.Documents(ctx, "")
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	// Documents are written in the order of their chunks in the source,
	// so each collection's chunks keep their relative order, and the
	// in-memory index (which breaks score ties by that order) ranks the
	// copy exactly as the original.
	first := make(map[string]int64, len(docs))
	for _, d := range docs {
		recs, err := from.DocumentChunks(ctx, d.ID)
		if err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		if len(recs) > 0 {
			first[d.ID] = recs[0].RowID
		}
	}
	sort.SliceStable(docs, func(i, j int) bool {
		if docs[i].Collection != docs[j].Collection {
			return docs[i].Collection < docs[j].Collection
		}
		return first[docs[i].ID] < first[docs[j].ID]
	})
	type terms struct{ title, body string }
	var (
		coll     string
		termsOf  map[int64]terms
		vectorOf map[int64][]float32
	)
	const group = 64
	var batch []DocumentChunks
	var batchVecs [][][]float32 // per document, per chunk ordinal
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if _, err := to.PutDocuments(ctx, batch); err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		var vecs []ChunkVector
		for i, dc := range batch {
			if len(batchVecs[i]) == 0 {
				continue
			}
			recs, err := to.DocumentChunks(ctx, DocumentID(dc.Doc.Collection, dc.Doc.Key))
			if err != nil {
				return fmt.Errorf("copy: %w", err)
			}
			for _, r := range recs {
				if v := batchVecs[i][r.Chunk.Ordinal]; v != nil {
					vecs = append(vecs, ChunkVector{RowID: r.RowID, Collection: dc.Doc.Collection, Vec: v})
				}
			}
		}
		if len(vecs) > 0 {
			if err := to.PutVectors(ctx, emb, vecs); err != nil {
				return fmt.Errorf("copy: %w", err)
			}
		}
		batch, batchVecs = batch[:0], batchVecs[:0]
		return nil
	}
	for n, info := range docs {
		if info.Collection != coll {
			if err := flush(); err != nil {
				return err
			}
			coll = info.Collection
			termsOf, vectorOf = map[int64]terms{}, map[int64][]float32{}
			if err := from.ChunkTerms(ctx, coll, func(id int64, t, b string) { termsOf[id] = terms{t, b} }); err != nil {
				return fmt.Errorf("copy: %w", err)
			}
			if err := from.ChunkVectors(ctx, coll, func(id int64, v []float32) { vectorOf[id] = append([]float32(nil), v...) }); err != nil {
				return fmt.Errorf("copy: %w", err)
			}
		}
		doc, err := from.Document(ctx, info.ID)
		if err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		if doc.Original, err = from.Original(ctx, info.ID); err != nil && !isNotFound(err) {
			return fmt.Errorf("copy: %w", err)
		}
		recs, err := from.DocumentChunks(ctx, info.ID)
		if err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		chunks := make([]IndexedChunk, len(recs))
		vecs := make([][]float32, len(recs))
		for i, r := range recs {
			t := termsOf[r.RowID]
			chunks[i] = IndexedChunk{Chunk: r.Chunk, Terms: strings.Fields(t.body), TitleTerms: strings.Fields(t.title)}
			vecs[i] = vectorOf[r.RowID]
		}
		if !hasAny(vecs) {
			vecs = nil
		}
		batch = append(batch, DocumentChunks{Doc: doc, Chunks: chunks, IngestedAt: info.IngestedAt})
		batchVecs = append(batchVecs, vecs)
		if len(batch) == group {
			if err := flush(); err != nil {
				return err
			}
		}
		if progress != nil {
			progress(n+1, len(docs))
		}
	}
	if err := flush(); err != nil {
		return err
	}
	var hashes, vecs [][]byte
	var cur string
	err = from.EmbeddingCache(ctx, func(embedder string, h, v []byte) error {
		if embedder != cur || len(hashes) == 500 {
			if err := to.PutEmbeddingCache(ctx, cur, hashes, vecs); err != nil {
				return err
			}
			cur, hashes, vecs = embedder, nil, nil
		}
		hashes, vecs = append(hashes, h), append(vecs, v)
		return nil
	})
	if err == nil {
		err = to.PutEmbeddingCache(ctx, cur, hashes, vecs)
	}
	if err != nil {
		return fmt.Errorf("copy: embedding cache: %w", err)
	}
	return nil
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

func hasAny(v [][]float32) bool {
	for _, x := range v {
		if x != nil {
			return true
		}
	}
	return false
}
