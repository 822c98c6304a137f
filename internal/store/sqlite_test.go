package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/schema"
)

// doc builds a document whose chunks are its blank-line separated
// paragraphs, analysed by lower-casing and splitting on spaces.
func doc(coll, key, text string) (schema.Document, []IndexedChunk) {
	d := schema.Document{Collection: coll, Key: key, Source: filepath.Base(key), Type: "text", Text: text, Hash: "h-" + text, Size: int64(len(text))}
	var chunks []IndexedChunk
	start := 0
	for i, p := range strings.Split(text, "\n\n") {
		n := len([]rune(p))
		chunks = append(chunks, IndexedChunk{
			Chunk: schema.Chunk{Ordinal: i, Text: p, Start: start, End: start + n, Tokens: len(strings.Fields(p))},
			Terms: strings.Fields(strings.ToLower(p)),
		})
		start += n + 2
	}
	return d, chunks
}

func openTemp(t *testing.T) *SQLite {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir(), Options{Stamp: "test/1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func put(t *testing.T, s *SQLite, coll, key, text string) PutStatus {
	t.Helper()
	d, c := doc(coll, key, text)
	st, err := s.PutDocument(context.Background(), d, c)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func search(t *testing.T, s *SQLite, coll string, terms ...string) []ChunkRecord {
	t.Helper()
	ctx := context.Background()
	ms, err := s.Search(ctx, Query{Collection: coll, Terms: terms, K: 10, TitleWeight: 1})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ChunkRowID
		if m.Score <= 0 {
			t.Errorf("score %v not positive", m.Score)
		}
	}
	recs, err := s.Chunks(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestPutSearchReplaceDelete(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	if st := put(t, s, "hr", "a.txt", "vacation days are twenty\n\nparking is free"); st != Added {
		t.Fatalf("status %s", st)
	}
	put(t, s, "hr", "b.txt", "expenses need receipts")
	put(t, s, "it", "c.txt", "vacation of servers")

	got := search(t, s, "hr", "vacation")
	if len(got) != 1 || got[0].Source != "a.txt" || got[0].Chunk.Text != "vacation days are twenty" {
		t.Fatalf("search hr: %+v", got)
	}
	if got := search(t, s, "it", "vacation"); len(got) != 1 || got[0].Collection != "it" {
		t.Fatalf("collection filter: %+v", got)
	}
	if st := put(t, s, "hr", "a.txt", "vacation days are twenty\n\nparking is free"); st != Unchanged {
		t.Fatalf("re-put unchanged: %s", st)
	}
	if st := put(t, s, "hr", "a.txt", "holidays are ten"); st != Replaced {
		t.Fatalf("replace: %s", st)
	}
	if got := search(t, s, "hr", "vacation"); len(got) != 0 {
		t.Fatalf("old chunks still found: %+v", got)
	}
	if got := search(t, s, "hr", "holidays"); len(got) != 1 {
		t.Fatalf("new chunk not found: %+v", got)
	}
	id := DocumentID("hr", "a.txt")
	if err := s.DeleteDocument(ctx, id); err != nil {
		t.Fatal(err)
	}
	if got := search(t, s, "hr", "holidays"); len(got) != 0 {
		t.Fatalf("deleted chunks still found: %+v", got)
	}
	if err := s.DeleteDocument(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM chunks WHERE document_id = ?`, id).Scan(&n); err != nil || n != 0 {
		t.Fatalf("chunks left: %d %v", n, err)
	}
	docs, err := s.Documents(ctx, "")
	if err != nil || len(docs) != 2 {
		t.Fatalf("documents: %+v %v", docs, err)
	}
	rep, err := s.Verify(ctx)
	if err != nil || !rep.Consistent {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func TestDigestStableAndContentSensitive(t *testing.T) {
	a, b := openTemp(t), openTemp(t)
	ctx := context.Background()
	// Same content in a different order and under other paths.
	put(t, a, "hr", "x/a.txt", "one two")
	put(t, a, "hr", "x/b.txt", "three four")
	put(t, b, "hr", "y/b.txt", "three four")
	put(t, b, "hr", "y/a.txt", "one two")
	da, _ := a.Digest(ctx, "settings")
	db, _ := b.Digest(ctx, "settings")
	if da != db || len(da) != 64 {
		t.Fatalf("digests differ: %s %s", da, db)
	}
	if d2, _ := a.Digest(ctx, "other settings"); d2 == da {
		t.Error("settings do not enter the digest")
	}
	put(t, b, "hr", "y/a.txt", "one two changed")
	if d3, _ := b.Digest(ctx, "settings"); d3 == da {
		t.Error("content does not enter the digest")
	}
}

func TestSnapshotVerifyAndTamper(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	put(t, s, "hr", "a.txt", "vacation days are twenty\n\nparking is free")
	out := filepath.Join(t.TempDir(), "kb.ragline")
	digest, err := s.Snapshot(ctx, out, "settings")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := Open(ctx, out, Options{ReadOnly: true, Stamp: "test/1"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := snap.Verify(ctx)
	if err != nil || !rep.Consistent || rep.Digest != digest || rep.Stamped != digest {
		t.Fatalf("verify snapshot: %+v %v", rep, err)
	}
	if got := search(t, snap, "hr", "parking"); len(got) != 1 {
		t.Fatalf("snapshot search: %+v", got)
	}
	d, c := doc("hr", "b.txt", "more")
	if _, err := snap.PutDocument(ctx, d, c); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("write to snapshot: %v", err)
	}
	snap.Close()

	// Tamper with a copy: change a chunk's text.
	bad := filepath.Join(t.TempDir(), "bad.ragline")
	raw, _ := os.ReadFile(out)
	if err := os.WriteFile(bad, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+bad)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE chunks SET text = 'parking costs money' WHERE ordinal = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE documents SET hash = 'forged'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	tampered, err := Open(ctx, bad, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tampered.Close()
	rep, err = tampered.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Consistent || len(rep.Problems) < 2 {
		t.Fatalf("tampering not detected: %+v", rep)
	}
}

func TestSettingsMismatch(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, dir, Options{Stamp: "a"})
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, "c", "k", "text")
	s.Close()
	if _, err := Open(ctx, dir, Options{Stamp: "b"}); !errors.Is(err, ErrSettingsMismatch) {
		t.Fatalf("want ErrSettingsMismatch, got %v", err)
	}
}

func TestNotAKnowledgeBase(t *testing.T) {
	f := filepath.Join(t.TempDir(), "x.db")
	if err := os.WriteFile(f, []byte("not sqlite at all, just text that is long enough to have a header"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), f, Options{ReadOnly: true}); err == nil {
		t.Fatal("want an error")
	}
}

// TestSnapshotOpensReadOnly reproduces a snapshot made writable by
// opening it without ReadOnly: it opens read-only by itself, refuses
// writes, and its stamped digest still matches its content.
func TestSnapshotOpensReadOnly(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	put(t, s, "hr", "a.txt", "vacation days are twenty\n\nparking is free")
	out := filepath.Join(t.TempDir(), "kb.ragline")
	digest, err := s.Snapshot(ctx, out, "settings")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(out, 0o644) // as a copy that lost its mode would be
	snap, err := Open(ctx, out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	if !snap.ReadOnly() {
		t.Error("a snapshot opened without ReadOnly is writable")
	}
	d, c := doc("hr", "b.txt", "more")
	if _, err := snap.PutDocument(ctx, d, c); !errors.Is(err, ErrReadOnly) {
		t.Errorf("write to the snapshot: %v, want ErrReadOnly", err)
	}
	rep, err := snap.Verify(ctx)
	if err != nil || !rep.Consistent || rep.Stamped != digest || rep.Digest != digest {
		t.Errorf("snapshot after the refused write: %+v %v", rep, err)
	}
	// A live knowledge base still opens writable.
	if s.ReadOnly() {
		t.Error("the live knowledge base is read-only")
	}
}
