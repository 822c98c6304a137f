package extractive

import (
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/ragline/ragline/internal/text"
)

// maxCachedChunks bounds the sentence cache; popular chunks are analysed
// once instead of on every question that retrieves them.
const maxCachedChunks = 8192

// sentenceInfo is one analysed sentence of a chunk.
type sentenceInfo struct {
	byteStart, byteEnd int      // in the chunk text
	runeStart, runeLen int      // character offset in the chunk, length
	terms              []string // distinct analyzer terms, sorted
	n                  int      // number of terms, repeats included
	quotable           bool     // quotableText of the sentence
}

// sentenceCache maps chunk text to its analysed sentences. It is safe for
// concurrent use; when full it drops half its entries.
type sentenceCache struct {
	mu  sync.Mutex
	max int
	m   map[string][]sentenceInfo
}

func newSentenceCache(max int) *sentenceCache {
	return &sentenceCache{max: max, m: make(map[string][]sentenceInfo)}
}

// sentences splits and analyses a chunk's text, from the cache when the
// same text was seen before.
func (g *Generator) sentences(ct string) []sentenceInfo {
	c := g.cache
	c.mu.Lock()
	if s, ok := c.m[ct]; ok {
		c.mu.Unlock()
		return s
	}
	c.mu.Unlock()
	var out []sentenceInfo
	runePos, bytePos := 0, 0
	for _, sp := range text.Sentences(ct) {
		runePos += utf8.RuneCountInString(ct[bytePos:sp.Start])
		n := utf8.RuneCountInString(ct[sp.Start:sp.End])
		terms := g.analyzer.Terms(ct[sp.Start:sp.End])
		distinct := append([]string(nil), terms...)
		sort.Strings(distinct)
		k := 0
		for i, t := range distinct {
			if i == 0 || t != distinct[k-1] {
				distinct[k] = t
				k++
			}
		}
		out = append(out, sentenceInfo{byteStart: sp.Start, byteEnd: sp.End, runeStart: runePos, runeLen: n, terms: distinct[:k], n: len(terms),
			quotable: quotableText(strings.TrimSpace(ct[sp.Start:sp.End]))})
		runePos += n
		bytePos = sp.End
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		drop := len(c.m) / 2
		for k := range c.m {
			if drop == 0 {
				break
			}
			delete(c.m, k)
			drop--
		}
	}
	c.m[ct] = out
	c.mu.Unlock()
	return out
}
