package text

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// analyzerVersion is the leading part of Analyzer.Version. Bump it
// whenever a change to this package, or an upgrade of snowball, gse or
// golang.org/x/text, can change the terms produced for some input.
const analyzerVersion = "text/2"

// Option values accepted by NewAnalyzer.
const (
	stemEnglish = "english"
	stemNone    = "none"
	cjkBigram   = "bigram"
	cjkGSE      = "gse"
)

// Token is one term of analysed text.
type Token struct {
	// Term is the normalised, stemmed term: letters, marks and digits
	// only, never empty.
	Term string
	// Start and End are the byte offsets in the analysed string of the
	// source word (or CJK characters) the term came from.
	Start, End int
}

// Options configures an Analyzer. The zero value is the default English
// analyzer with CJK bigrams.
type Options struct {
	// Stemming is "english" (the default when empty) or "none".
	Stemming string
	// StopWords lists the words to drop. Nil means DefaultStopWords; an
	// empty, non-nil slice means none. Entries are normalised like input
	// text, so "Don't" and "dont" are the same entry.
	StopWords []string
	// CJK selects how runs of Chinese, Japanese and Korean characters are
	// split: "bigram" (the default when empty) or "gse".
	CJK string
}

// Analyzer turns text into search terms. It is immutable after
// construction and safe for concurrent use.
type Analyzer struct {
	stem   bool
	useGSE bool
	stop   map[string]struct{}
	// stopCJK is true when some stop word contains a non-ASCII rune, the
	// only case in which CJK terms need a stop-word look-up.
	stopCJK bool
	version string
}

// NewAnalyzer returns an Analyzer for o. It fails when o names an unknown
// stemming or CJK mode.
//
// With CJK "gse" the first analysis of Chinese text loads gse's embedded
// simplified-Chinese dictionary, once per process: that takes about two
// seconds and keeps about 130 MB of heap for the life of the process, and
// segmenting runs at a tenth of the speed of bigrams, which is why
// "bigram" is the default. Runs that contain kana or Hangul are always
// split into bigrams, since the dictionary is Chinese.
func NewAnalyzer(o Options) (*Analyzer, error) {
	a := &Analyzer{}
	switch o.Stemming {
	case "", stemEnglish:
		a.stem = true
	case stemNone:
	default:
		return nil, fmt.Errorf("text: unknown stemming %q (want %q or %q)", o.Stemming, stemEnglish, stemNone)
	}
	switch o.CJK {
	case "", cjkBigram:
	case cjkGSE:
		if !gseAvailable {
			return nil, fmt.Errorf("text: CJK mode %q is not in this build (build with -tags gse)", cjkGSE)
		}
		a.useGSE = true
	default:
		return nil, fmt.Errorf("text: unknown CJK mode %q (want %q or %q)", o.CJK, cjkBigram, cjkGSE)
	}

	words := o.StopWords
	if words == nil {
		words = DefaultStopWords
	}
	a.stop = make(map[string]struct{}, len(words))
	plain := &Analyzer{} // no stop words, no stemming: normalisation only
	for _, w := range words {
		for _, t := range plain.Terms(w) {
			a.stop[t] = struct{}{}
			if !isASCII(t) {
				a.stopCJK = true
			}
		}
	}

	stem, cjk := stemNone, cjkBigram
	if a.stem {
		stem = stemEnglish
	}
	if a.useGSE {
		cjk = cjkGSE + "-" + gseVersion()
	}
	a.version = fmt.Sprintf("%s;stem=%s;stop=%s;cjk=%s;unicode=%s;nfkc=%s",
		analyzerVersion, stem, stopDigest(a.stop), cjk, unicode.Version, norm.Version)
	return a, nil
}

// stopDigest identifies a normalised stop-word set by the first eight hex
// digits of the sha256 of its sorted entries, or "none" when it is empty.
func stopDigest(stop map[string]struct{}) string {
	if len(stop) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(stop))
	for k := range stop {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	sum := sha256.Sum256([]byte(strings.Join(keys, "\n")))
	return hex.EncodeToString(sum[:4])
}

// Version identifies everything that determines the Analyzer's output:
// the analysis rules, stemming, the stop-word set, the CJK mode and the
// Unicode tables. Two analyzers with the same Version produce the same
// terms for every input, so an index built with one may be queried with
// the other.
func (a *Analyzer) Version() string { return a.version }

// Tokens analyses s and returns its terms in order with the byte spans of
// the words they came from. It returns nil when s has no terms.
func (a *Analyzer) Tokens(s string) []Token {
	var out []Token
	a.analyze(s, func(term string, start, end int) {
		if len(out) == cap(out) {
			out = grow(out, s)
		}
		out = append(out, Token{Term: term, Start: start, End: end})
	})
	return out
}

