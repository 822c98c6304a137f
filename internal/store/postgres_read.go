package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ragline/ragline/internal/schema"
)

// pgDocInfoCols matches scanDocInfo.
const pgDocInfoCols = `d.id, d.collection, d.key, d.source, d.title, d.type, d.language, d.hash, d.size, d.pages, d.chars, d.ingested_at,
	(SELECT count(*) FROM chunks c WHERE c.document_id = d.id)`

// Documents lists a collection's documents ordered by key (byte order, as
// SQLite); an empty collection name lists every collection.
func (s *Postgres) Documents(ctx context.Context, collection string) ([]DocInfo, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pgDocInfoCols+` FROM documents d
		WHERE $1 = '' OR d.collection = $1 ORDER BY d.collection COLLATE "C", d.key COLLATE "C"`, collection)
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", s.wrap(err))
	}
	defer rows.Close()
	var out []DocInfo
	for rows.Next() {
		d, err := scanDocInfo(rows)
		if err != nil {
			return nil, fmt.Errorf("list documents: %w", s.wrap(err))
		}
		out = append(out, d)
	}
	return out, s.wrap(rows.Err())
}

// DocumentInfo returns one document's metadata.
func (s *Postgres) DocumentInfo(ctx context.Context, id string) (DocInfo, error) {
	d, err := scanDocInfo(s.pool.QueryRow(ctx, `SELECT `+pgDocInfoCols+` FROM documents d WHERE d.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("document %s: %w", id, ErrNotFound)
	}
	return d, s.wrap(err)
}

// Document returns a document with its text and structure.
func (s *Postgres) Document(ctx context.Context, id string) (schema.Document, error) {
	var d schema.Document
	var blocks, meta string
	err := s.pool.QueryRow(ctx, `SELECT id, collection, key, source, title, type, language, hash, size, pages, text, blocks, metadata
		FROM documents WHERE id = $1`, id).Scan(&d.ID, &d.Collection, &d.Key, &d.Source, &d.Title, &d.Type, &d.Language, &d.Hash, &d.Size, &d.Pages, &d.Text, &blocks, &meta)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("document %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("document %s: %w", id, s.wrap(err))
	}
	_ = json.Unmarshal([]byte(blocks), &d.Blocks)
	_ = json.Unmarshal([]byte(meta), &d.Metadata)
	return d, nil
}

// Original returns the source content kept for a document, or
// ErrNotFound.
func (s *Postgres) Original(ctx context.Context, id string) ([]byte, error) {
	var data []byte
	err := s.pool.QueryRow(ctx, `SELECT data FROM originals WHERE document_id = $1`, id).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("original of %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("original of %s: %w", id, s.wrap(err))
	}
	return data, nil
}

// Collections lists collection names with their document counts.
func (s *Postgres) Collections(ctx context.Context) (map[string]int, error) {
	out, err := s.collections(ctx)
	if err != nil {
		if stale, ok := s.cache.staleCollections(err); ok {
			return stale, nil
		}
		return nil, err
	}
	s.cache.setCollections(out)
	return out, nil
}

func (s *Postgres) collections(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT collection, count(*) FROM documents GROUP BY collection`)
	if err != nil {
		return nil, fmt.Errorf("list collections: %w", s.wrap(err))
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			return nil, s.wrap(err)
		}
		out[name] = n
	}
	return out, s.wrap(rows.Err())
}

// Search is SQLite's FTS5 ranking (retrieval.engine fts5); PostgreSQL
// ranks in memory only, so ranking never depends on the store.
func (s *Postgres) Search(ctx context.Context, q Query) ([]Match, error) {
	return nil, fmt.Errorf("retrieval.engine fts5: %w (PostgreSQL ranks with the in-memory engine: set retrieval.engine: memory)", ErrUnsupported)
}

// DocFreq belongs to the fts5 engine too; see Search.
func (s *Postgres) DocFreq(ctx context.Context, terms []string) (map[string]int, int, error) {
	return nil, 0, fmt.Errorf("retrieval.engine fts5: %w (PostgreSQL ranks with the in-memory engine: set retrieval.engine: memory)", ErrUnsupported)
}

