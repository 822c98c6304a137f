package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ragline/ragline/internal/pgtest"
	"github.com/ragline/ragline/internal/schema"
)

// pgServer is one throwaway cluster shared by this package's tests; each
// test gets its own database.
var pgServer *pgtest.Server

func TestMain(m *testing.M) {
	root, err := os.MkdirTemp("", "ragline-store-pg-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pgServer, err = pgtest.StartIn(root, pgtest.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(root)
		os.Exit(1)
	}
	code := m.Run()
	_ = pgServer.Close()
	os.RemoveAll(root)
	os.Exit(code)
}

func pgURL(t *testing.T) string { return pgServer.NewDatabase(t) }

func openPG(t *testing.T, url string) *Postgres {
	t.Helper()
	s, err := OpenPostgres(context.Background(), url, Options{Stamp: "test/1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// corpus writes the same documents, in the same order, into a store.
func corpus(t *testing.T, s Backend) {
	t.Helper()
	ctx := context.Background()
	var group []DocumentChunks
	for i := range 40 {
		d, c := doc([]string{"hr", "it"}[i%2], fmt.Sprintf("doc%02d.txt", i),
			fmt.Sprintf("policy number %d covers vacation\n\nparking rule %d and receipts\n\n假期 政策 %d", i, i*7, i%5))
		d.Title = fmt.Sprintf("Title %d", i)
		d.Blocks = []schema.Block{{Kind: "paragraph", Start: 0, End: 5}}
		d.Metadata = map[string]string{"n": fmt.Sprint(i)}
		if i%10 == 0 {
			d.Original = []byte(fmt.Sprintf("%%PDF-original-%d", i))
		}
		for j := range c {
			c[j].TitleTerms = []string{"title", fmt.Sprint(i)}
			c[j].Chunk.Headings = []string{"H", fmt.Sprint(j)}
		}
		group = append(group, DocumentChunks{Doc: d, Chunks: c})
	}
	if _, err := s.PutDocuments(ctx, group); err != nil {
		t.Fatal(err)
	}
	// A replacement, an unchanged put and a delete.
	d, c := doc("hr", "doc00.txt", "replaced text about vacation")
	if st, err := s.PutDocument(ctx, d, c); err != nil || st != Replaced {
		t.Fatalf("replace: %s %v", st, err)
	}
	if st, err := s.PutDocument(ctx, d, c); err != nil || st != Unchanged {
		t.Fatalf("unchanged: %s %v", st, err)
	}
	if err := s.DeleteDocument(ctx, DocumentID("it", "doc01.txt")); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDocument(ctx, DocumentID("it", "doc01.txt")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

// view is what a store shows of its contents, independent of row ids.
type view struct {
	Digest      string
	Collections map[string]int
	Docs        []DocInfo
	Documents   []schema.Document
	Originals   map[string]string
	Chunks      map[string][]schema.Chunk
	Terms       map[string][]string
}

func viewOf(t *testing.T, s Backend) view {
	t.Helper()
	ctx := context.Background()
	v := view{Originals: map[string]string{}, Chunks: map[string][]schema.Chunk{}, Terms: map[string][]string{}}
	var err error
	if v.Digest, err = s.Digest(ctx, "settings"); err != nil {
		t.Fatal(err)
	}
	if v.Collections, err = s.Collections(ctx); err != nil {
		t.Fatal(err)
	}
	if v.Docs, err = s.Documents(ctx, ""); err != nil {
		t.Fatal(err)
	}
	for i := range v.Docs {
		v.Docs[i].IngestedAt = ""
		d, err := s.Document(ctx, v.Docs[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		v.Documents = append(v.Documents, d)
		if o, err := s.Original(ctx, d.ID); err == nil {
			v.Originals[d.ID] = string(o)
		} else if !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
		recs, err := s.DocumentChunks(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			v.Chunks[d.ID] = append(v.Chunks[d.ID], r.Chunk)
		}
	}
	for c := range v.Collections {
		if err := s.ChunkTerms(ctx, c, func(_ int64, title, body string) {
			v.Terms[c] = append(v.Terms[c], title+"|"+body)
		}); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

// viewDiff names the first field in which two views differ ("" if none).
func viewDiff(a, b view) string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := range va.NumField() {
		fa, fb := va.Field(i).Interface(), vb.Field(i).Interface()
		if reflect.DeepEqual(fa, fb) {
			continue
		}
		if sa, ok := fa.([]schema.Document); ok {
			sb := fb.([]schema.Document)
			for j := range min(len(sa), len(sb)) {
				if !reflect.DeepEqual(sa[j], sb[j]) {
					return fmt.Sprintf("%s[%d]:\n%+v\n%+v", va.Type().Field(i).Name, j, sa[j], sb[j])
				}
			}
		}
		s := fmt.Sprintf("%s:\n%+v\n%+v", va.Type().Field(i).Name, fa, fb)
		if len(s) > 3000 {
			s = s[:3000]
		}
		return s
	}
	return ""
}

// TestPostgresMatchesSQLite writes the same documents into both stores:
// they hold the same records, terms in the same order, and the same
// digest; Copy between them in both directions keeps all of it.
func TestPostgresMatchesSQLite(t *testing.T) {
	lite := openTemp(t)
	pg := openPG(t, pgURL(t))
	corpus(t, lite)
	corpus(t, pg)
	want, got := viewOf(t, lite), viewOf(t, pg)
	if d := viewDiff(want, got); d != "" {
		t.Fatalf("PostgreSQL differs from SQLite: %s", d)
	}

	ctx := context.Background()
	copied := openPG(t, pgURL(t))
	if err := Copy(ctx, lite, copied, nil); err != nil {
		t.Fatal(err)
	}
	if d := viewDiff(want, viewOf(t, copied)); d != "" {
		t.Fatalf("SQLite copied into PostgreSQL differs: %s", d)
	}
	back := openTemp(t)
	if err := Copy(ctx, copied, back, nil); err != nil {
		t.Fatal(err)
	}
	if d := viewDiff(want, viewOf(t, back)); d != "" {
		t.Fatalf("PostgreSQL copied into SQLite differs: %s", d)
	}
	a, _ := lite.Documents(ctx, "")
	b, _ := back.Documents(ctx, "")
	if a[0].IngestedAt != b[0].IngestedAt {
		t.Errorf("ingestion time not kept: %s vs %s", a[0].IngestedAt, b[0].IngestedAt)
	}
}

// TestPostgresVectors stores vectors and the embedding cache, and deleting
// a document removes its vectors.
func TestPostgresVectors(t *testing.T) {
	ctx := context.Background()
	pg := openPG(t, pgURL(t))
	d, c := doc("hr", "a.txt", "one\n\ntwo")
	if _, err := pg.PutDocument(ctx, d, c); err != nil {
		t.Fatal(err)
	}
	if err := pg.CheckEmbedder(ctx, "hash-64", 2); err != nil {
		t.Fatal(err)
	}
	pend, err := pg.PendingChunks(ctx, 0, 10)
	if err != nil || len(pend) != 2 {
		t.Fatalf("pending: %v %v", pend, err)
	}
	vecs := []ChunkVector{
		{RowID: pend[0].RowID, Collection: "hr", Hash: TextHash("one"), Vec: []float32{1, 0}},
		{RowID: pend[1].RowID, Collection: "hr", Hash: TextHash("two"), Vec: []float32{0, 1}},
		{RowID: 999999, Collection: "hr", Vec: []float32{1, 1}}, // a chunk deleted meanwhile
	}
	if err := pg.PutVectors(ctx, "hash-64", vecs); err != nil {
		t.Fatal(err)
	}
	got := map[int64][]float32{}
	if err := pg.ChunkVectors(ctx, "hr", func(id int64, v []float32) { got[id] = append([]float32(nil), v...) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !reflect.DeepEqual(got[pend[1].RowID], []float32{0, 1}) {
		t.Fatalf("vectors: %v", got)
	}
	cached, err := pg.CachedEmbeddings(ctx, "hash-64", [][]byte{TextHash("two"), TextHash("zzz"), TextHash("one")})
	if err != nil || len(cached) != 2 || cached[0][1] != 1 || cached[2][0] != 1 {
		t.Fatalf("cache: %v %v", cached, err)
	}
	if err := pg.CheckEmbedder(ctx, "other", 3); !errors.Is(err, ErrEmbedderMismatch) {
		t.Fatalf("other embedder: %v", err)
	}
	if err := pg.DeleteDocument(ctx, DocumentID("hr", "a.txt")); err != nil {
		t.Fatal(err)
	}
	if n, err := pg.VectorCount(ctx); err != nil || n != 0 {
		t.Fatalf("vectors after delete: %d %v", n, err)
	}
}

// TestPostgresConcurrentSameKey writes one document key from many
// goroutines (separate connection pools, as separate replicas) at once:
// exactly one version remains, whole.
func TestPostgresConcurrentSameKey(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	const writers = 8
	stores := make([]*Postgres, writers)
	for i := range stores {
		stores[i] = openPG(t, url)
	}
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 5 {
				text := strings.Repeat(fmt.Sprintf("writer%d round%d\n\n", i, round), 20+i)
				d, c := doc("hr", "same.txt", strings.TrimSpace(text))
				if _, err := s.PutDocument(ctx, d, c); err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	docs, err := stores[0].Documents(ctx, "")
	if err != nil || len(docs) != 1 {
		t.Fatalf("documents: %v %v", docs, err)
	}
	recs, err := stores[0].DocumentChunks(ctx, docs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := stores[0].Document(ctx, docs[0].ID)
	for _, r := range recs {
		if !strings.HasPrefix(d.Text[r.Chunk.Start:], r.Chunk.Text) || !strings.Contains(d.Text, strings.Fields(r.Chunk.Text)[0]) {
			t.Fatalf("chunk %d does not belong to the stored version", r.Chunk.Ordinal)
		}
	}
	if len(recs) != docs[0].Chunks || len(recs) != strings.Count(d.Text, "\n\n")+1 {
		t.Fatalf("mixed versions: %d chunks for a text of %d paragraphs", len(recs), strings.Count(d.Text, "\n\n")+1)
	}
	// The change log has one row per committed write, in sequence.
	gen, err := stores[0].Generation(ctx)
	if err != nil || gen < 1 {
		t.Fatalf("generation %d %v", gen, err)
	}
}

// TestPostgresSchemaTooNew refuses a database migrated by a newer
// binary, with a clear message.
func TestPostgresSchemaTooNew(t *testing.T) {
	url := pgURL(t)
	openPG(t, url).Close()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `INSERT INTO schema_version(version, name) VALUES (9999, '9999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	_, err = OpenPostgres(ctx, url, Options{})
	if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), "version 9999") || !strings.Contains(err.Error(), "upgrade ragline") {
		t.Fatalf("open newer schema: %v", err)
	}
}

// TestPostgresSettingsStamp refuses other indexing settings, as SQLite.
func TestPostgresSettingsStamp(t *testing.T) {
	url := pgURL(t)
	s := openPG(t, url)
	d, c := doc("hr", "a.txt", "x")
	if _, err := s.PutDocument(context.Background(), d, c); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenPostgres(context.Background(), url, Options{Stamp: "test/2"}); !errors.Is(err, ErrSettingsMismatch) {
		t.Fatalf("other stamp: %v", err)
	}
}

// TestRedactURL hides passwords in URLs and errors.
func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:s3cret@h:5432/db":       "postgres://u:xxxxx@h:5432/db",
		"postgresql://u@h/db?password=s3cret": "postgresql://u@h/db?password=xxxxx",
		"postgres://h/db":                     "postgres://h/db",
		"/var/lib/kb":                         "/var/lib/kb",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
	_, err := OpenPostgres(context.Background(), "postgres://u:s3cret@127.0.0.1:1/db?sslmode=disable", Options{})
	if err == nil || strings.Contains(err.Error(), "s3cret") || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("unreachable database: %v", err)
	}
}

// TestPostgresChangeLogMatchesSQLite: the same writes give the same change
// log in both stores.
func TestPostgresChangeLogMatchesSQLite(t *testing.T) {
	ctx := context.Background()
	lite := openTemp(t)
	pg := openPG(t, pgURL(t))
	corpus(t, lite)
	corpus(t, pg)
	want, err := lite.Changes(ctx, "", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pg.Changes(ctx, "", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("change logs differ:\nsqlite   %+v\npostgres %+v", want, got)
	}
	last, err := pg.LastChange(ctx)
	if err != nil || last != got[len(got)-1].Seq {
		t.Fatalf("last change %d %v", last, err)
	}
	hr, _ := pg.Changes(ctx, "hr", 0, 1000)
	for _, c := range hr {
		if c.Collection != "hr" {
			t.Fatalf("collection filter: %+v", c)
		}
	}
	terms, err := pg.DocumentTerms(ctx, DocumentID("hr", "doc02.txt"))
	wantTerms, _ := lite.DocumentTerms(ctx, DocumentID("hr", "doc02.txt"))
	if err != nil || !reflect.DeepEqual(terms, wantTerms) || len(terms) != 3 {
		t.Fatalf("document terms: %v %v", terms, err)
	}
}

// TestPostgresChangeLogNeverSkips: while several writers commit at once, a
// follower that repeatedly reads the changes after the last sequence it
// saw sees every sequence exactly once, in order — a later commit never
// becomes visible before an earlier sequence.
func TestPostgresChangeLogNeverSkips(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	reader := openPG(t, url)
	const writers, each = 4, 25
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		s := openPG(t, url)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				d, c := doc("hr", fmt.Sprintf("w%d-%d.txt", w, i), fmt.Sprintf("text %d %d", w, i))
				if _, err := s.PutDocument(ctx, d, c); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	var seen []int64
	var last int64
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		cs, err := reader.Changes(ctx, "", last, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			seen = append(seen, c.Seq)
			last = c.Seq
		}
	}
	if len(seen) != writers*each {
		t.Fatalf("follower saw %d changes, %d were written", len(seen), writers*each)
	}
	for i, s := range seen {
		if s != int64(i+1) {
			t.Fatalf("sequence %d at position %d: %v", s, i, seen)
		}
	}
}

// TestPostgresFollowerReconnects: the listener keeps the generation
// current, serves the last one while the database is down, reports it
// unavailable (writes fail fast), and catches up after a restart with a
// write it never got a notification for.
func TestPostgresFollowerReconnects(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	ctx := context.Background()
	r := openPG(t, url)
	w := openPG(t, url)
	g0, _ := r.Generation(ctx)
	d, c := doc("hr", "a.txt", "one")
	if _, err := w.PutDocument(ctx, d, c); err != nil {
		t.Fatal(err)
	}
	waitGen := func(want int64) {
		t.Helper()
		for range 600 {
			if g, _ := r.Generation(ctx); g >= want {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		g, _ := r.Generation(ctx)
		t.Fatalf("generation %d, want %d", g, want)
	}
	waitGen(g0 + 1)
	srv.Stop(t)
	for range 600 {
		if !r.Available() {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r.Available() {
		t.Fatal("still available with the database down")
	}
	if g, err := r.Generation(ctx); err != nil || g != g0+1 {
		t.Fatalf("generation while down: %d %v", g, err)
	}
	d2, c2 := doc("hr", "b.txt", "two")
	if _, err := r.PutDocument(ctx, d2, c2); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("write while down: %v", err)
	}
	srv.Restart(t)
	w2 := openPG(t, url)
	if _, err := w2.PutDocument(ctx, d2, c2); err != nil {
		t.Fatal(err)
	}
	waitGen(g0 + 2)
}

// TestPostgresConcurrentUse reads the generation, the last change and the
// availability while writing from several goroutines on one store (run
// with -race).
func TestPostgresConcurrentUse(t *testing.T) {
	s := openPG(t, pgURL(t))
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				_, _ = s.Generation(ctx)
				_, _ = s.LastChange(ctx)
				_ = s.Available()
				<-time.After(time.Millisecond)
				d, c := doc("hr", fmt.Sprintf("g%d-%d.txt", g, i), "text")
				if _, err := s.PutDocument(ctx, d, c); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for range 300 {
		if g, _ := s.LastChange(ctx); g == 40 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	g, _ := s.LastChange(ctx)
	t.Fatalf("last change %d after 40 writes", g)
}
