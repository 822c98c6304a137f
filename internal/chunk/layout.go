package chunk

import (
	"cmp"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/ragline/ragline/internal/schema"
)

// block is a repaired schema.Block: in order, non-overlapping, inside the
// text and on rune boundaries.
type block struct {
	start, end int
	kind       string
	page       int
	headings   []string
}

// layout returns the blocks of doc. A document without blocks is read as
// paragraphs separated by blank lines. Blocks are sorted by start, clipped
// so that they do not overlap, and moved onto rune boundaries; text between
// blocks that is not white space becomes a paragraph under the heading path
// of the block before it, so no content is lost to a faulty loader.
func layout(doc *schema.Document) []block {
	text := doc.Text
	if len(doc.Blocks) == 0 {
		return paragraphs(text)
	}
	in := slices.Clone(doc.Blocks)
	slices.SortStableFunc(in, func(a, b schema.Block) int { return cmp.Compare(a.Start, b.Start) })

	out := make([]block, 0, len(in))
	prevEnd := 0
	var prev *schema.Block
	for i := range in {
		b := &in[i]
		start := runeStart(text, max(b.Start, prevEnd))
		end := runeStart(text, b.End)
		if end <= start {
			continue
		}
		if prevEnd < start && !isSpace(text[prevEnd:start]) {
			out = append(out, gapBlock(prevEnd, start, prev, b))
		}
		out = append(out, block{start: start, end: end, kind: b.Kind, page: b.Page, headings: b.Headings})
		prevEnd, prev = end, b
	}
	if prevEnd < len(text) && !isSpace(text[prevEnd:]) {
		out = append(out, gapBlock(prevEnd, len(text), prev, nil))
	}
	return out
}

// gapBlock makes a paragraph of stray text between the blocks before and
// after it (either may be nil): it belongs under the heading path of the
// block before it, on that block's page, or on the next block's page when
// it comes first.
func gapBlock(start, end int, before, after *schema.Block) block {
	g := block{start: start, end: end, kind: schema.BlockParagraph}
	switch {
	case before != nil:
		g.page, g.headings = before.Page, before.Headings
	case after != nil:
		g.page = after.Page
	}
	return g
}

// paragraphs splits text into paragraph blocks at blank lines.
func paragraphs(text string) []block {
	var out []block
	start := 0
	for i := 0; i < len(text); i++ {
		if text[i] != '\n' {
			continue
		}
		j := i + 1
		for j < len(text) && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r' || text[j] == '\f' || text[j] == '\v') {
			j++
		}
		if j < len(text) && text[j] == '\n' {
			if !isSpace(text[start:i]) {
				out = append(out, block{start: start, end: i, kind: schema.BlockParagraph})
			}
			start = j
			i = j - 1 // resume at the second line break, which may start another blank line
		}
	}
	if !isSpace(text[start:]) {
		out = append(out, block{start: start, end: len(text), kind: schema.BlockParagraph})
	}
	return out
}

// runeStart clamps i to [0, len(s)] and moves it forward to the start of
// a rune, so that no span cuts a UTF-8 sequence in two.
func runeStart(s string, i int) int {
	if i <= 0 {
		return 0
	}
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return min(i, len(s))
}

// isSpace reports whether s is empty or all white space.
func isSpace(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// trim returns the span [start, end) of s without leading and trailing
// white space.
func trim(s string, start, end int) (int, int) {
	for start < end {
		r, size := utf8.DecodeRuneInString(s[start:end])
		if !unicode.IsSpace(r) {
			break
		}
		start += size
	}
	for end > start {
		r, size := utf8.DecodeLastRuneInString(s[start:end])
		if !unicode.IsSpace(r) {
			break
		}
		end -= size
	}
	return start, end
}