// Terms is Tokens without the spans.
func (a *Analyzer) Terms(s string) []string {
	var out []string
	a.analyze(s, func(term string, _, _ int) {
		if len(out) == cap(out) {
			out = grow(out, s)
		}
		out = append(out, term)
	})
	return out
}

// grow makes room in a full result slice for the terms of s: first for an
// estimate of their number (a term per six ASCII bytes, one per CJK
// character), then by doubling, because append grows large slices by
// 1.25x and would copy a long result several times over.
func grow[T any](out []T, s string) []T {
	if cap(out) == 0 {
		wide := 0 // characters of three or four bytes, mostly CJK
		for i := 0; i < len(s); i++ {
			if s[i] >= 0xE0 {
				wide++
			}
		}
		est := (len(s) + 3*wide) / 6
		return slices.Grow(out, max(est, 8))
	}
	return slices.Grow(out, len(out))
}

// emitFunc receives each term with its source span.
type emitFunc func(term string, start, end int)

// scratch holds the buffers one analysis reuses across words.
type scratch struct {
	word  []byte // the word as scanned: ASCII lower-cased, apostrophes dropped
	norm  []byte // the normalised form of a non-ASCII word
	greek []byte // norm with Greek letters spelt out (see spellGreek)
	chars []int  // byte offsets of the characters of a CJK run
}

// analyze walks s and calls emit for every term.
func (a *Analyzer) analyze(s string, emit emitFunc) {
	var sc scratch
	var wordBuf [64]byte
	sc.word = wordBuf[:0]
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if isASCIIAlnum(c) {
				i = a.word(s, i, &sc, emit)
			} else {
				i++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case isCJK(r):
			i = a.cjkRun(s, i, &sc, emit)
		case isWordRune(r):
			i = a.word(s, i, &sc, emit)
		default:
			i += size
		}
	}
}

// word scans the word starting at s[i], emits its terms and returns the
// offset just past it.
func (a *Analyzer) word(s string, i int, sc *scratch, emit emitFunc) int {
	start := i
	w := sc.word[:0]
	ascii := true
	// verbatim stays true while w equals s[start:i] byte for byte, in which
	// case the term can be a substring of s instead of a new string.
	verbatim := true
	prevLetter := false
	// upper counts the capitals just before i; plural is the length of w
	// after an "s" that follows two or more of them ("RXRs", "mRNAs").
	upper, plural := 0, -1
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch asciiClass[c] {
			case classLower:
				if c == 's' && upper >= 2 {
					plural = len(w) + 1
				}
				w = append(w, c)
				prevLetter = true
				upper = 0
				i++
				continue
			case classUpper:
				w = append(w, c+'a'-'A')
				verbatim = false
				prevLetter = true
				upper++
				i++
				continue
			case classDigit:
				w = append(w, c)
				prevLetter = false
				upper = 0
				i++
				continue
			}
			if c == '\'' && prevLetter {
				if n, ok := apostrophe(s, i, 1); ok {
					i += n
					verbatim = false
					if n > 1 {
						break // possessive 's ends the word
					}
					continue
				}
			}
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if isApostrophe(r) && prevLetter {
			if n, ok := apostrophe(s, i, size); ok {
				i += n
				verbatim = false
				if n > size {
					break
				}
				continue
			}
			break
		}
		if isCJK(r) || !isWordRune(r) {
			break
		}
		w = append(w, s[i:i+size]...)
		ascii = false
		prevLetter = unicode.IsLetter(r) || (prevLetter && unicode.IsMark(r))
		upper = 0
		i += size
	}
	sc.word = w
	end := i
	if end == start {
		// Not reachable for callers that start on a word rune; guarantees
		// progress anyway.
		return start + 1
	}
	if plural == len(w) {
		// An acronym's plural: the stemmer cannot see that "rxrs" is
		// "rxr" + "s", since it has no vowel, so the "s" goes here.
		w = w[:len(w)-1]
	}
	if ascii {
		var verb string
		if verbatim {
			verb = s[start:end]
		}
		a.parts(w, verb, true, start, end, emit)
		return end
	}
	sc.norm = normalizeWord(sc.norm, w)
	n := sc.norm
	if g, ok := spellGreek(sc.greek, n); ok {
		sc.greek = g
		n = g
	}
	// Normalisation can introduce separators ("½" → "1⁄2"); each run of
	// term runes becomes its own term with the word's span.
	for j := 0; j < len(n); {
		for j < len(n) {
			r, size := utf8.DecodeRune(n[j:])
			if isTermRune(r) {
				break
			}
			j += size
		}
		k := j
		for k < len(n) {
			r, size := utf8.DecodeRune(n[k:])
			if !isTermRune(r) {
				break
			}
			k += size
		}
		if k > j {
			a.parts(n[j:k], "", false, start, end, emit)
		}
		j = k
	}
	return end
}

