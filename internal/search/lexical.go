package search

import (
	"context"
	"fmt"
	"strings"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/store"
)

// Index is what lexical retrieval needs from a store.
type Index interface {
	TermSource
	Search(ctx context.Context, q store.Query) ([]store.Match, error)
	Chunks(ctx context.Context, rowids []int64) ([]store.ChunkRecord, error)
	DocFreq(ctx context.Context, terms []string) (map[string]int, int, error)
}

// Engines that rank chunks.
const (
	// EngineMemory ranks with an in-memory BM25 index loaded from the
	// store's full-text table and rebuilt when the store changes.
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
}

// Analyzer turns text into index terms.
type Analyzer interface {
	Terms(s string) []string
}

// Lexical is BM25 retrieval over the store's full-text index. It is
// immutable and safe for concurrent use.
type Lexical struct {
	index    Index
	analyzer Analyzer
	opts     Options
	cache    *indexCache
	chunks   *chunkCache
	vocabs   *vocabCache
}

// NewLexical returns a lexical retriever.
func NewLexical(index Index, analyzer Analyzer, o Options) *Lexical {
	if o.Engine == "" {
		o.Engine = EngineMemory
	}
	return &Lexical{index: index, analyzer: analyzer, opts: o, cache: &indexCache{src: index}, chunks: &chunkCache{max: maxCachedChunks}, vocabs: &vocabCache{}}
}

// DocFreq returns how many chunks of collection hold each term, and the
// number of chunks, for weighting question terms.
func (l *Lexical) DocFreq(ctx context.Context, collection string, terms []string) (map[string]int, int, error) {
	if l.opts.Engine == EngineFTS5 {
		return l.index.DocFreq(ctx, terms)
	}
	ix, err := l.cache.get(ctx, collection)
	if err != nil {
		return nil, 0, err
	}
	out := make(map[string]int, len(terms))
	for _, t := range terms {
		out[t] = ix.docFreq(t)
	}
	return out, len(ix.rowids), nil
}

// Warm builds the in-memory index of collection ahead of the first query.
func (l *Lexical) Warm(ctx context.Context, collection string) error {
	if l.opts.Engine == EngineFTS5 {
		return nil
	}
	_, err := l.cache.get(ctx, collection)
	return err
}

// match ranks chunks and returns them with the store's write generation
// they were ranked at, which the chunk cache then uses (one generation
// read per retrieval).
func (l *Lexical) match(ctx context.Context, collection string, terms []schema.QueryTerm, k int) ([]store.Match, int64, error) {
	if l.opts.Engine == EngineFTS5 {
		gen, err := l.index.Generation(ctx)
		if err != nil {
			return nil, 0, err
		}
		qw := queryWeights(terms, l.opts.BM25.K3)
		words := make([]string, len(qw))
		weights := make([]float64, len(qw))
		for i, t := range qw {
			words[i], weights[i] = t.Term, t.Weight
		}
		m, err := l.index.Search(ctx, store.Query{Collection: collection, Terms: words, Weights: weights, K: k, TitleWeight: l.opts.BM25.TitleWeight})
		return m, gen, err
	}
	ix, err := l.cache.get(ctx, collection)
	if err != nil {
		return nil, 0, err
	}
	top := ix.search(terms, k, l.opts.BM25)
	out := make([]store.Match, len(top))
	for i, s := range top {
		out[i] = store.Match{ChunkRowID: ix.rowids[s.doc], Score: float64(s.score)}
	}
	return out, ix.gen, nil
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
	if l.opts.Fuzzy {
		var err error
		if terms, res.Fuzzy, err = l.expand(ctx, collection, terms); err != nil {
			return res, nil, fmt.Errorf("retrieve: %w", err)
		}
	}
	matches, gen, err := l.match(ctx, collection, terms, k)
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
