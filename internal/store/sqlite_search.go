package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// matchExpr builds the FTS5 query: the collection tag AND any of the terms.
func matchExpr(collection string, terms []string) string {
	var b strings.Builder
	b.WriteString(`coll:"`)
	b.WriteString(collectionToken(collection))
	b.WriteString(`" AND {title body}:(`)
	seen := make(map[string]bool, len(terms))
	n := 0
	for _, t := range terms {
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		if n > 0 {
			b.WriteString(" OR ")
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(t, `"`, `""`))
		b.WriteByte('"')
		n++
	}
	b.WriteByte(')')
	if n == 0 {
		return ""
	}
	return b.String()
}

// Search ranks a collection's chunks by BM25 over the query terms.
func (s *SQLite) Search(ctx context.Context, q Query) ([]Match, error) {
	expr := matchExpr(q.Collection, q.Terms)
	if expr == "" || q.K <= 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT rowid, -bm25(chunks_fts, 0.0, ?, 1.0) AS score
		FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts, 0.0, ?, 1.0) LIMIT ?`,
		q.TitleWeight, expr, q.TitleWeight, q.K)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	out := make([]Match, 0, q.K)
	for rows.Next() {
		var m Match
		if err := rows.Scan(&m.ChunkRowID, &m.Score); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Chunks loads chunks by row id, in the order given; unknown ids are
// skipped.
func (s *SQLite) Chunks(ctx context.Context, rowids []int64) ([]ChunkRecord, error) {
	if len(rowids) == 0 {
		return nil, nil
	}
	ph := strings.Repeat("?,", len(rowids))
	args := make([]any, len(rowids))
	for i, id := range rowids {
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, `SELECT c.rowid, c.id, c.document_id, c.ordinal, c.start, c.end, c.page, c.headings, c.tokens, c.text,
		d.collection, d.key, d.source, d.title, d.type
		FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.rowid IN (`+ph[:len(ph)-1]+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("load chunks: %w", err)
	}
	defer rows.Close()
	byID := make(map[int64]ChunkRecord, len(rowids))
	for rows.Next() {
		var r ChunkRecord
		var headings string
		c := &r.Chunk
		if err := rows.Scan(&r.RowID, &c.ID, &c.DocumentID, &c.Ordinal, &c.Start, &c.End, &c.Page, &headings, &c.Tokens, &c.Text,
			&r.Collection, &r.DocKey, &r.Source, &r.Title, &r.Type); err != nil {
			return nil, fmt.Errorf("load chunks: %w", err)
		}
		_ = json.Unmarshal([]byte(headings), &c.Headings)
		byID[r.RowID] = r
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]ChunkRecord, 0, len(rowids))
	for _, id := range rowids {
		if r, ok := byID[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// DocumentChunks returns a document's chunks in order.
func (s *SQLite) DocumentChunks(ctx context.Context, id string) ([]ChunkRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT rowid FROM chunks WHERE document_id = ? ORDER BY ordinal`, id)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var r int64
		if err := rows.Scan(&r); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, r)
	}
	rows.Close()
	return s.Chunks(ctx, ids)
}

// DocFreq returns, for each term, the number of chunks whose text or
// title contains it, and the total number of chunks.
func (s *SQLite) DocFreq(ctx context.Context, terms []string) (map[string]int, int, error) {
	out := make(map[string]int, len(terms))
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM chunks`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("doc freq: %w", err)
	}
	stmt, err := s.db.PrepareContext(ctx, `SELECT doc FROM chunks_vocab WHERE term = ?`)
	if err != nil {
		return nil, 0, fmt.Errorf("doc freq: %w", err)
	}
	defer stmt.Close()
	for _, t := range terms {
		if _, ok := out[t]; ok {
			continue
		}
		var n int
		err := stmt.QueryRowContext(ctx, t).Scan(&n)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, 0, fmt.Errorf("doc freq: %w", err)
		}
		out[t] = n
	}
	return out, total, nil
}