// apostrophe decides what an apostrophe of width size at s[i], preceded
// by a letter, does. It returns how many bytes to skip and true when the
// word goes on (or ends with a possessive 's, n > size); false when the
// apostrophe ends the word.
func apostrophe(s string, i, size int) (n int, ok bool) {
	j := i + size
	if j >= len(s) {
		return 0, false
	}
	r, rsize := utf8.DecodeRuneInString(s[j:])
	if !unicode.IsLetter(r) || isCJK(r) {
		return 0, false
	}
	if r == 's' || r == 'S' {
		k := j + rsize
		if k == len(s) {
			return size + rsize, true
		}
		next, _ := utf8.DecodeRuneInString(s[k:])
		if !(isWordRune(next) || isApostrophe(next)) || isCJK(next) {
			return size + rsize, true
		}
	}
	return size, true
}

// parts splits a normalised word at every boundary between letters and
// digits and emits each part as a term, then the whole word, so "Bcl2"
// gives "bcl" "2" "bcl2", which meets the "bcl" "2" of "BCL-2" and
// "bcl 2", and "FoxO3a" gives the "foxo" "3" of "FOXO3" (the "a" is a
// stop word) and "foxo3a". verb, when not empty, is the input equal to w.
func (a *Analyzer) parts(w []byte, verb string, ascii bool, start, end int, emit emitFunc) {
	for i := 0; i < len(w); {
		digit := isDigitAt(w, i, ascii)
		j := i
		for j < len(w) {
			if ascii {
				if (asciiClass[w[j]] == classDigit) != digit {
					break
				}
				j++
				continue
			}
			r, size := utf8.DecodeRune(w[j:])
			if j > i && !unicode.IsMark(r) && unicode.IsNumber(r) != digit {
				break
			}
			j += size
		}
		var pv string
		if verb != "" {
			pv = verb[i:j]
		}
		if i == 0 && j == len(w) {
			a.term(w, pv, ascii, start, end, emit)
			return
		}
		a.term(w[i:j], pv, ascii, start, end, emit)
		i = j
	}
	// The whole code too ("h3k9me3", "piezo1", "bcl2"): a rarer term
	// than its parts, which keeps a code written as one word specific.
	a.term(w, verb, ascii, start, end, emit)
}

// isDigitAt reports whether the character at w[i] is a number.
func isDigitAt(w []byte, i int, ascii bool) bool {
	if ascii || w[i] < utf8.RuneSelf {
		return asciiClass[w[i]] == classDigit
	}
	r, _ := utf8.DecodeRune(w[i:])
	return unicode.IsNumber(r)
}

// term applies the stop list and the stemmer to a normalised term w and
// emits it. verb, when not empty, is a substring of the input equal to w
// that can be emitted without allocating.
func (a *Analyzer) term(w []byte, verb string, ascii bool, start, end int, emit emitFunc) {
	if len(w) == 0 {
		return
	}
	if _, ok := a.stop[string(w)]; ok {
		return
	}
	if a.stem && len(w) > 2 && stemmable(w, ascii) {
		var buf [64]byte
		t := stemWord(sisPlural(buf[:0], w))
		if verb != "" && t == verb {
			t = verb
		}
		emit(t, start, end)
		return
	}
	if verb != "" {
		emit(verb, start, end)
		return
	}
	emit(string(w), start, end)
}

// sisPlural returns w, or for a word of six or more letters ending in
// "-sis" its plural in "-ses" (in dst), which the stemmer reduces to the
// stem of the whole family: Porter2 stems "metastasis" to "metastasi" but
// "metastases" and "metastasize" to "metastas", "diagnosis" to
// "diagnosi" but "diagnoses" and "diagnosed" to "diagnos".
func sisPlural(dst, w []byte) []byte {
	n := len(w)
	if n < 6 || w[n-3] != 's' || w[n-2] != 'i' || w[n-1] != 's' {
		return w
	}
	dst = append(dst, w[:n-2]...)
	return append(dst, 'e', 's')
}

// stemmable reports whether the English stemmer applies to w: it must be
// made of Latin letters (and marks) only, so numbers, codes like "covid19"
// and words of other scripts are left alone.
func stemmable(w []byte, ascii bool) bool {
	if ascii {
		for _, c := range w {
			if asciiClass[c] != classLower {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(w); {
		r, size := utf8.DecodeRune(w[i:])
		i += size
		switch {
		case r < utf8.RuneSelf:
			if asciiClass[r] != classLower {
				return false
			}
		case unicode.IsMark(r):
		case !unicode.Is(unicode.Latin, r):
			return false
		}
	}
	return true
}

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
