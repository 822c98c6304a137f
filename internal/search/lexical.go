package search

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/store"
)

// Index is what lexical retrieval needs from a store: the indexed terms
// of every chunk (to load the in-memory index), the change log with the
// terms of changed documents (to keep it current), chunk records, and
// the store's own full-text ranking for the fts5 engine.
type Index interface {
	store.ChangeLog
	ChunkTerms(ctx context.Context, collection string, fn func(rowid int64, title, body string)) error
	DocumentTerms(ctx context.Context, documentID string) ([]store.TermChunk, error)
	RowVectors(ctx context.Context, rowids []int64) (map[int64][]float32, error)
	Collections(ctx context.Context) (map[string]int, error)
	Search(ctx context.Context, q store.Query) ([]store.Match, error)
	Chunks(ctx context.Context, rowids []int64) ([]store.ChunkRecord, error)
	DocFreq(ctx context.Context, terms []string) (map[string]int, int, error)
}

// Engines that rank chunks.
const (
	// EngineMemory ranks with an in-memory BM25 index per collection,
	// loaded from the store's full-text table and kept current from the
	// store's change log (see Lexical).
	EngineMemory = "memory"
	// EngineFTS5 ranks with SQLite FTS5's bm25() (fixed k1 1.2, b 0.75).
	EngineFTS5 = "fts5"
)

// Options configure lexical retrieval.
type Options struct {
	Engine string
	BM25   BM25
	// Fuzzy expands query terms that no chunk holds to the vocabulary
	// terms within a small edit distance (see expandFuzzy).
	Fuzzy bool
	// SaveDir, when set, is where a serving Lexical (Load) reads each
	// collection's saved index at start and saves it after building it
	// and on Close.
	SaveDir string
	// KBID is the knowledge base's identity (see store.SQLite.ID); saved
	// indexes of another knowledge base are ignored. Nothing is saved
	// or read without it.
	KBID string
	// ReadOnly reads saved indexes but never writes them.
	ReadOnly bool
}

// Analyzer turns text into index terms.
type Analyzer interface {
	Terms(s string) []string
}

// Lexical is BM25 retrieval over a knowledge base. It is safe for
// concurrent use.
//
// With the memory engine every collection has an in-memory index made of
// immutable segments and tombstones (see view). Writes reach it through
// the store's change log (Sync): each change becomes a small new segment
// and tombstones, published as a new view in one atomic step, so a query
// runs on the last committed view and never waits for a writer. A
// one-shot process builds a collection's index on first use and syncs
// before each query; a server loads every collection at start (Load) and
// follows the log in the background (Follow), so no request ever builds
// an index.
type Lexical struct {
	index    Index
	analyzer Analyzer
	opts     Options
	chunks   *chunkCache
	vocabs   *vocabCache

	mu   sync.RWMutex // guards ix and live (the map, not the indexes)
	ix   map[string]*liveIndex
	live bool
	// ready is closed when Load has finished (live mode).
	ready   chan struct{}
	loadErr error
	loaded  atomic.Int64 // chunks loaded so far by Load

	syncMu  sync.Mutex   // one Sync (or lazy build) at a time
	applied atomic.Int64 // change-log sequence applied to every loaded index
	// epoch changes whenever chunks are removed: the chunk cache is only
	// valid within one epoch, since row ids may be reused.
	epoch atomic.Int64
	bg    sync.WaitGroup
	// Vectors, when set, receives the same changes (see Sync).
	vectors *Vectors
	// saved is the sequence each collection's saved index includes.
	savedMu sync.Mutex
	saved   map[string]int64
	// fromSaved counts collections Load took from saved indexes.
	fromSaved atomic.Int64
}

// NewLexical returns a lexical retriever.
func NewLexical(index Index, analyzer Analyzer, o Options) *Lexical {
	if o.Engine == "" {
		o.Engine = EngineMemory
	}
	return &Lexical{index: index, analyzer: analyzer, opts: o, chunks: &chunkCache{max: maxCachedChunks}, ix: map[string]*liveIndex{}, vocabs: &vocabCache{}}
}

// DocFreq returns how many chunks of collection hold each term, and the
// number of chunks, for weighting question terms.
func (l *Lexical) DocFreq(ctx context.Context, collection string, terms []string) (map[string]int, int, error) {
	if l.opts.Engine == EngineFTS5 {
		return l.index.DocFreq(ctx, terms)
	}
	v, err := l.view(ctx, collection)
	if err != nil {
		return nil, 0, err
	}
	out := make(map[string]int, len(terms))
	for _, t := range terms {
		out[t] = v.docFreq(t)
	}
	return out, v.n, nil
}

// Warm builds the in-memory index of collection ahead of the first query.
func (l *Lexical) Warm(ctx context.Context, collection string) error {
	if l.opts.Engine == EngineFTS5 {
		return nil
	}
	_, err := l.view(ctx, collection)
	return err
}

