package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ragline/ragline/internal/schema"
)

// ChangeOp says what a change did.
type ChangeOp string

// Change operations.
const (
	// OpAdd stored a document that did not exist.
	OpAdd ChangeOp = "add"
	// OpReplace stored a new version of a document: its old chunks (Rows)
	// are gone and its new ones are in the store.
	OpReplace ChangeOp = "replace"
	// OpDelete removed a document and its chunks (Rows).
	OpDelete ChangeOp = "delete"
	// OpEmbed stored vectors for existing chunks (Rows) of a collection;
	// DocumentID and Key are empty.
	OpEmbed ChangeOp = "embed"
)

// Change is one committed write, as recorded in the change log. A follower
// that has applied every change up to Seq applies this one by dropping
// the chunks in Rows (replace, delete) from its in-memory indexes and then
// reading the document's current chunks from the store (add, replace) or
// the vectors of Rows (embed). Applying a change twice, or applying it
// after reading a newer state of the document, gives the same index.
type Change struct {
	// Seq orders changes: it increases strictly in commit order and is
	// never reused, so "every change after S" is a well-defined catch-up.
	Seq        int64    `json:"seq"`
	Op         ChangeOp `json:"op"`
	Collection string   `json:"collection"`
	DocumentID string   `json:"document_id,omitempty"`
	Key        string   `json:"key,omitempty"`
	// Rows are chunk row ids: the removed chunks of a replace or delete,
	// the embedded chunks of an embed; empty for an add.
	Rows []int64 `json:"rows,omitempty"`
}

// ChangeLog is the store's ordered record of committed writes, written
// in the same transaction as the write itself. Processes that keep
// in-memory indexes follow it to pick up writes made by other processes
// (the CLI, other replicas) as deltas instead of rebuilding. Every Store
// that supports live followers implements it; implementations are safe
// for concurrent use.
type ChangeLog interface {
	// Changes returns up to limit changes with a sequence above after,
	// in sequence order; collection "" means every collection.
	Changes(ctx context.Context, collection string, after int64, limit int) ([]Change, error)
	// LastChange returns the sequence of the newest change (0 for none).
	LastChange(ctx context.Context) (int64, error)
}

var _ ChangeLog = (*SQLite)(nil)

// changeLogSQL creates the change log. AUTOINCREMENT makes SQLite never
// reuse a sequence, even after the newest rows are deleted; SQLite's
// single writer makes sequence order commit order.
const changeLogSQL = `
CREATE TABLE IF NOT EXISTS changes (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  op          TEXT NOT NULL,
  collection  TEXT NOT NULL,
  document_id TEXT NOT NULL DEFAULT '',
  key         TEXT NOT NULL DEFAULT '',
  rows        TEXT NOT NULL DEFAULT '',
  at          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_collection ON changes(collection, seq);
`

