package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"unicode/utf8"
)

// digestVersion changes whenever the digest recipe changes.
const digestVersion = "ragline-kb-digest/1"

// Digest computes the knowledge-base digest: sha256 over the recipe
// version, the indexing settings (config digest input and stamp) and the
// sorted (collection, source, content hash) of every document. Paths,
// times and machine details never enter it, so the same corpus and
// settings give the same digest everywhere.
func (s *SQLite) Digest(ctx context.Context, settings string) (string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT collection, source, hash FROM documents ORDER BY collection, hash, source`)
	if err != nil {
		return "", fmt.Errorf("digest: %w", err)
	}
	defer rows.Close()
	d := newDigester(settings)
	for rows.Next() {
		var c, src, hash string
		if err := rows.Scan(&c, &src, &hash); err != nil {
			return "", fmt.Errorf("digest: %w", err)
		}
		d.add(c, src, hash)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("digest: %w", err)
	}
	return d.sum(), nil
}

// Snapshot writes a compacted, read-only copy of the knowledge base to out,
// stamped with its digest and the settings it was computed from. It
// writes to a temporary file and renames it into place, so out is either
// complete or absent.
func (s *SQLite) Snapshot(ctx context.Context, out, settings string) (string, error) {
	digest, err := s.Digest(ctx, settings)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", fmt.Errorf("snapshot: %w", err)
	}
	tmp := out + ".tmp"
	_ = os.Remove(tmp)
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return "", fmt.Errorf("snapshot: %w", err)
	}
	if err := finishSnapshot(ctx, tmp, digest, settings); err != nil {
		_ = os.Remove(tmp)
		return "", err
	}
	_ = os.Chmod(tmp, 0o444)
	if err := os.Rename(tmp, out); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("snapshot: %w", err)
	}
	return digest, nil
}

func finishSnapshot(ctx context.Context, file, digest, settings string) error {
	db, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer db.Close()
	for _, q := range []string{
		`INSERT INTO chunks_fts(chunks_fts) VALUES('optimize')`,
		`PRAGMA journal_mode=DELETE`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("snapshot: %s: %w", q, err)
		}
	}
	for k, v := range map[string]string{"digest": digest, "digest_settings": settings, "snapshot": "1"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	if _, err := db.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("snapshot: vacuum: %w", err)
	}
	return nil
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	Digest     string   `json:"digest"`
	Stamped    string   `json:"stamped_digest"`
	Documents  int      `json:"documents"`
	Chunks     int      `json:"chunks"`
	Problems   []string `json:"problems"`
	Consistent bool     `json:"ok"`
}

// Verify checks a knowledge base end to end: SQLite page integrity, the
// full-text index, every document's text against its stored hash, every
// chunk's text against its document's text at its offsets, and — for a
// snapshot — the stamped digest against a recomputed one.
func (s *SQLite) Verify(ctx context.Context) (VerifyReport, error) {
	var r VerifyReport
	problem := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }

	var ic string
	if err := s.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ic); err != nil {
		return r, fmt.Errorf("verify: %w", err)
	}
	if ic != "ok" {
		problem("sqlite integrity: %s", ic)
	}
	if !s.readOnly {
		if _, err := s.db.ExecContext(ctx, `INSERT INTO chunks_fts(chunks_fts, rank) VALUES('integrity-check', 0)`); err != nil {
			problem("full-text index: %v", err)
		}
	}
	var orphan int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM chunks c LEFT JOIN documents d ON d.id = c.document_id WHERE d.id IS NULL`).Scan(&orphan); err != nil {
		return r, fmt.Errorf("verify: %w", err)
	}
	if orphan > 0 {
		problem("%d chunks without a document", orphan)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, key, text, text_hash FROM documents ORDER BY id`)
	if err != nil {
		return r, fmt.Errorf("verify: %w", err)
	}
	type docText struct{ key, text string }
	texts := map[string]docText{}
	for rows.Next() {
		var id, key, text, th string
		if err := rows.Scan(&id, &key, &text, &th); err != nil {
			rows.Close()
			return r, fmt.Errorf("verify: %w", err)
		}
		r.Documents++
		sum := sha256.Sum256([]byte(text))
		if hex.EncodeToString(sum[:]) != th {
			problem("document %s (%s): text does not match its hash", id, key)
		}
		texts[id] = docText{key, text}
	}
	rows.Close()
	crow, err := s.db.QueryContext(ctx, `SELECT document_id, ordinal, start, end, text FROM chunks ORDER BY document_id, ordinal`)
	if err != nil {
		return r, fmt.Errorf("verify: %w", err)
	}
	var curID string
	var runes []rune
	for crow.Next() {
		var docID, text string
		var ord, start, end int
		if err := crow.Scan(&docID, &ord, &start, &end, &text); err != nil {
			crow.Close()
			return r, fmt.Errorf("verify: %w", err)
		}
		r.Chunks++
		if docID != curID {
			curID = docID
			runes = []rune(texts[docID].text)
		}
		if start < 0 || end > len(runes) || start > end || string(runes[start:end]) != text || !utf8.ValidString(text) {
			problem("chunk %s#%d: text does not match the document at [%d,%d)", docID, ord, start, end)
		}
	}
	crow.Close()

	if stamped, err := s.Meta(ctx, "digest"); err == nil {
		r.Stamped = stamped
		settings, err := s.Meta(ctx, "digest_settings")
		if err != nil {
			problem("snapshot has a digest but no digest settings")
		} else {
			r.Digest, err = s.Digest(ctx, settings)
			if err != nil {
				return r, err
			}
			if r.Digest != stamped {
				problem("digest mismatch: stamped %s, recomputed %s", stamped, r.Digest)
			}
		}
	} else if !errors.Is(err, ErrNotFound) {
		return r, err
	}
	r.Consistent = len(r.Problems) == 0
	return r, nil
}