// Chunks loads chunks by row id, in the order given; unknown ids are
// skipped. Records come from memory when cached (see pgCache).
func (s *Postgres) Chunks(ctx context.Context, rowids []int64) ([]ChunkRecord, error) {
	if len(rowids) == 0 {
		return nil, nil
	}
	found, missing := s.cache.getChunks(rowids)
	if len(missing) > 0 {
		recs, err := s.loadChunks(ctx, `c.rowid = ANY($1)`, missing)
		if err != nil {
			return nil, err
		}
		s.cache.putChunks(recs)
		for _, r := range recs {
			found[r.RowID] = r
		}
	}
	out := make([]ChunkRecord, 0, len(rowids))
	for _, id := range rowids {
		if r, ok := found[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

const pgChunkCols = `c.rowid, c.id, c.document_id, c.ordinal, c.start_off, c.end_off, c.page, c.headings, c.tokens, c.text,
	d.collection, d.key, d.source, d.title, d.type`

func scanChunkRecord(sc interface{ Scan(...any) error }, extra ...any) (ChunkRecord, error) {
	var r ChunkRecord
	var headings string
	c := &r.Chunk
	dst := append([]any{&r.RowID, &c.ID, &c.DocumentID, &c.Ordinal, &c.Start, &c.End, &c.Page, &headings, &c.Tokens, &c.Text,
		&r.Collection, &r.DocKey, &r.Source, &r.Title, &r.Type}, extra...)
	if err := sc.Scan(dst...); err != nil {
		return r, err
	}
	_ = json.Unmarshal([]byte(headings), &c.Headings)
	return r, nil
}

// loadChunks reads the chunk records a condition on c selects.
func (s *Postgres) loadChunks(ctx context.Context, where string, arg any) ([]ChunkRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pgChunkCols+` FROM chunks c JOIN documents d ON d.id = c.document_id WHERE `+where, arg)
	if err != nil {
		return nil, fmt.Errorf("load chunks: %w", s.wrap(err))
	}
	defer rows.Close()
	var out []ChunkRecord
	for rows.Next() {
		r, err := scanChunkRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("load chunks: %w", s.wrap(err))
		}
		out = append(out, r)
	}
	return out, s.wrap(rows.Err())
}

// DocumentChunks returns a document's chunks in order.
func (s *Postgres) DocumentChunks(ctx context.Context, id string) ([]ChunkRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT rowid FROM chunks WHERE document_id = $1 ORDER BY ordinal`, id)
	if err != nil {
		return nil, s.wrap(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, s.wrap(err)
	}
	return s.Chunks(ctx, ids)
}

// ChunkTerms calls fn for every chunk of collection with its indexed title
// and body terms, in row order (as SQLite, so both build the same index),
// and keeps the chunk records in memory for the query path.
func (s *Postgres) ChunkTerms(ctx context.Context, collection string, fn func(rowid int64, title, body string)) error {
	rows, err := s.pool.Query(ctx, `SELECT `+pgChunkCols+`, c.title_terms, c.body_terms
		FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.collection = $1 ORDER BY c.rowid`, collection)
	if err != nil {
		return fmt.Errorf("chunk terms: %w", s.wrap(err))
	}
	defer rows.Close()
	var batch []ChunkRecord
	for rows.Next() {
		var title, body string
		r, err := scanChunkRecord(rows, &title, &body)
		if err != nil {
			return fmt.Errorf("chunk terms: %w", s.wrap(err))
		}
		fn(r.RowID, title, body)
		if batch = append(batch, r); len(batch) == 1000 {
			s.cache.putChunks(batch)
			batch = batch[:0]
		}
	}
	s.cache.putChunks(batch)
	return s.wrap(rows.Err())
}

// CheckEmbedder verifies that the stored vectors, if any, come from
// embedder id with dims dimensions, and records them for a database that
// has none yet.
func (s *Postgres) CheckEmbedder(ctx context.Context, id string, dims int) error {
	return checkEmbedder(ctx, s, id, dims, "re-index with this embedder into a new database")
}

// Embedder returns the embedder id and dimensions recorded for the stored
// vectors ("" when there are none).
func (s *Postgres) Embedder(ctx context.Context) (string, int, error) {
	return recordedEmbedder(ctx, s)
}

// VectorCount returns the number of stored chunk vectors.
func (s *Postgres) VectorCount(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM chunk_vectors`).Scan(&n)
	return n, s.wrap(err)
}