// logChange appends a change inside a write transaction.
func logChange(ctx context.Context, tx *sql.Tx, c Change) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO changes(op, collection, document_id, key, rows, at) VALUES (?, ?, ?, ?, ?, ?)`,
		string(c.Op), c.Collection, c.DocumentID, c.Key, formatRows(c.Rows), time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("log change: %w", err)
	}
	return nil
}

// putChange is the change a stored document logs: an add, or a replace
// whose Rows are the old version's chunks (removed).
func putChange(status PutStatus, doc schema.Document, removed []int64) Change {
	c := Change{Op: OpAdd, Collection: doc.Collection, DocumentID: doc.ID, Key: doc.Key, Rows: removed}
	if status == Replaced {
		c.Op = OpReplace
	}
	return c
}

// embedChanges are the changes storing vecs logs: one embed per
// collection, in collection order, with its rows ascending and distinct.
func embedChanges(vecs []ChunkVector) []Change {
	byColl := map[string][]int64{}
	for _, v := range vecs {
		byColl[v.Collection] = append(byColl[v.Collection], v.RowID)
	}
	out := make([]Change, 0, len(byColl))
	for _, c := range slices.Sorted(maps.Keys(byColl)) {
		rows := byColl[c]
		slices.Sort(rows)
		out = append(out, Change{Op: OpEmbed, Collection: c, Rows: slices.Compact(rows)})
	}
	return out
}

// formatRows writes row ids space-separated, runs of consecutive ids as
// "first-last" (a document's chunks are usually consecutive rows).
func formatRows(rows []int64) string {
	var b strings.Builder
	for i := 0; i < len(rows); {
		j := i
		for j+1 < len(rows) && rows[j+1] == rows[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatInt(rows[i], 10))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.FormatInt(rows[j], 10))
		}
		i = j + 1
	}
	return b.String()
}

// parseRows reads what formatRows wrote.
func parseRows(s string) ([]int64, error) {
	var out []int64
	for f := range strings.FieldsSeq(s) {
		lo, hi, isRange := strings.Cut(f, "-")
		a, err := strconv.ParseInt(lo, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("change rows %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseInt(hi, 10, 64); err != nil || b < a {
				return nil, fmt.Errorf("change rows %q: bad range %q", s, f)
			}
		}
		for r := a; r <= b; r++ {
			out = append(out, r)
		}
	}
	return out, nil
}

// Changes returns up to limit changes after sequence after, in order; a
// knowledge base written before the change log existed has none.
func (s *SQLite) Changes(ctx context.Context, collection string, after int64, limit int) ([]Change, error) {
	if ok, err := s.hasChangeLog(ctx); err != nil || !ok {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, op, collection, document_id, key, rows FROM changes
		WHERE seq > ? AND (? = '' OR collection = ?) ORDER BY seq LIMIT ?`, after, collection, collection, limit)
	if err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var op, rs string
		if err := rows.Scan(&c.Seq, &op, &c.Collection, &c.DocumentID, &c.Key, &rs); err != nil {
			return nil, fmt.Errorf("changes: %w", err)
		}
		c.Op = ChangeOp(op)
		if c.Rows, err = parseRows(rs); err != nil {
			return nil, fmt.Errorf("changes: seq %d: %w", c.Seq, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// LastChange returns the newest change's sequence, 0 when there is none.
func (s *SQLite) LastChange(ctx context.Context) (int64, error) {
	if ok, err := s.hasChangeLog(ctx); err != nil || !ok {
		return 0, err
	}
	var seq sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT max(seq) FROM changes`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("last change: %w", err)
	}
	return seq.Int64, nil
}

// hasChangeLog reports whether the changes table exists: a read-only
// knowledge base written by an older version has none.
func (s *SQLite) hasChangeLog(ctx context.Context) (bool, error) {
	if !s.readOnly {
		return true, nil
	}
	return s.hasTable(ctx, "changes")
}

// ID returns the knowledge base's identity: a random value set when it
// was created, which names the sequence space of its change log (a
// knowledge base removed and re-created starts its sequence again, under
// a new identity). Read-only knowledge bases from before it existed have
// none ("").
func (s *SQLite) ID(ctx context.Context) (string, error) {
	id, err := s.Meta(ctx, "kb_id")
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return id, err
}

// documentRows returns the row ids of a document's chunks, ascending.
func documentRows(ctx context.Context, tx *sql.Tx, id string) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT rowid FROM chunks WHERE document_id = ? ORDER BY rowid`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var r int64
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// TermChunk is one chunk's indexed terms, as the full-text table holds
// them (space-separated).
type TermChunk struct {
	RowID       int64
	Title, Body string
}

// DocumentTerms returns the indexed terms of a document's chunks in row
// order; a document that no longer exists has none.
func (s *SQLite) DocumentTerms(ctx context.Context, documentID string) ([]TermChunk, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT f.rowid, f.title, f.body FROM chunks c
		JOIN chunks_fts f ON f.rowid = c.rowid WHERE c.document_id = ? ORDER BY c.rowid`, documentID)
	if err != nil {
		return nil, fmt.Errorf("document terms: %w", err)
	}
	defer rows.Close()
	var out []TermChunk
	for rows.Next() {
		var t TermChunk
		if err := rows.Scan(&t.RowID, &t.Title, &t.Body); err != nil {
			return nil, fmt.Errorf("document terms: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RowVectors returns the stored vectors of the given chunk rows (rows
// without one, or deleted, are absent), in row order.
func (s *SQLite) RowVectors(ctx context.Context, rowids []int64) (map[int64][]float32, error) {
	out := make(map[int64][]float32, len(rowids))
	if ok, err := s.hasTable(ctx, "chunk_vectors"); err != nil || !ok {
		return out, err
	}
	const batch = 500
	for start := 0; start < len(rowids); start += batch {
		part := rowids[start:min(start+batch, len(rowids))]
		args := make([]any, len(part))
		for i, r := range part {
			args[i] = r
		}
		rows, err := s.db.QueryContext(ctx, `SELECT rowid, vec FROM chunk_vectors WHERE rowid IN (?`+strings.Repeat(",?", len(part)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("row vectors: %w", err)
		}
		for rows.Next() {
			var id int64
			var b []byte
			if err := rows.Scan(&id, &b); err != nil {
				rows.Close()
				return nil, fmt.Errorf("row vectors: %w", err)
			}
			out[id] = DecodeVector(nil, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// newID returns 16 random hex digits.
func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
