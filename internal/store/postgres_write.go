package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/ragline/ragline/internal/schema"
)

// lockKey maps a document id (16 hex digits) to its advisory-lock key.
func lockKey(id string) int64 {
	u, err := strconv.ParseUint(id, 16, 64)
	if err != nil {
		sum := sha256.Sum256([]byte(id))
		u = 0
		for _, b := range sum[:8] {
			u = u<<8 | uint64(b)
		}
	}
	return int64(u)
}

// lockDocuments takes the transaction-scoped advisory locks of ids in
// ascending order (so two writers never deadlock): a concurrent write of
// the same document waits until this one commits and then sees it.
func lockDocuments(ctx context.Context, tx pgx.Tx, ids []string) error {
	keys := make([]int64, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, lockKey(id))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	_, err := tx.Exec(ctx, `SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT unnest($1::bigint[]) AS k ORDER BY 1) s`, keys)
	return err
}

// appendChanges assigns the changes their sequences and records them. It
// takes the generation row lock, so it runs last in a transaction: commits
// then happen in sequence order, and a follower that has seen sequence N
// has seen every change before it. Listeners are notified at commit.
func appendChanges(ctx context.Context, tx pgx.Tx, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	var last int64
	err := tx.QueryRow(ctx, `UPDATE meta SET value = (value::bigint + $1)::text WHERE key = 'generation' RETURNING value::bigint`, len(changes)).Scan(&last)
	if err != nil {
		return fmt.Errorf("change log: %w", err)
	}
	first := last - int64(len(changes)) + 1
	rows := make([][]any, len(changes))
	for i, c := range changes {
		r := c.Rows
		if r == nil {
			r = []int64{}
		}
		rows[i] = []any{first + int64(i), string(c.Op), c.Collection, c.DocumentID, c.Key, r}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"changes"}, []string{"seq", "op", "collection", "document_id", "key", "rows"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("change log: %w", err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, pgNotifyChannel, strconv.FormatInt(last, 10)); err != nil {
		return fmt.Errorf("change log: notify: %w", err)
	}
	return nil
}

// Unchanged reports whether the document with this collection and key is
// stored with the given content hash.
func (s *Postgres) Unchanged(ctx context.Context, collection, key, hash string) (bool, error) {
	var h string
	err := s.pool.QueryRow(ctx, `SELECT hash FROM documents WHERE collection = $1 AND key = $2`, collection, key).Scan(&h)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.wrap(err)
	}
	return h == hash, nil
}

// PutDocument stores a document and its chunks in one transaction.
func (s *Postgres) PutDocument(ctx context.Context, doc schema.Document, chunks []IndexedChunk) (PutStatus, error) {
	st, err := s.PutDocuments(ctx, []DocumentChunks{{Doc: doc, Chunks: chunks}})
	if err != nil {
		return "", err
	}
	return st[0], nil
}

