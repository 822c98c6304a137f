package search

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/store"
	"github.com/ragline/ragline/internal/text"
)

const sciFactDir = "../../../shared/datasets/scifact"

type sciDoc struct {
	ID    string `json:"_id"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

// readSciFact reads the first n SciFact abstracts and every claim.
func readSciFact(t *testing.T, n int) ([]sciDoc, []string) {
	t.Helper()
	f, err := os.Open(sciFactDir + "/corpus.jsonl.gz")
	if err != nil {
		t.Fatalf("the SciFact dataset is needed at ../shared/datasets/scifact (beside the repository): %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var docs []sciDoc
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && len(docs) < n {
		var d sciDoc
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	qf, err := os.ReadFile(sciFactDir + "/queries.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var queries []string
	for line := range strings.Lines(string(qf)) {
		var q struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal([]byte(line), &q); err == nil && q.Text != "" {
			queries = append(queries, q.Text)
		}
	}
	return docs, queries
}

// liveFixture is a store with two collections under random writes.
type liveFixture struct {
	t    *testing.T
	ctx  context.Context
	st   *store.SQLite
	an   *text.Analyzer
	dims int
}

// chunks splits text into chunks of three sentences, each analysed.
func (f *liveFixture) chunks(title, body string) []store.IndexedChunk {
	sents := strings.SplitAfter(body, ". ")
	var out []store.IndexedChunk
	for i := 0; i < len(sents); i += 3 {
		c := strings.Join(sents[i:min(i+3, len(sents))], "")
		out = append(out, store.IndexedChunk{
			Chunk:      schema.Chunk{Text: c, Tokens: len(strings.Fields(c))},
			Terms:      f.an.Terms(c),
			TitleTerms: f.an.Terms(title),
		})
	}
	return out
}

// vector is a deterministic pseudo-embedding of a chunk's text, drawn
// around one of a few centres so that IVF lists are uneven.
func (f *liveFixture) vector(s string) []float32 {
	h := fnv.New64a()
	h.Write([]byte(s))
	seed := h.Sum64()
	r := rand.New(rand.NewPCG(seed%7, 3))
	v := make([]float32, f.dims)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	r = rand.New(rand.NewPCG(seed, 5))
	for i := range v {
		v[i] += float32(0.4 * r.NormFloat64())
	}
	Normalize(v)
	return v
}

func (f *liveFixture) put(coll, key, title, body string) {
	d := schema.Document{Collection: coll, Key: key, Source: key, Title: title, Type: "text", Text: body, Hash: fmt.Sprintf("%x", fnv.New64().Sum([]byte(title+body))), Size: int64(len(body))}
	if _, err := f.st.PutDocument(f.ctx, d, f.chunks(title, body)); err != nil {
		f.t.Fatal(err)
	}
}

// embed stores vectors for every chunk of collection that has none.
func (f *liveFixture) embed() {
	pend, err := f.st.PendingChunks(f.ctx, 0, 100_000)
	if err != nil {
		f.t.Fatal(err)
	}
	var vecs []store.ChunkVector
	for _, p := range pend {
		vecs = append(vecs, store.ChunkVector{RowID: p.RowID, Collection: p.Collection, Vec: f.vector(p.Text)})
	}
	if len(vecs) > 0 {
		if err := f.st.PutVectors(f.ctx, "test", vecs); err != nil {
			f.t.Fatal(err)
		}
	}
}

// TestIncrementalMatchesRebuild applies a random sequence of adds,
// replaces, deletes and vector writes on a SciFact subset in two
// collections and checks after every step that the incrementally
// maintained indexes — of a server (Load, then Sync per write) and of a
// one-shot process (built on first use, synced before each query) —
// give the same top 100 with the same scores (to 1e-9) as indexes built
// from scratch; that a write to one collection leaves the other's view
// untouched; that every live vector is in exactly one IVF list; and that
// exact vector search equals a fresh scan. Background merges and
// re-clustering run meanwhile.
func TestIncrementalMatchesRebuild(t *testing.T) {
	defer func(m int) { rebuildMin = m }(rebuildMin)
	rebuildMin = 40
	docs, queries := readSciFact(t, 900)
	an, err := text.NewAnalyzer(text.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), store.Options{Stamp: "test/1"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := &liveFixture{t: t, ctx: ctx, st: st, an: an, dims: 16}
	colls := []string{"a", "b"}
	r := rand.New(rand.NewPCG(12, 34))
	// Start with 300 documents, embedded.
	next := 0
	stored := map[string][]string{}
	for ; next < 300; next++ {
		c := colls[next%2]
		f.put(c, docs[next].ID, docs[next].Title, docs[next].Text)
		stored[c] = append(stored[c], docs[next].ID)
	}
	f.embed()

	p := BM25{K1: 0.9, B: 0.4, TitleWeight: 1}
	server := NewLexical(st, an, Options{BM25: p})
	serverVec := NewVectors(st, f.dims, VectorOptions{Index: IndexIVF, NProbe: 4})
	server.SetVectors(serverVec)
	if err := server.Load(ctx); err != nil {
		t.Fatal(err)
	}
	oneShot := NewLexical(st, an, Options{BM25: p})
	oneShotVec := NewVectors(st, f.dims, VectorOptions{Index: IndexExact})
	oneShot.SetVectors(oneShotVec)
	defer server.Close()
	defer oneShot.Close()

	qs := make([][]schema.QueryTerm, 0, 25)
	for _, q := range queries[:25] {
		qs = append(qs, weightedTerms(an.Terms(q)))
	}
	qvecs := make([][]float32, 10)
	for i := range qvecs {
		qvecs[i] = f.vector(queries[i])
	}

	for step := range 120 {
		c := colls[r.IntN(2)]
		other := colls[0]
		if c == other {
			other = colls[1]
		}
		otherView := server.ix[other].load()
		switch op := r.IntN(10); {
		case op < 4 && next < len(docs): // add
			f.put(c, docs[next].ID, docs[next].Title, docs[next].Text)
			stored[c] = append(stored[c], docs[next].ID)
			next++
		case op < 7 && len(stored[c]) > 0: // replace with another abstract's text
			key := stored[c][r.IntN(len(stored[c]))]
			d := docs[r.IntN(len(docs))]
			f.put(c, key, d.Title, d.Text+" revised")
		case len(stored[c]) > 0: // delete
			i := r.IntN(len(stored[c]))
			if err := st.DeleteDocument(ctx, store.DocumentID(c, stored[c][i])); err != nil {
				t.Fatal(err)
			}
			stored[c] = slices.Delete(stored[c], i, i+1)
		}
		if r.IntN(3) == 0 {
			f.embed()
		}
		if err := server.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		// A background merge may publish a new view of the other
		// collection, but never one that applied a change.
		if server.ix[other].load().seq != otherView.seq {
			t.Fatalf("step %d: a write to %s changed %s's index", step, c, other)
		}
		if step%10 != 9 && step != 0 {
			continue
		}
		fresh := NewLexical(st, an, Options{BM25: p})
		freshVec := NewVectors(st, f.dims, VectorOptions{Index: IndexExact})
		fresh.SetVectors(freshVec)
		for _, coll := range colls {
			for qi, q := range qs {
				want, _, err := fresh.match(ctx, coll, q, 100)
				if err != nil {
					t.Fatal(err)
				}
				for name, l := range map[string]*Lexical{"server": server, "one-shot": oneShot} {
					got, _, err := l.match(ctx, coll, q, 100)
					if err != nil {
						t.Fatal(err)
					}
					sameMatches(t, fmt.Sprintf("step %d %s %s query %d", step, name, coll, qi), got, want)
				}
			}
			for qi, q := range qvecs {
				want, err := freshVec.Search(ctx, coll, q, 20)
				if err != nil {
					t.Fatal(err)
				}
				got, err := oneShotVec.Search(ctx, coll, q, 20)
				if err != nil {
					t.Fatal(err)
				}
				sameMatches(t, fmt.Sprintf("step %d exact vectors %s query %d", step, coll, qi), got, want)
			}
			checkIVFMembership(t, step, serverVec, coll, st)
		}
	}
	server.Close()
	var merges, rebuilds int64
	for _, li := range server.ix {
		merges += li.merges.Load()
	}
	for _, lv := range serverVec.ix {
		rebuilds += lv.rebuilds.Load()
	}
	if merges == 0 || rebuilds == 0 {
		t.Errorf("the test never exercised a merge (%d) or a re-clustering (%d)", merges, rebuilds)
	}
}

func weightedTerms(terms []string) []schema.QueryTerm {
	out := make([]schema.QueryTerm, len(terms))
	for i, t := range terms {
		out[i] = schema.QueryTerm{Term: t, Weight: 1}
	}
	return out
}

func sameMatches(t *testing.T, what string, got, want []store.Match) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d hits, rebuild has %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i].ChunkRowID != want[i].ChunkRowID || math.Abs(got[i].Score-want[i].Score) > 1e-9 {
			t.Fatalf("%s: rank %d is row %d (%.12f), rebuild has row %d (%.12f)", what, i+1,
				got[i].ChunkRowID, got[i].Score, want[i].ChunkRowID, want[i].Score)
		}
	}
}

// checkIVFMembership checks that the live vectors of the server's view
// are exactly the store's, each in exactly one IVF list.
func checkIVFMembership(t *testing.T, step int, vs *Vectors, coll string, st *store.SQLite) {
	t.Helper()
	v, err := vs.get(context.Background(), coll)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]bool{}
	if err := st.ChunkVectors(context.Background(), coll, func(r int64, _ []float32) { want[r] = true }); err != nil {
		t.Fatal(err)
	}
	lists := map[int64]int{}
	count := map[int64]int{}
	b := v.base
	if b.ivf != nil {
		for l := range b.ivf.nlist {
			for p := b.ivf.offsets[l]; p < b.ivf.offsets[l+1]; p++ {
				if !v.dead.has(p) {
					count[b.rowids[p]]++
					lists[b.rowids[p]] = l
				}
			}
		}
	} else if len(b.rowids) > 0 {
		t.Fatalf("step %d %s: ivf wanted but the base has none", step, coll)
	}
	for i, s := range v.segs {
		for p, r := range s.rowids {
			if v.sdead[i].has(int32(p)) {
				continue
			}
			count[r]++
			if s.list == nil || s.list[p] < 0 || (b.ivf != nil && int(s.list[p]) >= b.ivf.nlist) {
				t.Fatalf("step %d %s: row %d of a segment has no IVF list", step, coll, r)
			}
		}
	}
	for r, n := range count {
		if n != 1 {
			t.Fatalf("step %d %s: row %d is in %d lists", step, coll, r, n)
		}
		if !want[r] {
			t.Fatalf("step %d %s: row %d is indexed but not stored", step, coll, r)
		}
	}
	if len(count) != len(want) || v.n() != len(want) {
		t.Fatalf("step %d %s: %d vectors indexed (n %d), %d stored", step, coll, len(count), v.n(), len(want))
	}
}

// TestSavedIndexCatchesUp checks the saved-index start: a server saves
// its indexes, the knowledge base changes while no server runs, and the
// next server starts from the saved files plus the change log and ranks
// exactly like a rebuild; a saved file of another knowledge base or a
// damaged one is ignored (the collection is rebuilt).
func TestSavedIndexCatchesUp(t *testing.T) {
	docs, queries := readSciFact(t, 300)
	an, err := text.NewAnalyzer(text.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, dir, store.Options{Stamp: "test/1"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := &liveFixture{t: t, ctx: ctx, st: st, an: an, dims: 16}
	for _, d := range docs[:200] {
		f.put("a", d.ID, d.Title, d.Text)
	}
	id, err := st.ID(ctx)
	if err != nil || id == "" {
		t.Fatalf("knowledge base id %q %v", id, err)
	}
	p := BM25{K1: 0.9, B: 0.4, TitleWeight: 1}
	opts := Options{BM25: p, SaveDir: dir + "/index", KBID: id}
	serve := func(o Options) *Lexical {
		l := NewLexical(st, an, o)
		if err := l.Load(ctx); err != nil {
			t.Fatal(err)
		}
		return l
	}
	first := serve(opts)
	if first.fromSaved.Load() != 0 {
		t.Fatal("a first start found a saved index")
	}
	f.put("a", docs[200].ID, docs[200].Title, docs[200].Text)
	if err := first.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	// Changes while no server runs.
	for _, d := range docs[201:230] {
		f.put("a", d.ID, d.Title, d.Text)
	}
	f.put("a", docs[3].ID, docs[40].Title, docs[40].Text)
	if err := st.DeleteDocument(ctx, store.DocumentID("a", docs[5].ID)); err != nil {
		t.Fatal(err)
	}
	check := func(name string, l *Lexical) {
		t.Helper()
		fresh := NewLexical(st, an, Options{BM25: p})
		for qi, q := range queries[:30] {
			terms := weightedTerms(an.Terms(q))
			want, _, err := fresh.match(ctx, "a", terms, 100)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := l.match(ctx, "a", terms, 100)
			if err != nil {
				t.Fatal(err)
			}
			sameMatches(t, fmt.Sprintf("%s query %d", name, qi), got, want)
		}
	}
	second := serve(opts)
	if second.fromSaved.Load() != 1 {
		t.Fatal("the second start did not use the saved index")
	}
	check("from saved index", second)
	second.Close()

	other := opts
	other.KBID = "another"
	third := serve(other)
	if third.fromSaved.Load() != 0 {
		t.Error("used the saved index of another knowledge base")
	}
	check("other knowledge base", third)

	file := segmentFile(opts.SaveDir, "a")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	fourth := serve(Options{BM25: p, SaveDir: opts.SaveDir, KBID: id, ReadOnly: true})
	if fourth.fromSaved.Load() != 0 {
		t.Error("used a damaged saved index")
	}
	check("damaged saved index", fourth)
}
