package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// vectorSchemaSQL adds the embedding tables. It only creates tables, so a
// knowledge base written before they existed gains them on its next
// writable open and stays readable; read-only ones without them simply
// have no vectors.
const vectorSchemaSQL = `
CREATE TABLE IF NOT EXISTS chunk_vectors (
  rowid      INTEGER PRIMARY KEY,
  collection TEXT NOT NULL,
  vec        BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunk_vectors_collection ON chunk_vectors(collection);
CREATE TABLE IF NOT EXISTS embedding_cache (
  embedder TEXT NOT NULL,
  hash     BLOB NOT NULL,
  vec      BLOB NOT NULL,
  PRIMARY KEY (embedder, hash)
) WITHOUT ROWID;
`

// Metadata keys of the embedder a knowledge base's vectors come from.
const (
	metaEmbedder   = "embedder"
	metaDimensions = "embedding_dimensions"
)

// ErrEmbedderMismatch is returned when a knowledge base holds vectors of
// another embedder than the configured one.
var ErrEmbedderMismatch = errors.New("knowledge base was embedded with a different embedder")

// EncodeVector stores a vector as little-endian float32s.
func EncodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// DecodeVector reads a vector written by EncodeVector into dst (grown as
// needed) and returns it.
func DecodeVector(dst []float32, b []byte) []float32 {
	n := len(b) / 4
	dst = append(dst[:0], make([]float32, n)...)
	for i := range n {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return dst
}

// TextHash is the embedding-cache key of a text.
func TextHash(text string) []byte {
	h := sha256.Sum256([]byte(text))
	return h[:]
}

func (s *SQLite) hasTable(ctx context.Context, name string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, name).Scan(&n)
	return n > 0, err
}

// CheckEmbedder verifies that the knowledge base's vectors, if any, come
// from embedder id with dims dimensions, and records them for a
// knowledge base that has none yet.
func (s *SQLite) CheckEmbedder(ctx context.Context, id string, dims int) error {
	return checkEmbedder(ctx, s, id, dims, fmt.Sprintf("re-index with this embedder (ingest again into a new --data directory, or remove %s and ingest again)", s.path))
}

// Embedder returns the embedder id and dimensions recorded for the
// knowledge base's vectors ("" when it has none).
func (s *SQLite) Embedder(ctx context.Context) (string, int, error) {
	return recordedEmbedder(ctx, s)
}

// recordedEmbedder returns the embedder id and dimensions recorded in a
// store's metadata ("" when none is).
func recordedEmbedder(ctx context.Context, s metaStore) (string, int, error) {
	id, err := s.Meta(ctx, metaEmbedder)
	if errors.Is(err, ErrNotFound) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, err
	}
	d, _ := s.Meta(ctx, metaDimensions)
	n, _ := strconv.Atoi(d)
	return id, n, nil
}

