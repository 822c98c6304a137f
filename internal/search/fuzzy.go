package search

import (
	"cmp"
	"context"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ragline/ragline/internal/schema"
)

// Typo tolerance. A query term that no chunk of the collection holds
// ("methyltrasnferas", the stem of a misspelt "methyltrasnferase") is
// matched to the vocabulary terms within a small Damerau–Levenshtein
// distance (optimal string alignment: insertions, deletions,
// substitutions and transpositions of neighbours each cost 1), as
// Lucene's FuzzyQuery does: no edits for terms of one or two letters, one
// for three to five, two from six on (Elasticsearch's "AUTO"). Only the
// closest terms are kept, at most maxExpansions of them, the most
// frequent first, and each is weighted down by Lucene's fuzzy boost,
// 1 − distance / min(length of the two terms). Only terms of ASCII
// letters are expanded: a number, a code or a CJK bigram that is absent
// is not a typo.

// maxExpansions bounds how many vocabulary terms stand for one unknown
// query term.
const maxExpansions = 3

// FuzzyMatch is a vocabulary term that stands for a query term.
type FuzzyMatch struct {
	Term     string  `json:"term"`
	Distance int     `json:"distance"`
	Weight   float64 `json:"weight"`
}

// Expansion records the vocabulary terms an unknown query term was
// expanded to, for traces.
type Expansion struct {
	Term    string       `json:"term"`
	Matches []FuzzyMatch `json:"matches"`
}

// vocabulary is a collection's sorted term list with each term's
// document frequency: what typo tolerance searches. It is immutable.
//
// For the search, the terms are also grouped by length (byLen[n] holds
// the indexes of the terms of n bytes, in order; byLen[maxVocabLen+1]
// those of every longer term) with a signature of each (sig, in the same
// layout): see signature.
type vocabulary struct {
	terms []string
	df    []int32
	byLen [][]int32
	sig   [][]uint64
}

// maxVocabLen is the longest term length byLen tells apart: longer terms
// share one group, whose lengths are checked one by one.
const maxVocabLen = 64

// newVocabulary builds a vocabulary from every (term, df) pair that each
// yields, in any order.
func newVocabulary(each func(yield func(term string, df int))) *vocabulary {
	type entry struct {
		term string
		df   int32
	}
	var es []entry
	each(func(t string, df int) { es = append(es, entry{t, int32(min(df, 1<<31-1))}) })
	slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.term, b.term) })
	v := &vocabulary{
		terms: make([]string, len(es)),
		df:    make([]int32, len(es)),
		byLen: make([][]int32, maxVocabLen+2),
		sig:   make([][]uint64, maxVocabLen+2),
	}
	for i, e := range es {
		v.terms[i], v.df[i] = e.term, e.df
		n := min(len(e.term), maxVocabLen+1)
		v.byLen[n] = append(v.byLen[n], int32(i))
		v.sig[n] = append(v.sig[n], signature(e.term))
	}
	return v
}

// signature summarises which bytes a term holds, so that most terms
// beyond a query term's edit budget are passed over without aligning
// them: bit c−'a' is set when letter c occurs at least once, bit 26 +
// c−'a' when it occurs at least twice, and for any other byte b, bit 52
// + b mod 12 when such a byte occurs. Inserting or deleting one byte
// flips at most one bit, a substitution at most two and a transposition
// none, so two terms within d edits have signatures differing in at
// most 2d bits.
func signature(t string) uint64 {
	var s uint64
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c >= 'a' && c <= 'z' {
			bit := uint64(1) << (c - 'a')
			if s&bit != 0 {
				s |= bit << 26
			}
			s |= bit
			continue
		}
		s |= 1 << (52 + c%12)
	}
	return s
}

// has reports whether term is in the vocabulary.
func (v *vocabulary) has(term string) bool {
	_, ok := slices.BinarySearch(v.terms, term)
	return ok
}

// maxEdits is the edit budget for a query term: 0 when it must not be
// expanded.
func maxEdits(term string) int {
	n := len(term)
	for i := 0; i < n; i++ {
		if c := term[i]; c < 'a' || c > 'z' {
			return 0
		}
	}
	switch {
	case n < 3:
		return 0
	case n < 6:
		return 1
	}
	return 2
}

// expandFuzzy adds, for each query term that is absent from v and may be
// a typo, the closest vocabulary terms with their weights, and returns
// the terms with what was expanded. Terms that are present pass through.
func expandFuzzy(terms []schema.QueryTerm, v *vocabulary) ([]schema.QueryTerm, []Expansion) {
	return expandAbsent(terms, v, v.has)
}

// expandAbsent is expandFuzzy with presence decided by present instead
// of by v: the live index's current view, when v may be a little older
// than it (see vocabCache).
func expandAbsent(terms []schema.QueryTerm, v *vocabulary, present func(string) bool) ([]schema.QueryTerm, []Expansion) {
	var out []schema.QueryTerm
	var exp []Expansion
	for _, qt := range terms {
		d := maxEdits(qt.Term)
		if d == 0 || qt.Weight <= 0 || present(qt.Term) {
			continue
		}
		ms := v.near(qt.Term, d)
		if len(ms) == 0 {
			continue
		}
		for j := range ms {
			ms[j].Weight = qt.Weight * ms[j].Weight
			out = append(out, schema.QueryTerm{Term: ms[j].Term, Weight: ms[j].Weight})
		}
		exp = append(exp, Expansion{Term: qt.Term, Matches: ms})
	}
	if out == nil {
		return terms, nil
	}
	// The given terms stay (an absent one scores nothing), so the result
	// still lists what the question said.
	return append(slices.Clone(terms), out...), exp
}