// PutDocuments stores several documents in one transaction: on error
// nothing of the group is stored, and a process killed meanwhile leaves
// nothing either.
func (s *Postgres) PutDocuments(ctx context.Context, docs []DocumentChunks) ([]PutStatus, error) {
	if s.readOnly {
		return nil, ErrReadOnly
	}
	var out []PutStatus
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		ids := make([]string, len(docs))
		for i := range docs {
			ids[i] = DocumentID(docs[i].Doc.Collection, docs[i].Doc.Key)
		}
		if err := lockDocuments(ctx, tx, ids); err != nil {
			return fmt.Errorf("put: lock: %w", err)
		}
		out = make([]PutStatus, len(docs))
		var changes []Change
		for i, dc := range docs {
			st, ch, err := pgPut(ctx, tx, dc.Doc, dc.Chunks, dc.IngestedAt)
			if err != nil {
				return err
			}
			out[i] = st
			if st != Unchanged {
				changes = append(changes, ch)
			}
		}
		return appendChanges(ctx, tx, changes)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// inTx runs fn in a transaction and commits it.
func (s *Postgres) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	if !s.Available() {
		// The listener has lost the database: fail now rather than wait
		// for a connection attempt.
		return fmt.Errorf("%w: %s is not reachable", ErrUnavailable, s.url)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.wrap(fmt.Errorf("begin: %w", err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return s.wrap(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return s.wrap(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// pgPut writes one document inside tx (whose caller holds its lock) and
// returns the change to log; ingestedAt "" means now.
func pgPut(ctx context.Context, tx pgx.Tx, doc schema.Document, chunks []IndexedChunk, ingestedAt string) (PutStatus, Change, error) {
	st, removed, err := pgPutDoc(ctx, tx, &doc, chunks, ingestedAt)
	return st, putChange(st, doc, removed), err
}

func pgPutDoc(ctx context.Context, tx pgx.Tx, doc *schema.Document, chunks []IndexedChunk, ingestedAt string) (PutStatus, []int64, error) {
	doc.ID = DocumentID(doc.Collection, doc.Key)
	status := Added
	var removed []int64
	var oldHash string
	err := tx.QueryRow(ctx, `SELECT hash FROM documents WHERE id = $1`, doc.ID).Scan(&oldHash)
	switch {
	case err == nil && oldHash == doc.Hash:
		if len(doc.Original) > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO originals(document_id, data) VALUES($1, $2) ON CONFLICT DO NOTHING`, doc.ID, doc.Original); err != nil {
				return "", nil, fmt.Errorf("put %s: original: %w", doc.Key, err)
			}
		}
		return Unchanged, nil, nil
	case err == nil:
		status = Replaced
		if removed, err = pgDeleteDoc(ctx, tx, doc.ID); err != nil {
			return "", nil, fmt.Errorf("put %s: delete old version: %w", doc.Key, err)
		}
	case !errors.Is(err, pgx.ErrNoRows):
		return "", nil, fmt.Errorf("put %s: %w", doc.Key, err)
	}
	blocks, _ := json.Marshal(doc.Blocks)
	meta := []byte("{}")
	if doc.Metadata != nil {
		meta, _ = json.Marshal(doc.Metadata)
	}
	textHash := sha256.Sum256([]byte(doc.Text))
	if ingestedAt == "" {
		ingestedAt = time.Now().UTC().Format(time.RFC3339)
	}
	_, err = tx.Exec(ctx, `INSERT INTO documents
		(id, collection, key, source, title, type, language, hash, text_hash, size, pages, chars, text, blocks, metadata, ingested_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		doc.ID, doc.Collection, doc.Key, doc.Source, doc.Title, doc.Type, doc.Language, doc.Hash,
		hex.EncodeToString(textHash[:]), doc.Size, doc.Pages, utf8.RuneCountInString(doc.Text), doc.Text, string(blocks), string(meta), ingestedAt)
	if err != nil {
		return "", nil, fmt.Errorf("put %s: insert document: %w", doc.Key, err)
	}
	if len(doc.Original) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO originals(document_id, data) VALUES($1, $2)`, doc.ID, doc.Original); err != nil {
			return "", nil, fmt.Errorf("put %s: original: %w", doc.Key, err)
		}
	}
	if len(chunks) == 0 {
		return status, removed, nil
	}
	rowids, err := allocRowIDs(ctx, tx, len(chunks))
	if err != nil {
		return "", nil, fmt.Errorf("put %s: %w", doc.Key, err)
	}
	rows := make([][]any, len(chunks))
	for i, ic := range chunks {
		c := ic.Chunk
		headings := []byte("[]")
		if c.Headings != nil {
			headings, _ = json.Marshal(c.Headings)
		}
		rows[i] = []any{rowids[i], doc.ID + "#" + strconv.Itoa(i), doc.ID, doc.Collection, i, c.Start, c.End, c.Page,
			string(headings), c.Tokens, c.Text, strings.Join(ic.TitleTerms, " "), strings.Join(ic.Terms, " ")}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"chunks"}, chunkColumns, pgx.CopyFromRows(rows)); err != nil {
		return "", nil, fmt.Errorf("put %s: insert chunks: %w", doc.Key, err)
	}
	return status, removed, nil
}

var chunkColumns = []string{"rowid", "id", "document_id", "collection", "ordinal", "start_off", "end_off", "page", "headings", "tokens", "text", "title_terms", "body_terms"}

// pgDeleteDoc removes a document; its chunks, vectors and original go
// with it (ON DELETE CASCADE). It returns the removed chunk row ids.
func pgDeleteDoc(ctx context.Context, tx pgx.Tx, id string) ([]int64, error) {
	var rows []int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(rowid ORDER BY rowid), '{}') FROM chunks WHERE document_id = $1`, id).Scan(&rows); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM documents WHERE id = $1`, id); err != nil {
		return nil, err
	}
	return rows, nil
}

// allocRowIDs reserves n ascending chunk row ids.
func allocRowIDs(ctx context.Context, tx pgx.Tx, n int) ([]int64, error) {
	rows, err := tx.Query(ctx, `SELECT nextval('chunks_rowid_seq') FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, fmt.Errorf("allocate chunk ids: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("allocate chunk ids: %w", err)
	}
	slices.Sort(ids)
	return ids, nil
}

// DeleteDocument removes a document with its chunks, vectors and original,
// and logs the deletion, in one transaction.
func (s *Postgres) DeleteDocument(ctx context.Context, id string) error {
	if s.readOnly {
		return ErrReadOnly
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockDocuments(ctx, tx, []string{id}); err != nil {
			return err
		}
		var coll, key string
		err := tx.QueryRow(ctx, `SELECT collection, key FROM documents WHERE id = $1`, id).Scan(&coll, &key)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		removed, err := pgDeleteDoc(ctx, tx, id)
		if err != nil {
			return err
		}
		return appendChanges(ctx, tx, []Change{{Op: OpDelete, Collection: coll, DocumentID: id, Key: key, Rows: removed}})
	})
	if err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	return nil
}

// PutVectors stores chunk vectors and their cache entries in one
// transaction and logs one change per collection. A chunk deleted
// meanwhile is skipped.
func (s *Postgres) PutVectors(ctx context.Context, embedder string, vecs []ChunkVector) error {
	if s.readOnly {
		return ErrReadOnly
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, v := range vecs {
			enc := EncodeVector(v.Vec)
			b.Queue(`INSERT INTO chunk_vectors(rowid, collection, vec)
				SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM chunks WHERE rowid = $1)
				ON CONFLICT(rowid) DO UPDATE SET vec = excluded.vec, collection = excluded.collection`, v.RowID, v.Collection, enc)
			if v.Hash != nil {
				b.Queue(`INSERT INTO embedding_cache(embedder, hash, vec) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, embedder, v.Hash, enc)
			}
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		return appendChanges(ctx, tx, embedChanges(vecs))
	})
	if err != nil {
		return fmt.Errorf("put vectors: %w", err)
	}
	return nil
}

// PutEmbeddingCache adds encoded vectors (see EncodeVector) to the
// embedding cache of embedder.
func (s *Postgres) PutEmbeddingCache(ctx context.Context, embedder string, hashes, vecs [][]byte) error {
	if len(hashes) == 0 {
		return nil
	}
	if s.readOnly {
		return ErrReadOnly
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO embedding_cache(embedder, hash, vec)
			SELECT $1, h, v FROM unnest($2::bytea[], $3::bytea[]) AS u(h, v) ON CONFLICT DO NOTHING`, embedder, hashes, vecs)
		return err
	})
}