// match ranks chunks and returns them with the chunk-cache epoch they
// were ranked in.
func (l *Lexical) match(ctx context.Context, collection string, terms []schema.QueryTerm, k int) ([]store.Match, int64, error) {
	gen, cur, err := l.current(ctx, collection)
	if err != nil {
		return nil, 0, err
	}
	m, err := l.rank(ctx, collection, cur, terms, k)
	return m, gen, err
}

// current brings the index up to date for a query on collection and
// returns the chunk-cache epoch to rank in and, with the memory engine,
// the collection's view (nil with fts5, which ranks in the store).
func (l *Lexical) current(ctx context.Context, collection string) (int64, *view, error) {
	if l.opts.Engine == EngineFTS5 {
		if err := l.syncIfBehind(ctx); err != nil {
			return 0, nil, err
		}
		return l.epoch.Load(), nil, nil
	}
	gen := l.epoch.Load()
	v, err := l.view(ctx, collection)
	if err != nil {
		return 0, nil, err
	}
	return gen, v, nil
}

// rank returns the k best chunks of collection for terms: from cur with
// the memory engine, from the store's full-text ranking when cur is nil.
func (l *Lexical) rank(ctx context.Context, collection string, cur *view, terms []schema.QueryTerm, k int) ([]store.Match, error) {
	if cur != nil {
		return cur.search(terms, k, l.opts.BM25), nil
	}
	qw := queryWeights(terms, l.opts.BM25.K3)
	words := make([]string, len(qw))
	weights := make([]float64, len(qw))
	for i, t := range qw {
		words[i], weights[i] = t.Term, t.Weight
	}
	return l.index.Search(ctx, store.Query{Collection: collection, Terms: words, Weights: weights, K: k, TitleWeight: l.opts.BM25.TitleWeight})
}

// Result is a ranked list of chunks with the query terms that found them.
type Result struct {
	// Terms are the distinct query terms, in order.
	Terms []string
	// Fuzzy lists the query terms no chunk holds that were expanded to
	// vocabulary terms (typo tolerance).
	Fuzzy []Expansion
	Hits  []schema.Hit
}

// Retrieve returns the k best chunks of collection for query.
func (l *Lexical) Retrieve(ctx context.Context, collection, query string, k int) (Result, error) {
	words := l.analyzer.Terms(query)
	terms := make([]schema.QueryTerm, len(words))
	for i, w := range words {
		terms[i] = schema.QueryTerm{Term: w, Weight: 1}
	}
	return l.RetrieveTerms(ctx, collection, terms, k)
}

// RetrieveTerms returns the k best chunks of collection for weighted,
// already analysed terms. A repeated term counts as BM25's query term
// frequency (see queryWeights); both engines honour the weights.
func (l *Lexical) RetrieveTerms(ctx context.Context, collection string, terms []schema.QueryTerm, k int) (Result, error) {
	res, _, err := l.RetrieveTermsRows(ctx, collection, terms, k)
	return res, err
}

// RetrieveTermsRows is RetrieveTerms that also returns each hit's store
// row id.
func (l *Lexical) RetrieveTermsRows(ctx context.Context, collection string, terms []schema.QueryTerm, k int) (Result, []int64, error) {
	res := Result{Terms: distinctTerms(terms)}
	if len(terms) == 0 || k <= 0 {
		return res, nil, nil
	}
	// One look at the index serves both typo expansion and ranking.
	gen, cur, err := l.current(ctx, collection)
	if err != nil {
		return res, nil, fmt.Errorf("retrieve: %w", err)
	}
	if l.opts.Fuzzy {
		if terms, res.Fuzzy, err = l.expand(ctx, collection, cur, terms); err != nil {
			return res, nil, fmt.Errorf("retrieve: %w", err)
		}
	}
	matches, err := l.rank(ctx, collection, cur, terms, k)
	if err != nil {
		return res, nil, fmt.Errorf("retrieve: %w", err)
	}
	hs, err := l.hits(ctx, gen, matches)
	if err != nil {
		return res, nil, err
	}
	rows := make([]int64, len(hs))
	for i, h := range hs {
		rows[i] = h.rowid
	}
	res.Hits = plain(hs)
	return res, rows, nil
}

// RankDocuments collapses chunk hits into document keys by best chunk,
// keeping rank order: the ranking that document-level metrics judge.
func RankDocuments(hits []schema.Hit) []string {
	seen := make(map[string]bool, len(hits))
	out := make([]string, 0, len(hits))
	for _, h := range hits {
		if !seen[h.DocKey] {
			seen[h.DocKey] = true
			out = append(out, h.DocKey)
		}
	}
	return out
}

// Explain returns a one-line description of a hit for traces and tools.
func Explain(h schema.Hit) string {
	var b strings.Builder
	fmt.Fprintf(&b, "bm25=%.3f %s", h.Score, h.Source)
	if h.Chunk.Page > 0 {
		fmt.Fprintf(&b, " p.%d", h.Chunk.Page)
	}
	if len(h.Chunk.Headings) > 0 {
		fmt.Fprintf(&b, " §%s", strings.Join(h.Chunk.Headings, " > "))
	}
	return b.String()
}
