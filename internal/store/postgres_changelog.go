package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

var _ ChangeLog = (*Postgres)(nil)

// Changes returns up to limit changes after sequence after, in order.
func (s *Postgres) Changes(ctx context.Context, collection string, after int64, limit int) ([]Change, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, op, collection, document_id, key, rows FROM changes
		WHERE seq > $1 AND ($2 = '' OR collection = $2) ORDER BY seq LIMIT $3`, after, collection, limit)
	if err != nil {
		return nil, fmt.Errorf("changes: %w", s.wrap(err))
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var op string
		if err := rows.Scan(&c.Seq, &op, &c.Collection, &c.DocumentID, &c.Key, &c.Rows); err != nil {
			return nil, fmt.Errorf("changes: %w", s.wrap(err))
		}
		c.Op = ChangeOp(op)
		if len(c.Rows) == 0 {
			c.Rows = nil
		}
		out = append(out, c)
	}
	return out, s.wrap(rows.Err())
}

// LastChange returns the newest change's sequence, 0 when there is none.
// Once the listener runs (see Generation) it answers from memory, so a
// follower polling it costs no query and sees no error during an outage.
func (s *Postgres) LastChange(ctx context.Context) (int64, error) {
	if s.f.started.Load() {
		return s.f.gen.Load(), nil
	}
	var seq *int64
	if err := s.pool.QueryRow(ctx, `SELECT max(seq) FROM changes`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("last change: %w", s.wrap(err))
	}
	if seq == nil {
		return 0, nil
	}
	return *seq, nil
}

// DocumentTerms returns the indexed terms of a document's chunks in row
// order (a document that no longer exists has none), and keeps the
// chunks' records in memory for the query path.
func (s *Postgres) DocumentTerms(ctx context.Context, documentID string) ([]TermChunk, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pgChunkCols+`, c.title_terms, c.body_terms
		FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.document_id = $1 ORDER BY c.rowid`, documentID)
	if err != nil {
		return nil, fmt.Errorf("document terms: %w", s.wrap(err))
	}
	defer rows.Close()
	var out []TermChunk
	var recs []ChunkRecord
	for rows.Next() {
		var t TermChunk
		r, err := scanChunkRecord(rows, &t.Title, &t.Body)
		if err != nil {
			return nil, fmt.Errorf("document terms: %w", s.wrap(err))
		}
		t.RowID = r.RowID
		out = append(out, t)
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("document terms: %w", s.wrap(err))
	}
	s.cache.putChunks(recs)
	return out, nil
}

// RowVectors returns the stored vectors of the given chunk rows (rows
// without one, or deleted, are absent).
func (s *Postgres) RowVectors(ctx context.Context, rowids []int64) (map[int64][]float32, error) {
	out := make(map[int64][]float32, len(rowids))
	if len(rowids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT rowid, vec FROM chunk_vectors WHERE rowid = ANY($1)`, rowids)
	if err != nil {
		return nil, fmt.Errorf("row vectors: %w", s.wrap(err))
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			return nil, fmt.Errorf("row vectors: %w", s.wrap(err))
		}
		out[id] = DecodeVector(nil, b)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, s.wrap(err)
	}
	return out, nil
}