// near returns the vocabulary terms closest to q within maxD edits, at
// most maxExpansions of them, the most frequent first, each weighted by
// Lucene's fuzzy boost. Only terms whose length is within maxD of q's
// and whose signature differs from q's in at most 2·maxD bits can be
// that close (see signature); those few are aligned with q in a band of
// the edit-distance table that stops as soon as the budget is exceeded.
func (v *vocabulary) near(q string, maxD int) []FuzzyMatch {
	m := len(q)
	qs := signature(q)
	best := maxD + 1
	var found []int32 // indexes into v.terms at distance best
	var o osaRows
	for n := min(max(1, m-maxD), maxVocabLen+1); n <= min(m+maxD, maxVocabLen+1); n++ {
		sigs := v.sig[n]
		for k, s := range sigs {
			if bits.OnesCount64(s^qs) > 2*maxD {
				continue
			}
			idx := v.byLen[n][k]
			if l := len(v.terms[idx]); l < m-maxD || l > m+maxD {
				continue // in the group of long terms
			}
			d := o.distance(v.terms[idx], q, min(best, maxD))
			switch {
			case d > maxD || d > best:
			case d < best:
				best, found = d, append(found[:0], idx)
			default:
				found = append(found, idx)
			}
		}
	}
	slices.SortFunc(found, func(a, b int32) int {
		if c := cmp.Compare(v.df[b], v.df[a]); c != 0 {
			return c
		}
		return strings.Compare(v.terms[a], v.terms[b])
	})
	if len(found) > maxExpansions {
		found = found[:maxExpansions]
	}
	out := make([]FuzzyMatch, len(found))
	for i, k := range found {
		t := v.terms[k]
		out[i] = FuzzyMatch{Term: t, Distance: best, Weight: 1 - float64(best)/float64(min(len(t), m))}
	}
	return out
}

// osaRows holds the three rows of the edit-distance table that the
// optimal-string-alignment distance reads, reused across terms.
type osaRows struct{ rows [3][]int }

// distance returns the optimal-string-alignment distance between t and
// q (insertions, deletions, substitutions and transpositions of
// neighbours, each costing 1) when it is at most limit, and limit+1
// otherwise. Only the band |i−j| ≤ limit of the table can hold such a
// distance (d[i][j] ≥ |i−j|), and the walk stops at the first row whose
// band is all beyond the limit.
func (o *osaRows) distance(t, q string, limit int) int {
	m := len(q)
	for i := range o.rows {
		if cap(o.rows[i]) < m+1 {
			o.rows[i] = make([]int, m+1)
		}
		o.rows[i] = o.rows[i][:m+1]
	}
	up2, up, row := o.rows[0], o.rows[1], o.rows[2]
	for j := range up {
		up[j] = j
	}
	for i := 1; i <= len(t); i++ {
		row[0] = i
		lo := i
		jlo, jhi := max(1, i-limit), min(m, i+limit)
		if jlo > 1 {
			row[jlo-1] = far
		}
		if jhi < m {
			row[jhi+1] = far
		}
		for j := jlo; j <= jhi; j++ {
			cost := 1
			if t[i-1] == q[j-1] {
				cost = 0
			}
			d := min(up[j]+1, row[j-1]+1, up[j-1]+cost)
			if i > 1 && j > 1 && t[i-1] == q[j-2] && t[i-2] == q[j-1] {
				d = min(d, up2[j-2]+1)
			}
			row[j] = d
			lo = min(lo, d)
		}
		if lo > limit {
			return limit + 1
		}
		up2, up, row = up, row, up2
	}
	if d := up[m]; d <= limit {
		return d
	}
	return limit + 1
}

// far stands for a distance beyond any budget in the edit-distance rows.
const far = 1 << 20

// distinctTerms lists each term once, in first-occurrence order.
func distinctTerms(terms []schema.QueryTerm) []string {
	seen := make(map[string]bool, len(terms))
	out := make([]string, 0, len(terms))
	for _, t := range terms {
		if !seen[t.Term] {
			seen[t.Term] = true
			out = append(out, t.Term)
		}
	}
	return out
}

// vocabCache holds the newest vocabulary built for each collection, with
// the index state (change-log sequence) it was built from. Once a
// collection has one, a serving Lexical never builds it on a query's
// path: a query that finds it older than the index starts a rebuild in
// the background (one at a time per collection) and expands with the
// older vocabulary meanwhile. Typo expansion may so lag writes briefly:
// a term that only a just-written document holds is not yet a candidate,
// and one that only a just-deleted document held may still be one (it
// then matches nothing). Only a collection's first expansion builds on
// the query path. A one-shot process, which brings its index up to date
// before each query anyway, rebuilds in place. It is safe for concurrent
// use.
type vocabCache struct {
	mu sync.Mutex
	m  map[string]*vocabEntry
	// builds counts finished builds (tests).
	builds atomic.Int64
}

