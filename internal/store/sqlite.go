package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/ragline/ragline/internal/schema"
)

// FileName is the database file inside a knowledge-base directory.
const FileName = "ragline.db"

// Options configure Open.
type Options struct {
	// ReadOnly opens the database immutable: no writes, no locks, no WAL,
	// as needed for a snapshot on a read-only filesystem.
	ReadOnly bool
	// Stamp identifies the indexing settings (analyzer and chunker
	// versions and options). A knowledge base remembers the stamp it was
	// built with and refuses to be used with another one.
	Stamp string
	// Logger receives connection events of a PostgreSQL store (lost,
	// restored); nil logs nothing.
	Logger *slog.Logger
}

// SQLite is the embedded Store: one SQLite database file. It is safe for
// concurrent use; writes are serialised by SQLite.
type SQLite struct {
	db       *sql.DB
	path     string
	readOnly bool
	// immutable is set for snapshots opened read-only: nothing can change
	// them, so the write generation is read once.
	immutable bool
	gen       int64
}

var _ Store = (*SQLite)(nil)

// Resolve maps a --data argument to the database file: a directory holds
// FileName, anything else is the database file itself.
func Resolve(data string) string {
	if st, err := os.Stat(data); err == nil {
		if st.IsDir() {
			return filepath.Join(data, FileName)
		}
		return data
	}
	if filepath.Ext(data) == "" {
		return filepath.Join(data, FileName)
	}
	return data
}

// isWAL reports whether the database file is in WAL mode (header bytes 18
// and 19 are 2), i.e. a live knowledge base that a writer may be changing.
func isWAL(file string) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	var hdr [20]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return false
	}
	return hdr[18] == 2 || hdr[19] == 2
}

// Open opens (creating when writable) the knowledge base at path, which is
// a directory or a database file (see Resolve).
func Open(ctx context.Context, path string, o Options) (*SQLite, error) {
	file := Resolve(path)
	q := url.Values{}
	immutable := false
	if !o.ReadOnly && isSnapshot(file) {
		o.ReadOnly = true
	}
	if o.ReadOnly {
		if _, err := os.Stat(file); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("open knowledge base: no knowledge base at %s (create one with `ragline ingest --data %s PATH...`): %w", path, path, err)
			}
			return nil, fmt.Errorf("open knowledge base: %w", err)
		}
		q.Set("mode", "ro")
		if !isWAL(file) {
			// A snapshot: nothing else writes it, so skip locking entirely
			// (works on read-only filesystems too).
			q.Set("immutable", "1")
			immutable = true
		}
	} else {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return nil, fmt.Errorf("open knowledge base: %w", err)
		}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "foreign_keys(ON)")
		q.Set("_txlock", "immediate")
	}
	dsn := "file:" + file + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open knowledge base %s: %w", file, err)
	}
	s := &SQLite{db: db, path: file, readOnly: o.ReadOnly}
	if err := s.init(ctx, o); err != nil {
		db.Close()
		return nil, err
	}
	if immutable {
		g, err := s.Generation(ctx)
		if err != nil {
			db.Close()
			return nil, err
		}
		s.gen, s.immutable = g, true
	}
	return s, nil
}

func (s *SQLite) init(ctx context.Context, o Options) error {
	if !s.readOnly {
		if _, err := s.db.ExecContext(ctx, schemaSQL+vectorSchemaSQL+changeLogSQL); err != nil {
			return fmt.Errorf("open knowledge base %s: create schema: %w", s.path, err)
		}
		if err := s.ensureMeta(ctx, "schema_version", schemaVersion); err != nil {
			return err
		}
		if err := s.ensureMeta(ctx, "kb_id", newID()); err != nil {
			return err
		}
	}
	v, err := s.Meta(ctx, "schema_version")
	if err != nil {
		return fmt.Errorf("open knowledge base %s: not a ragline knowledge base: %w", s.path, err)
	}
	if v != schemaVersion {
		return fmt.Errorf("open knowledge base %s: schema version %s, this ragline reads %s", s.path, v, schemaVersion)
	}
	return checkStamp(ctx, s, o.Stamp)
}