// PendingChunks returns up to limit chunks that have no vector yet, in
// row order after the row id after.
func (s *Postgres) PendingChunks(ctx context.Context, after int64, limit int) ([]PendingChunk, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.rowid, c.collection, d.title, c.headings, c.text FROM chunks c
		JOIN documents d ON d.id = c.document_id
		WHERE c.rowid > $1 AND NOT EXISTS (SELECT 1 FROM chunk_vectors v WHERE v.rowid = c.rowid)
		ORDER BY c.rowid LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("pending chunks: %w", s.wrap(err))
	}
	defer rows.Close()
	var out []PendingChunk
	for rows.Next() {
		var p PendingChunk
		if err := rows.Scan(&p.RowID, &p.Collection, &p.Title, &p.Headings, &p.Text); err != nil {
			return nil, fmt.Errorf("pending chunks: %w", s.wrap(err))
		}
		out = append(out, p)
	}
	return out, s.wrap(rows.Err())
}

// CachedEmbeddings looks texts up in the embedding cache of embedder and
// returns the vectors found, by index into hashes.
func (s *Postgres) CachedEmbeddings(ctx context.Context, embedder string, hashes [][]byte) (map[int][]float32, error) {
	out := map[int][]float32{}
	if len(hashes) == 0 {
		return out, nil
	}
	byHash := make(map[string][]int, len(hashes))
	for i, h := range hashes {
		byHash[string(h)] = append(byHash[string(h)], i)
	}
	rows, err := s.pool.Query(ctx, `SELECT hash, vec FROM embedding_cache WHERE embedder = $1 AND hash = ANY($2)`, embedder, hashes)
	if err != nil {
		return nil, fmt.Errorf("embedding cache: %w", s.wrap(err))
	}
	defer rows.Close()
	for rows.Next() {
		var h, v []byte
		if err := rows.Scan(&h, &v); err != nil {
			return nil, fmt.Errorf("embedding cache: %w", s.wrap(err))
		}
		vec := DecodeVector(nil, v)
		for _, i := range byHash[string(h)] {
			out[i] = vec
		}
	}
	return out, s.wrap(rows.Err())
}

// ChunkVectors calls fn for every vector of collection in row order; vec
// is only valid during the call.
func (s *Postgres) ChunkVectors(ctx context.Context, collection string, fn func(rowid int64, vec []float32)) error {
	rows, err := s.pool.Query(ctx, `SELECT rowid, vec FROM chunk_vectors WHERE collection = $1 ORDER BY rowid`, collection)
	if err != nil {
		return fmt.Errorf("chunk vectors: %w", s.wrap(err))
	}
	defer rows.Close()
	var buf []float32
	for rows.Next() {
		var id int64
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			return fmt.Errorf("chunk vectors: %w", s.wrap(err))
		}
		buf = DecodeVector(buf, b)
		fn(id, buf)
	}
	return s.wrap(rows.Err())
}

// Digest computes the knowledge-base digest exactly as SQLite does (same
// recipe, byte-order sorting), so a migrated knowledge base keeps it.
func (s *Postgres) Digest(ctx context.Context, settings string) (string, error) {
	rows, err := s.pool.Query(ctx, `SELECT collection, source, hash FROM documents
		ORDER BY collection COLLATE "C", hash COLLATE "C", source COLLATE "C"`)
	if err != nil {
		return "", fmt.Errorf("digest: %w", s.wrap(err))
	}
	defer rows.Close()
	d := newDigester(settings)
	for rows.Next() {
		var c, src, hash string
		if err := rows.Scan(&c, &src, &hash); err != nil {
			return "", fmt.Errorf("digest: %w", s.wrap(err))
		}
		d.add(c, src, hash)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("digest: %w", s.wrap(err))
	}
	return d.sum(), nil
}

// EmbeddingCache calls fn for every cached embedding, grouped by embedder.
func (s *Postgres) EmbeddingCache(ctx context.Context, fn func(embedder string, hash, vec []byte) error) error {
	rows, err := s.pool.Query(ctx, `SELECT embedder, hash, vec FROM embedding_cache ORDER BY embedder`)
	if err != nil {
		return fmt.Errorf("embedding cache: %w", s.wrap(err))
	}
	defer rows.Close()
	for rows.Next() {
		var e string
		var h, v []byte
		if err := rows.Scan(&e, &h, &v); err != nil {
			return fmt.Errorf("embedding cache: %w", s.wrap(err))
		}
		if err := fn(e, h, v); err != nil {
			return err
		}
	}
	return s.wrap(rows.Err())
}
