package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

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
type vocabulary struct {
	terms []string
	df    []int32
}

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
	v := &vocabulary{terms: make([]string, len(es)), df: make([]int32, len(es))}
	for i, e := range es {
		v.terms[i], v.df[i] = e.term, e.df
	}
	return v
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
	var out []schema.QueryTerm
	var exp []Expansion
	for _, qt := range terms {
		d := maxEdits(qt.Term)
		if d == 0 || qt.Weight <= 0 || v.has(qt.Term) {
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
// Lucene's fuzzy boost. The sorted vocabulary is walked as a trie: the
// rows of the edit-distance table are shared between terms with a common
// prefix, and every term under a prefix whose row already exceeds maxD is
// skipped with a binary search.
func (v *vocabulary) near(q string, maxD int) []FuzzyMatch {
	m := len(q)
	maxLen := m + maxD
	rows := make([][]int, maxLen+1)
	for i := range rows {
		rows[i] = make([]int, m+1)
	}
	for j := range rows[0] {
		rows[0][j] = j
	}
	best := maxD + 1
	var found []int // indexes into v.terms at distance best
	prev := ""      // the term whose rows 1..len(prev) are in rows
	for idx := 0; idx < len(v.terms); {
		t := v.terms[idx]
		cp := commonPrefix(prev, t)
		dead := -1
		for i := cp + 1; i <= len(t) && i <= maxLen; i++ {
			row, up := rows[i], rows[i-1]
			row[0] = i
			lo := i
			// Only the band |i−j| ≤ maxD can hold a distance within the
			// budget (d[i][j] ≥ |i−j|); the cells beside it are set to
			// "too far" so the next row can read them.
			jlo, jhi := max(1, i-maxD), min(m, i+maxD)
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
					d = min(d, rows[i-2][j-2]+1)
				}
				row[j] = d
				lo = min(lo, d)
			}
			if lo > min(best, maxD) {
				dead = i
				break
			}
		}
		if dead < 0 && len(t) > maxLen {
			dead = maxLen + 1 // longer than any match: skip its extensions too
		}
		if dead > 0 {
			idx = v.skip(idx, t[:dead])
			prev = t[:dead-1]
			continue
		}
		if len(t) < m-maxD {
			// Too short: its last row's band does not reach column m.
			prev = t
			idx++
			continue
		}
		if d := rows[len(t)][m]; d <= maxD && d <= best {
			if d < best {
				best, found = d, found[:0]
			}
			found = append(found, idx)
		}
		prev = t
		idx++
	}
	slices.SortFunc(found, func(a, b int) int {
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

// far stands for a distance beyond any budget in the edit-distance rows.
const far = 1 << 20

// skip returns the index of the first term after idx that does not
// start with p (v.terms[idx] does). Most dead prefixes cover a few terms,
// so it gallops before it bisects.
func (v *vocabulary) skip(idx int, p string) int {
	n := len(v.terms)
	step := 1
	for idx+step < n && strings.HasPrefix(v.terms[idx+step], p) {
		step *= 2
	}
	lo, hi := idx+step/2+1, min(idx+step, n)
	return lo + sort.Search(hi-lo, func(k int) bool { return !strings.HasPrefix(v.terms[lo+k], p) })
}

// commonPrefix is the length of the longest common prefix of a and b.
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

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

// vocabCache holds one vocabulary per collection, for the write
// generation it was built at. It is safe for concurrent use.
type vocabCache struct {
	mu sync.Mutex
	m  map[string]vocabEntry
}

type vocabEntry struct {
	gen int64
	v   *vocabulary
}

// get returns the collection's vocabulary at generation gen, building
// it with build when the cached one is older.
func (c *vocabCache) get(collection string, gen int64, build func() (*vocabulary, error)) (*vocabulary, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[collection]; ok && e.gen == gen {
		return e.v, nil
	}
	v, err := build()
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]vocabEntry{}
	}
	c.m[collection] = vocabEntry{gen, v}
	return v, nil
}

// expand applies typo tolerance to terms with the collection's
// vocabulary, which is built (once per write generation) only when some
// term may need it. Both engines use the same vocabulary, the terms of
// the collection's chunks, so they expand alike.
func (l *Lexical) expand(ctx context.Context, collection string, terms []schema.QueryTerm) ([]schema.QueryTerm, []Expansion, error) {
	var ix *memIndex
	if l.opts.Engine != EngineFTS5 {
		var err error
		if ix, err = l.cache.get(ctx, collection); err != nil {
			return nil, nil, err
		}
	}
	need := false
	for _, t := range terms {
		if maxEdits(t.Term) > 0 && (ix == nil || ix.docFreq(t.Term) == 0) {
			need = true
			break
		}
	}
	if !need {
		return terms, nil, nil
	}
	var v *vocabulary
	var err error
	if ix != nil {
		v, err = l.vocabs.get(collection, ix.gen, func() (*vocabulary, error) {
			return newVocabulary(func(yield func(string, int)) {
				for t, ps := range ix.postings {
					yield(t, len(ps))
				}
			}), nil
		})
	} else {
		v, err = l.ftsVocabulary(ctx, collection)
	}
	if err != nil {
		return nil, nil, err
	}
	out, exp := expandFuzzy(terms, v)
	return out, exp, nil
}

// ftsVocabulary builds the vocabulary of collection from the store's
// chunk terms, counting each term once per chunk as the in-memory index
// does.
func (l *Lexical) ftsVocabulary(ctx context.Context, collection string) (*vocabulary, error) {
	gen, err := l.index.Generation(ctx)
	if err != nil {
		return nil, err
	}
	return l.vocabs.get(collection, gen, func() (*vocabulary, error) {
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
