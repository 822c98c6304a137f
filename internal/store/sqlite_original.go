package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ragline/ragline/internal/schema"
)

// putOriginal stores a document's source content, when it has one, inside
// the document's write transaction; verb is INSERT or INSERT OR IGNORE.
func putOriginal(ctx context.Context, tx *sql.Tx, doc schema.Document, verb string) error {
	if len(doc.Original) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, verb+` INTO originals(document_id, data) VALUES(?, ?)`, doc.ID, doc.Original); err != nil {
		return fmt.Errorf("put %s: original: %w", doc.Key, err)
	}
	return nil
}

// Original returns the source content kept for a document (PDFs, whose
// pages are shown as images). ErrNotFound when there is none: an unknown
// document, a format that keeps none, or a knowledge base written before
// originals were kept.
func (s *SQLite) Original(ctx context.Context, id string) ([]byte, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT data FROM originals WHERE document_id = ?`, id).Scan(&data)
	switch {
	case errors.Is(err, sql.ErrNoRows), err != nil && strings.Contains(err.Error(), "no such table"):
		return nil, fmt.Errorf("original of %s: %w", id, ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("original of %s: %w", id, err)
	}
	return data, nil
}