// VectorCount returns the number of stored chunk vectors.
func (s *SQLite) VectorCount(ctx context.Context) (int, error) {
	ok, err := s.hasTable(ctx, "chunk_vectors")
	if err != nil || !ok {
		return 0, err
	}
	var n int
	err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM chunk_vectors`).Scan(&n)
	return n, err
}

// PendingChunk is a chunk without a vector.
type PendingChunk struct {
	RowID      int64
	Collection string
	Title      string
	Headings   string // JSON list
	Text       string
}

// PendingChunks returns up to limit chunks that have no vector yet, in
// row order after the row id after.
func (s *SQLite) PendingChunks(ctx context.Context, after int64, limit int) ([]PendingChunk, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT c.rowid, c.collection, d.title, c.headings, c.text FROM chunks c
		JOIN documents d ON d.id = c.document_id
		WHERE c.rowid > ? AND NOT EXISTS (SELECT 1 FROM chunk_vectors v WHERE v.rowid = c.rowid)
		ORDER BY c.rowid LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("pending chunks: %w", err)
	}
	defer rows.Close()
	var out []PendingChunk
	for rows.Next() {
		var p PendingChunk
		if err := rows.Scan(&p.RowID, &p.Collection, &p.Title, &p.Headings, &p.Text); err != nil {
			return nil, fmt.Errorf("pending chunks: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// CachedEmbeddings looks texts up in the embedding cache of embedder and
// returns the vectors found, by index into hashes.
func (s *SQLite) CachedEmbeddings(ctx context.Context, embedder string, hashes [][]byte) (map[int][]float32, error) {
	out := map[int][]float32{}
	ok, err := s.hasTable(ctx, "embedding_cache")
	if err != nil || !ok {
		return out, err
	}
	const chunk = 400
	for start := 0; start < len(hashes); start += chunk {
		part := hashes[start:min(start+chunk, len(hashes))]
		args := make([]any, 0, len(part)+1)
		args = append(args, embedder)
		byHash := make(map[string][]int, len(part))
		for i, h := range part {
			args = append(args, h)
			byHash[string(h)] = append(byHash[string(h)], start+i)
		}
		q := `SELECT hash, vec FROM embedding_cache WHERE embedder = ? AND hash IN (?` + strings.Repeat(",?", len(part)-1) + `)`
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("embedding cache: %w", err)
		}
		for rows.Next() {
			var h, v []byte
			if err := rows.Scan(&h, &v); err != nil {
				rows.Close()
				return nil, fmt.Errorf("embedding cache: %w", err)
			}
			vec := DecodeVector(nil, v)
			for _, i := range byHash[string(h)] {
				out[i] = vec
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ChunkVector is one chunk's vector to store.
type ChunkVector struct {
	RowID      int64
	Collection string
	// Hash is the cache key of the embedded text; nil skips the cache.
	Hash []byte
	Vec  []float32
}

// PutVectors stores chunk vectors (and their cache entries under
// embedder) in one transaction and bumps the write generation, so
// in-memory vector indexes reload. A chunk deleted meanwhile is skipped.
func (s *SQLite) PutVectors(ctx context.Context, embedder string, vecs []ChunkVector) error {
	if s.readOnly {
		return ErrReadOnly
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("put vectors: %w", err)
	}
	defer tx.Rollback()
	put, err := tx.PrepareContext(ctx, `INSERT INTO chunk_vectors(rowid, collection, vec)
		SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM chunks WHERE rowid = ?)
		ON CONFLICT(rowid) DO UPDATE SET vec = excluded.vec, collection = excluded.collection`)
	if err != nil {
		return fmt.Errorf("put vectors: %w", err)
	}
	defer put.Close()
	cache, err := tx.PrepareContext(ctx, `INSERT INTO embedding_cache(embedder, hash, vec) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("put vectors: %w", err)
	}
	defer cache.Close()
	for _, v := range vecs {
		b := EncodeVector(v.Vec)
		if _, err := put.ExecContext(ctx, v.RowID, v.Collection, b, v.RowID); err != nil {
			return fmt.Errorf("put vectors: %w", err)
		}
		if v.Hash != nil {
			if _, err := cache.ExecContext(ctx, embedder, v.Hash, b); err != nil {
				return fmt.Errorf("put vectors: cache: %w", err)
			}
		}
	}
	for _, c := range embedChanges(vecs) {
		if err := logChange(ctx, tx, c); err != nil {
			return fmt.Errorf("put vectors: %w", err)
		}
	}
	if err := bumpGeneration(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("put vectors: %w", err)
	}
	return nil
}

// ChunkVectors calls fn for every vector of collection in row order; vec
// is only valid during the call.
func (s *SQLite) ChunkVectors(ctx context.Context, collection string, fn func(rowid int64, vec []float32)) error {
	ok, err := s.hasTable(ctx, "chunk_vectors")
	if err != nil || !ok {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT rowid, vec FROM chunk_vectors WHERE collection = ? ORDER BY rowid`, collection)
	if err != nil {
		return fmt.Errorf("chunk vectors: %w", err)
	}
	defer rows.Close()
	var buf []float32
	for rows.Next() {
		var id int64
		var b sql.RawBytes
		if err := rows.Scan(&id, &b); err != nil {
			return fmt.Errorf("chunk vectors: %w", err)
		}
		buf = DecodeVector(buf, b)
		fn(id, buf)
	}
	return rows.Err()
}

// EmbeddingCache calls fn for every cached embedding, grouped by embedder.
func (s *SQLite) EmbeddingCache(ctx context.Context, fn func(embedder string, hash, vec []byte) error) error {
	ok, err := s.hasTable(ctx, "embedding_cache")
	if err != nil || !ok {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT embedder, hash, vec FROM embedding_cache ORDER BY embedder`)
	if err != nil {
		return fmt.Errorf("embedding cache: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e string
		var h, v []byte
		if err := rows.Scan(&e, &h, &v); err != nil {
			return fmt.Errorf("embedding cache: %w", err)
		}
		if err := fn(e, h, v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// PutEmbeddingCache adds encoded vectors (see EncodeVector) to the
// embedding cache of embedder.
func (s *SQLite) PutEmbeddingCache(ctx context.Context, embedder string, hashes, vecs [][]byte) error {
	if len(hashes) == 0 {
		return nil
	}
	if s.readOnly {
		return ErrReadOnly
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("embedding cache: %w", err)
	}
	defer tx.Rollback()
	for i := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO embedding_cache(embedder, hash, vec) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, embedder, hashes[i], vecs[i]); err != nil {
			return fmt.Errorf("embedding cache: %w", err)
		}
	}
	return tx.Commit()
}
