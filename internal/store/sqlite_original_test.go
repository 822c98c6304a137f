package store

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// TestOriginals checks that a document's source content is kept with it,
// added to a document stored before originals were kept, replaced with
// the document and removed with it.
func TestOriginals(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	d, chunks := doc("c", "a.pdf", "Alpha text of the report.")
	id := DocumentID("c", "a.pdf")

	// Stored without an original (as before originals were kept).
	if st, err := s.PutDocument(ctx, d, chunks); err != nil || st != Added {
		t.Fatalf("put: %v %v", st, err)
	}
	if _, err := s.Original(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no original yet: %v", err)
	}
	// The same content again, now with its original: unchanged, but kept.
	d.Original = []byte("%PDF-1 first")
	if st, err := s.PutDocument(ctx, d, chunks); err != nil || st != Unchanged {
		t.Fatalf("put again: %v %v", st, err)
	}
	if got, err := s.Original(ctx, id); err != nil || !bytes.Equal(got, d.Original) {
		t.Fatalf("original: %q %v", got, err)
	}
	// New content replaces the original.
	d2, chunks2 := doc("c", "a.pdf", "Beta text of the report.")
	d2.Original = []byte("%PDF-1 second")
	if st, err := s.PutDocument(ctx, d2, chunks2); err != nil || st != Replaced {
		t.Fatalf("replace: %v %v", st, err)
	}
	if got, err := s.Original(ctx, id); err != nil || !bytes.Equal(got, d2.Original) {
		t.Fatalf("replaced original: %q %v", got, err)
	}
	if err := s.DeleteDocument(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Original(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM originals`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d originals left (%v)", n, err)
	}
}