type vocabEntry struct {
	seq      int64
	v        *vocabulary
	building bool
}

// get returns collection's vocabulary for the index state at seq, or,
// with background set, the newest one built so far while bg builds the
// one for seq; build runs on the caller's path only when there is none
// yet or background is off.
func (c *vocabCache) get(ctx context.Context, collection string, seq int64, background bool, bg *sync.WaitGroup, build func(context.Context) (*vocabulary, error)) (*vocabulary, error) {
	c.mu.Lock()
	e := c.m[collection]
	if e != nil && e.seq >= seq {
		c.mu.Unlock()
		return e.v, nil
	}
	if e != nil && background {
		if !e.building {
			e.building = true
			bg.Go(func() {
				v, err := build(context.Background())
				c.mu.Lock()
				defer c.mu.Unlock()
				e.building = false
				if err == nil {
					c.installLocked(collection, seq, v)
				}
			})
		}
		v := e.v
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	v, err := build(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.installLocked(collection, seq, v)
	return c.m[collection].v, nil
}

// installLocked records v as collection's vocabulary at seq unless a
// newer one is there. c.mu must be held.
func (c *vocabCache) installLocked(collection string, seq int64, v *vocabulary) {
	c.builds.Add(1)
	if c.m == nil {
		c.m = map[string]*vocabEntry{}
	}
	e := c.m[collection]
	if e == nil {
		c.m[collection] = &vocabEntry{seq: seq, v: v}
		return
	}
	if seq > e.seq || e.v == nil {
		e.seq, e.v = seq, v
	}
}

// expand applies typo tolerance to terms with the collection's
// vocabulary, which is looked up only when some term may need it. Both
// engines use the same vocabulary, the terms of the collection's live
// chunks with their document frequencies, so they expand alike. With
// the memory engine (cur, the view the query ranks on) a term counts as
// present when cur holds it, even if the vocabulary is a little older
// (see vocabCache); with fts5 (cur nil) the index has just been brought
// up to date (see current).
func (l *Lexical) expand(ctx context.Context, collection string, cur *view, terms []schema.QueryTerm) ([]schema.QueryTerm, []Expansion, error) {
	need := false
	for _, t := range terms {
		if maxEdits(t.Term) > 0 && (cur == nil || !cur.has(t.Term)) {
			need = true
			break
		}
	}
	if !need {
		return terms, nil, nil
	}
	if cur == nil {
		v, err := l.ftsVocabulary(ctx, collection)
		if err != nil {
			return nil, nil, err
		}
		out, exp := expandFuzzy(terms, v)
		return out, exp, nil
	}
	v, err := l.vocabs.get(ctx, collection, cur.seq, l.isLive(), &l.bg, func(context.Context) (*vocabulary, error) {
		return cur.vocabulary(), nil
	})
	if err != nil {
		return nil, nil, err
	}
	out, exp := expandAbsent(terms, v, cur.has)
	return out, exp, nil
}

// vocabulary lists the terms of v's live chunks with their document
// frequencies.
func (v *view) vocabulary() *vocabulary {
	if len(v.segs) == 1 && v.ndead[0] == 0 {
		return newVocabulary(func(yield func(string, int)) {
			for t, ps := range v.segs[0].postings {
				yield(t, len(ps))
			}
		})
	}
	df := map[string]int{}
	for i, s := range v.segs {
		for t, ps := range s.postings {
			n := len(ps)
			if v.ndead[i] > 0 {
				n = 0
				for _, p := range ps {
					if !v.dead[i].has(p.doc) {
						n++
					}
				}
			}
			if n > 0 {
				df[t] += n
			}
		}
	}
	return newVocabulary(func(yield func(string, int)) {
		for t, n := range df {
			yield(t, n)
		}
	})
}

// ftsVocabulary returns the vocabulary of collection for the fts5
// engine, built from the store's chunk terms (each term counted once per
// chunk, as the in-memory index does) and kept like the memory engine's
// (see vocabCache), keyed by the change-log sequence applied; the caller
// has synced the index.
func (l *Lexical) ftsVocabulary(ctx context.Context, collection string) (*vocabulary, error) {
	return l.vocabs.get(ctx, collection, l.applied.Load(), l.isLive(), &l.bg, func(ctx context.Context) (*vocabulary, error) {
		df := map[string]int{}
		seen := map[string]bool{}
		err := l.index.ChunkTerms(ctx, collection, func(_ int64, title, body string) {
			clear(seen)
			for _, f := range []string{body, title} {
				for t := range strings.FieldsSeq(f) {
					if !seen[t] {
						seen[t] = true
						df[t]++
					}
				}
			}
		})
		if err != nil {
			return nil, fmt.Errorf("vocabulary: %w", err)
		}
		return newVocabulary(func(yield func(string, int)) {
			for t, n := range df {
				yield(t, n)
			}
		}), nil
	})
}