func (s *SQLite) ensureMeta(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO NOTHING`, key, value)
	return err
}

// Meta returns a metadata value or ErrNotFound.
func (s *SQLite) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("meta %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("meta %s: %w", key, err)
	}
	return v, nil
}

// SetMeta stores a metadata value.
func (s *SQLite) SetMeta(ctx context.Context, key, value string) error {
	if s.readOnly {
		return ErrReadOnly
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("set meta %s: %w", key, err)
	}
	return nil
}

// Path returns the database file.
func (s *SQLite) Path() string { return s.path }

// ReadOnly reports whether the knowledge base was opened read-only.
func (s *SQLite) ReadOnly() bool { return s.readOnly }

// Close closes the database.
func (s *SQLite) Close() error { return s.db.Close() }

// DocumentID derives the stable document id from collection and key.
func DocumentID(collection, key string) string {
	sum := sha256.Sum256([]byte(collection + "\x00" + key))
	return hex.EncodeToString(sum[:8])
}

// collectionToken is the FTS5 term that tags a collection's chunks, so a
// collection filter is part of the full-text match itself.
func collectionToken(collection string) string {
	sum := sha256.Sum256([]byte(collection))
	return "c" + hex.EncodeToString(sum[:8])
}

// Unchanged reports whether the document with this collection and key is
// stored with the given content hash, so callers can skip extraction work.
func (s *SQLite) Unchanged(ctx context.Context, collection, key, hash string) (bool, error) {
	var h string
	err := s.db.QueryRowContext(ctx, `SELECT hash FROM documents WHERE collection = ? AND key = ?`, collection, key).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return h == hash, nil
}

// PutDocument stores a document and its chunks in one transaction. An
// unchanged document (same collection, key and hash) is left as it is; a
// changed one has all its chunks replaced atomically.
func (s *SQLite) PutDocument(ctx context.Context, doc schema.Document, chunks []IndexedChunk) (PutStatus, error) {
	st, err := s.PutDocuments(ctx, []DocumentChunks{{Doc: doc, Chunks: chunks}})
	if err != nil {
		return "", err
	}
	return st[0], nil
}

// DocumentChunks is a document with its indexed chunks.
type DocumentChunks struct {
	Doc    schema.Document
	Chunks []IndexedChunk
	// IngestedAt keeps a copied document's ingestion time (RFC 3339);
	// empty means now.
	IngestedAt string
}

// PutDocuments stores several documents in one transaction: each is
// written whole or not at all, and grouping small documents amortises the
// full-text index's per-commit segment flush. On error nothing of the
// group is stored.
func (s *SQLite) PutDocuments(ctx context.Context, docs []DocumentChunks) ([]PutStatus, error) {
	if s.readOnly {
		return nil, ErrReadOnly
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("put: %w", err)
	}
	defer tx.Rollback()
	w, err := newTxWriter(ctx, tx)
	if err != nil {
		return nil, err
	}
	defer w.close()
	out := make([]PutStatus, len(docs))
	for i, dc := range docs {
		if out[i], err = w.put(ctx, dc.Doc, dc.Chunks, dc.IngestedAt); err != nil {
			return nil, err
		}
	}
	if err := bumpGeneration(ctx, tx); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("put: commit: %w", err)
	}
	return out, nil
}

// txWriter holds the prepared statements of one write transaction.
type txWriter struct {
	tx               *sql.Tx
	hash, doc, chunk *sql.Stmt
	fts              *sql.Stmt
}

func newTxWriter(ctx context.Context, tx *sql.Tx) (*txWriter, error) {
	w := &txWriter{tx: tx}
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = tx.PrepareContext(ctx, q)
		return st
	}
	w.hash = prep(`SELECT hash FROM documents WHERE id = ?`)
	w.doc = prep(`INSERT INTO documents
		(id, collection, key, source, title, type, language, hash, text_hash, size, pages, chars, text, blocks, metadata, ingested_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	w.chunk = prep(`INSERT INTO chunks
		(id, document_id, collection, ordinal, start, end, page, headings, tokens, text)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	w.fts = prep(`INSERT INTO chunks_fts(rowid, coll, title, body) VALUES (?, ?, ?, ?)`)
	if err != nil {
		w.close()
		return nil, fmt.Errorf("put: prepare: %w", err)
	}
	return w, nil
}

func (w *txWriter) close() {
	for _, st := range []*sql.Stmt{w.hash, w.doc, w.chunk, w.fts} {
		if st != nil {
			st.Close()
		}
	}
}

func (w *txWriter) put(ctx context.Context, doc schema.Document, chunks []IndexedChunk, ingestedAt string) (PutStatus, error) {
	doc.ID = DocumentID(doc.Collection, doc.Key)
	status := Added
	var oldHash string
	var removed []int64
	err := w.hash.QueryRowContext(ctx, doc.ID).Scan(&oldHash)
	switch {
	case err == nil && oldHash == doc.Hash:
		// A document stored before originals were kept gets its own now.
		return Unchanged, putOriginal(ctx, w.tx, doc, `INSERT OR IGNORE`)
	case err == nil:
		status = Replaced
		if removed, err = deleteDocTx(ctx, w.tx, doc.ID); err != nil {
			return "", fmt.Errorf("put %s: %w", doc.Key, err)
		}
	case !errors.Is(err, sql.ErrNoRows):
		return "", fmt.Errorf("put %s: %w", doc.Key, err)
	}

	blocks, _ := json.Marshal(doc.Blocks)
	meta := []byte("{}")
	if doc.Metadata != nil {
		meta, _ = json.Marshal(doc.Metadata)
	}
	textHash := sha256.Sum256([]byte(doc.Text))
	chars := utf8.RuneCountInString(doc.Text)
	if ingestedAt == "" {
		ingestedAt = time.Now().UTC().Format(time.RFC3339)
	}
	_, err = w.doc.ExecContext(ctx,
		doc.ID, doc.Collection, doc.Key, doc.Source, doc.Title, doc.Type, doc.Language, doc.Hash,
		hex.EncodeToString(textHash[:]), doc.Size, doc.Pages, chars, doc.Text, string(blocks), string(meta), ingestedAt)
	if err != nil {
		return "", fmt.Errorf("put %s: insert document: %w", doc.Key, err)
	}
	if err := putOriginal(ctx, w.tx, doc, `INSERT`); err != nil {
		return "", err
	}
	coll := collectionToken(doc.Collection)
	for i, ic := range chunks {
		c := ic.Chunk
		c.DocumentID = doc.ID
		c.Ordinal = i
		c.ID = doc.ID + "#" + strconv.Itoa(i)
		headings := []byte("[]")
		if c.Headings != nil {
			headings, _ = json.Marshal(c.Headings)
		}
		res, err := w.chunk.ExecContext(ctx, c.ID, c.DocumentID, doc.Collection, c.Ordinal, c.Start, c.End, c.Page, string(headings), c.Tokens, c.Text)
		if err != nil {
			return "", fmt.Errorf("put %s: insert chunk %d: %w", doc.Key, i, err)
		}
		rowid, err := res.LastInsertId()
		if err != nil {
			return "", fmt.Errorf("put %s: %w", doc.Key, err)
		}
		if _, err := w.fts.ExecContext(ctx, rowid, coll, strings.Join(ic.TitleTerms, " "), strings.Join(ic.Terms, " ")); err != nil {
			return "", fmt.Errorf("put %s: index chunk %d: %w", doc.Key, i, err)
		}
	}
	if err := logChange(ctx, w.tx, putChange(status, doc, removed)); err != nil {
		return "", fmt.Errorf("put %s: %w", doc.Key, err)
	}
	return status, nil
}

// deleteDocTx removes a document with everything that belongs to it and
// returns the row ids of its chunks.
func deleteDocTx(ctx context.Context, tx *sql.Tx, id string) ([]int64, error) {
	rows, err := documentRows(ctx, tx, id)
	if err != nil {
		return nil, fmt.Errorf("delete: %w", err)
	}
	return rows, deleteDocRows(ctx, tx, id)
}

func deleteDocRows(ctx context.Context, tx *sql.Tx, id string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM chunk_vectors WHERE rowid IN (SELECT rowid FROM chunks WHERE document_id = ?)`, id); err != nil {
		return fmt.Errorf("delete vectors: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM chunks_fts WHERE rowid IN (SELECT rowid FROM chunks WHERE document_id = ?)`, id); err != nil {
		return fmt.Errorf("delete index rows: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM chunks WHERE document_id = ?`, id); err != nil {
		return fmt.Errorf("delete chunks: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM originals WHERE document_id = ?`, id); err != nil {
		return fmt.Errorf("delete original: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM documents WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete document: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteDocument removes a document, its chunks and their index entries in
// one transaction.
func (s *SQLite) DeleteDocument(ctx context.Context, id string) error {
	if s.readOnly {
		return ErrReadOnly
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	defer tx.Rollback()
	var coll, key string
	err = tx.QueryRowContext(ctx, `SELECT collection, key FROM documents WHERE id = ?`, id).Scan(&coll, &key)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("delete %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	removed, err := deleteDocTx(ctx, tx, id)
	if err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	if err := logChange(ctx, tx, Change{Op: OpDelete, Collection: coll, DocumentID: id, Key: key, Rows: removed}); err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	if err := bumpGeneration(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	return nil
}

func (s *SQLite) countDocuments(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM documents`).Scan(&n)
	return n, err
}

const docInfoCols = `d.id, d.collection, d.key, d.source, d.title, d.type, d.language, d.hash, d.size, d.pages, d.chars, d.ingested_at,
	(SELECT count(*) FROM chunks c WHERE c.document_id = d.id)`

func scanDocInfo(sc interface{ Scan(...any) error }) (DocInfo, error) {
	var d DocInfo
	err := sc.Scan(&d.ID, &d.Collection, &d.Key, &d.Source, &d.Title, &d.Type, &d.Language, &d.Hash, &d.Size, &d.Pages, &d.Chars, &d.IngestedAt, &d.Chunks)
	return d, err
}

// Documents lists a collection's documents ordered by key; an empty
// collection name lists every collection.
func (s *SQLite) Documents(ctx context.Context, collection string) ([]DocInfo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+docInfoCols+` FROM documents d
		WHERE ? = '' OR d.collection = ? ORDER BY d.collection, d.key`, collection, collection)
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	defer rows.Close()
	var out []DocInfo
	for rows.Next() {
		d, err := scanDocInfo(rows)
		if err != nil {
			return nil, fmt.Errorf("list documents: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DocumentInfo returns one document's metadata.
func (s *SQLite) DocumentInfo(ctx context.Context, id string) (DocInfo, error) {
	d, err := scanDocInfo(s.db.QueryRowContext(ctx, `SELECT `+docInfoCols+` FROM documents d WHERE d.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("document %s: %w", id, ErrNotFound)
	}
	return d, err
}

// Document returns a document with its text and structure.
func (s *SQLite) Document(ctx context.Context, id string) (schema.Document, error) {
	var d schema.Document
	var blocks, meta string
	err := s.db.QueryRowContext(ctx, `SELECT id, collection, key, source, title, type, language, hash, size, pages, text, blocks, metadata
		FROM documents WHERE id = ?`, id).Scan(&d.ID, &d.Collection, &d.Key, &d.Source, &d.Title, &d.Type, &d.Language, &d.Hash, &d.Size, &d.Pages, &d.Text, &blocks, &meta)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("document %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("document %s: %w", id, err)
	}
	_ = json.Unmarshal([]byte(blocks), &d.Blocks)
	_ = json.Unmarshal([]byte(meta), &d.Metadata)
	return d, nil
}

// Collections lists collection names with their document counts.
func (s *SQLite) Collections(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT collection, count(*) FROM documents GROUP BY collection`)
	if err != nil {
		return nil, fmt.Errorf("list collections: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			return nil, err
		}
		out[name] = n
	}
	return out, rows.Err()
}

// Ping checks that the database answers.
func (s *SQLite) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// bumpGeneration increments the write generation inside a write
// transaction, so in-memory indexes in any process can tell they are stale.
func bumpGeneration(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES('generation', '1')
		ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`)
	if err != nil {
		return fmt.Errorf("bump generation: %w", err)
	}
	return nil
}

// Generation returns a number that changes whenever documents are written
// or deleted, by this process or another.
func (s *SQLite) Generation(ctx context.Context) (int64, error) {
	if s.immutable {
		return s.gen, nil
	}
	var g int64
	err := s.db.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation'`).Scan(&g)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return g, err
}

// ChunkTerms calls fn for every chunk of collection with its indexed title
// and body terms (space-separated), in row order.
func (s *SQLite) ChunkTerms(ctx context.Context, collection string, fn func(rowid int64, title, body string)) error {
	rows, err := s.db.QueryContext(ctx, `SELECT f.rowid, f.title, f.body FROM chunks_fts f
		JOIN chunks c ON c.rowid = f.rowid WHERE c.collection = ? ORDER BY f.rowid`, collection)
	if err != nil {
		return fmt.Errorf("chunk terms: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var title, body string
		if err := rows.Scan(&id, &title, &body); err != nil {
			return fmt.Errorf("chunk terms: %w", err)
		}
		fn(id, title, body)
	}
	return rows.Err()
}
