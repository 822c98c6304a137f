package chunk

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/text"
)

// unit is the smallest span the packer places: a sentence, a whole block
// that must not be split, or a piece of one too big for a chunk.
type unit struct {
	start, end int // byte offsets, trimmed, non-empty
	tokens     int // text.CountTokens of the span
	block      int // index of the block it belongs to
	// section is set on the first unit of a block that begins a section:
	// a heading, or a block whose heading path differs from that of the
	// (non-heading) block before it. A section never shares a chunk with
	// what precedes it, except that consecutive headings stay together.
	section bool
	heading bool // the unit is (part of) a heading block
	whole   bool // a whole sentence or block, so it may be repeated as overlap
}

// atomic reports whether blocks of kind are kept whole rather than split
// into sentences.
func atomic(kind string) bool {
	switch kind {
	case schema.BlockHeading, schema.BlockTableRow, schema.BlockRecord, schema.BlockCode:
		return true
	}
	return false
}

// units breaks the blocks of s into units, splitting any unit of more than
// size tokens.
func units(s string, blocks []block, size int) []unit {
	out := make([]unit, 0, len(blocks)*2)
	for bi, b := range blocks {
		// A changed heading path starts a section too, unless the block
		// before is the heading itself: a loader that leaves the path off
		// the heading's content must not separate the two.
		section := b.kind == schema.BlockHeading ||
			(bi > 0 && blocks[bi-1].kind != schema.BlockHeading && !slices.Equal(b.headings, blocks[bi-1].headings))
		add := func(start, end int) {
			u := unit{start: start, end: end, block: bi, section: section,
				heading: b.kind == schema.BlockHeading, whole: true}
			section = false
			u.tokens = text.CountTokens(s[start:end])
			if u.tokens <= size {
				out = append(out, u)
				return
			}
			for _, p := range splitOversized(s, start, end, size) {
				v := u
				v.start, v.end, v.tokens, v.whole = p.start, p.end, p.tokens, false
				out = append(out, v)
				u.section = false
			}
		}
		if atomic(b.kind) {
			if start, end := trim(s, b.start, b.end); start < end {
				add(start, end)
			}
			continue
		}
		for _, sp := range text.Sentences(s[b.start:b.end]) {
			add(b.start+sp.Start, b.start+sp.End)
		}
	}
	return out
}

// piece is one part of an oversized unit.
type piece struct{ start, end, tokens int }

// splitOversized cuts s[start:end], which is over size tokens, into
// trimmed pieces of at most size tokens each. Each cut is made at the last
// line break in the second half of the longest prefix that fits, else at
// the last other white space there, else at
// the last boundary of a CJK character or punctuation mark there, else
// right at the limit. A piece holds at least one character even if that
// character alone is over size. The work is proportional to the length of
// the span times the logarithm of a piece's.
func splitOversized(s string, start, end, size int) []piece {
	var out []piece
	for {
		start, end = trim(s, start, end)
		if start >= end {
			return out
		}
		limit, n := longestFit(s, start, end, size)
		if limit == end {
			return append(out, piece{start, end, n})
		}
		cut := bestCut(s, start, limit)
		ps, pe := trim(s, start, cut)
		if ps < pe {
			out = append(out, piece{ps, pe, text.CountTokens(s[ps:pe])})
		}
		start = cut
	}
}

// longestFit returns the largest rune boundary q in (start, end] such that
// s[start:q] is at most size tokens, or the end of the first rune when not
// even that fits, with the token count of s[start:q]. It gallops forward
// and then bisects, so that its cost is proportional to the prefix it
// finds, not to the rest of the text.
func longestFit(s string, start, end, size int) (int, int) {
	count := func(q int) int { return text.CountTokens(s[start:q]) }
	_, first := utf8.DecodeRuneInString(s[start:end])
	lo := start + first // a boundary that fits, or the least piece there is
	loTokens := count(lo)
	if loTokens > size {
		return lo, loTokens
	}
	hi := -1 // the least boundary known not to fit; -1 while none is
	for step := 64; hi < 0; step *= 2 {
		if lo == end {
			return lo, loTokens
		}
		q := runeFloor(s, lo, min(lo+step, end))
		if q <= lo {
			continue
		}
		if n := count(q); n <= size {
			lo, loTokens = q, n
		} else {
			hi = q
		}
	}
	for {
		mid := runeFloor(s, lo, lo+(hi-lo)/2)
		if mid <= lo {
			// No boundary strictly between lo and mid: try the next rune.
			_, w := utf8.DecodeRuneInString(s[lo:hi])
			mid = lo + w
			if mid >= hi {
				return lo, loTokens
			}
		}
		if n := count(mid); n <= size {
			lo, loTokens = mid, n
		} else {
			hi = mid
		}
	}
}

// runeFloor moves i back to the start of a rune, not before lo.
func runeFloor(s string, lo, i int) int {
	for i > lo && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

// bestCut picks where to end a piece that may extend from start to at
// most limit.
func bestCut(s string, start, limit int) int {
	if limit >= len(s) {
		return limit
	}
	half := start + (limit-start)/2
	// A line break, then other white space: the piece ends before it.
	if i := strings.LastIndexByte(s[half:limit], '\n'); i > 0 {
		return half + i
	}
	for i := limit; i > half; {
		r, size := utf8.DecodeLastRuneInString(s[start:i])
		if unicode.IsSpace(r) {
			return i - size
		}
		i -= size
	}
	// A CJK character or punctuation boundary.
	next, _ := utf8.DecodeRuneInString(s[limit:])
	for i := limit; i > half; {
		r, size := utf8.DecodeLastRuneInString(s[start:i])
		if isCJK(r) || isCJK(next) || unicode.IsPunct(r) {
			return i
		}
		next = r
		i -= size
	}
	return limit
}

// isCJK reports whether r is a character of a script written without
// spaces between words, where any character boundary is a fair cut.
func isCJK(r rune) bool {
	return r >= 0x2E80 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r))
}
