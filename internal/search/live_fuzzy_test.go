package search

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/store"
	"github.com/ragline/ragline/internal/text"
)

// putTerms stores a one-chunk document whose indexed terms are given
// as they are (no analyzer), so the test controls the vocabulary.
func putTerms(t *testing.T, st *store.SQLite, coll, key, terms string) {
	t.Helper()
	d := schema.Document{Collection: coll, Key: key, Source: key, Type: "text", Text: terms, Hash: key + terms, Size: int64(len(terms))}
	c := store.IndexedChunk{Chunk: schema.Chunk{Text: terms, Tokens: 1}, Terms: strings.Fields(terms)}
	if _, err := st.PutDocument(context.Background(), d, []store.IndexedChunk{c}); err != nil {
		t.Fatal(err)
	}
}

// expandedTo returns the vocabulary terms q's first expansion used.
func expandedTo(t *testing.T, l *Lexical, q string) []string {
	t.Helper()
	res, err := l.RetrieveTerms(context.Background(), "a", qterms(q), 10)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range res.Fuzzy {
		for _, m := range e.Matches {
			out = append(out, m.Term)
		}
	}
	return out
}

// TestFuzzyVocabularyFollowsWrites checks how typo tolerance's
// vocabulary follows writes. A server builds a collection's vocabulary
// at its first expansion only; after a write, the next query is expanded
// with the previous vocabulary while a rebuild runs in the background,
// and the rebuilt one is used once it is there. A term the current view
// holds is never expanded, however old the vocabulary. A one-shot
// process rebuilds before expanding.
func TestFuzzyVocabularyFollowsWrites(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), store.Options{Stamp: "test/1"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	an, err := text.NewAnalyzer(text.Options{})
	if err != nil {
		t.Fatal(err)
	}
	putTerms(t, st, "a", "d1", "vacat polici day")
	putTerms(t, st, "b", "d9", "vacatio")
	o := Options{Fuzzy: true, BM25: BM25{K1: 1.2, B: 0.75, TitleWeight: 1}}

	server := NewLexical(st, an, o)
	if err := server.Load(ctx); err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if got := expandedTo(t, server, "vacaton"); !slices.Equal(got, []string{"vacat"}) {
		t.Fatalf("first expansion: %v, want [vacat]", got)
	}
	if n := server.vocabs.builds.Load(); n != 1 {
		t.Fatalf("%d vocabulary builds after the first expansion, want 1", n)
	}
	// Another query on the same view reuses the vocabulary.
	expandedTo(t, server, "vacaton")
	if n := server.vocabs.builds.Load(); n != 1 {
		t.Fatalf("%d vocabulary builds without a write, want 1", n)
	}

	putTerms(t, st, "a", "d2", "vacato")
	if err := server.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// The query that finds the vocabulary stale still uses it.
	if got := expandedTo(t, server, "vacaton"); !slices.Equal(got, []string{"vacat"}) {
		t.Fatalf("expansion right after a write: %v, want the previous vocabulary's [vacat]", got)
	}
	server.bg.Wait()
	if n := server.vocabs.builds.Load(); n != 2 {
		t.Fatalf("%d vocabulary builds after the write, want 2 (one in the background)", n)
	}
	if got := expandedTo(t, server, "vacaton"); !slices.Equal(got, []string{"vacato"}) {
		t.Fatalf("expansion after the background rebuild: %v, want [vacato] (distance 1)", got)
	}

	// A term only the current view holds is not expanded, though the
	// vocabulary does not know it yet; the document is found.
	putTerms(t, st, "a", "d3", "vacaton")
	if err := server.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := server.RetrieveTerms(ctx, "a", qterms("vacaton"), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Fuzzy) != 0 || len(res.Hits) != 1 || res.Hits[0].DocKey != "d3" {
		t.Fatalf("a term the view holds: expansions %+v, hits %+v", res.Fuzzy, res.Hits)
	}
	server.bg.Wait()

	// A one-shot process rebuilds before expanding.
	oneShot := NewLexical(st, an, o)
	defer oneShot.Close()
	if got := expandedTo(t, oneShot, "vacatoox"); !slices.Contains(got, "vacaton") {
		t.Fatalf("one-shot expansion: %v, want vacaton among them", got)
	}
	putTerms(t, st, "a", "d4", "vacatoo")
	if got := expandedTo(t, oneShot, "vacatoox"); !slices.Equal(got, []string{"vacatoo"}) {
		t.Fatalf("one-shot expansion after a write: %v, want [vacatoo] (distance 1)", got)
	}
}

// TestSavedIndexOldFormatRebuilt checks that a saved index of an older
// format version (whose chunk lengths meant something else) is not read:
// the collection is rebuilt and ranks exactly like a fresh index.
func TestSavedIndexOldFormatRebuilt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, dir, store.Options{Stamp: "test/1"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	an, err := text.NewAnalyzer(text.Options{})
	if err != nil {
		t.Fatal(err)
	}
	putTerms(t, st, "a", "d1", "vacat polici day vacat")
	putTerms(t, st, "a", "d2", "park free day")
	putTerms(t, st, "a", "d3", "expens receipt")
	id, err := st.ID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{BM25: BM25{K1: 1.2, B: 0.75, TitleWeight: 1}, SaveDir: dir + "/index", KBID: id}
	first := NewLexical(st, an, o)
	if err := first.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	// Rewrite the saved file as version 1, lengths without the tag.
	file := segmentFile(o.SaveDir, "a")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), segmentMagic) {
		t.Fatalf("saved file starts %q", b[:min(len(b), 30)])
	}
	old := append([]byte(strings.Replace(segmentMagic, "/2", "/1", 1)), b[len(segmentMagic):len(b)-4]...)
	old = binary.LittleEndian.AppendUint32(old, crc32.ChecksumIEEE(old))
	if err := os.WriteFile(file, old, 0o644); err != nil {
		t.Fatal(err)
	}
	second := NewLexical(st, an, o)
	if err := second.Load(ctx); err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if n := second.fromSaved.Load(); n != 0 {
		t.Fatal("read a saved index of an older format")
	}
	fresh := NewLexical(st, an, Options{BM25: o.BM25})
	q := qterms("vacat", "day", "park")
	want, _, err := fresh.match(ctx, "a", q, 10)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := second.match(ctx, "a", q, 10)
	if err != nil {
		t.Fatal(err)
	}
	sameMatches(t, "after an old saved index", got, want)
}
