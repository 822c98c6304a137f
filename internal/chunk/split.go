package chunk

import (
	"slices"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/text"
)

// Version identifies the chunking rules. Bump it whenever a change here,
// or in text.Sentences or text.CountTokens, can change the chunks produced
// for some document.
const Version = "chunk/1"

// Default sizes, in text.CountTokens units.
const (
	defaultSize    = 400
	defaultOverlap = 60
)

// Options sets the chunk budget. Sizes are in text.CountTokens units.
type Options struct {
	// Size is the most tokens a chunk holds; 400 when zero or negative.
	Size int
	// Overlap is the most tokens of whole trailing sentences a chunk
	// repeats from the one before it in the same section: 60 when zero,
	// none when negative, and at most Size-1.
	Overlap int
}

// limits returns the effective size and overlap.
func (o Options) limits() (size, overlap int) {
	size = o.Size
	if size <= 0 {
		size = defaultSize
	}
	switch overlap = o.Overlap; {
	case overlap == 0:
		overlap = defaultOverlap
	case overlap < 0:
		overlap = 0
	}
	return size, min(overlap, size-1)
}

// Split cuts doc into chunks of at most o.Size tokens, in document order.
//
// Each chunk's Text is exactly the document text from Start to End, which
// are character (code point) offsets into doc.Text, and has no leading or
// trailing white space; Tokens is text.CountTokens(Text). Chunks are made
// of whole sentences, and of whole headings, table rows, records and code
// blocks; only a sentence or block that alone exceeds o.Size is split, at
// white space or between CJK characters near the limit. A heading always
// starts a chunk (consecutive headings share one) and is kept with the
// content after it. A chunk that continues a section begins with the
// previous chunk's trailing whole sentences, up to o.Overlap tokens, but
// never all of them. Page is the page of the chunk's first character and
// Headings the heading path of its first block after the overlap (for a
// chunk that opens with headings, the path of the last of them).
//
// Tokens never exceeds the size unless a single character does. An empty
// document, or one of only white space, has no chunks. Split does not
// modify doc and the chunks share no memory with it other than strings.
func Split(doc *schema.Document, o Options) []schema.Chunk {
	if doc == nil || doc.Text == "" {
		return nil
	}
	size, overlap := o.limits()
	s := doc.Text
	blocks := layout(doc)
	us := units(s, blocks, size)
	spans := pack(s, us, size, overlap)
	return build(doc, blocks, us, spans)
}

// span is a chunk as a range of units: first..last inclusive, of which
// those before lead repeat the previous chunk.
type span struct{ first, lead, last int }

// pack groups units into chunks.
func pack(s string, us []unit, size, overlap int) []span {
	var out []span
	cur, tokens := span{first: -1}, 0
	for i, u := range us {
		switch {
		case cur.first < 0:
			cur, tokens = span{i, i, i}, u.tokens
		case u.section && !headingsOnly(us, cur):
			out = append(out, cur)
			cur, tokens = span{i, i, i}, u.tokens
		default:
			n := joinedTokens(s, us, us[cur.first].start, cur.last, tokens, i)
			if n <= size {
				cur.last, tokens = i, n
				continue
			}
			out = append(out, cur)
			cur, tokens = withOverlap(s, us, cur, i, size, overlap)
		}
	}
	if cur.first >= 0 {
		out = append(out, cur)
	}
	return out
}

// headingsOnly reports whether the new content of c is all headings.
func headingsOnly(us []unit, c span) bool {
	for k := c.lead; k <= c.last; k++ {
		if !us[k].heading {
			return false
		}
	}
	return true
}

// joinedTokens returns an upper bound for the tokens of s[from:us[i].end],
// given that s[from:us[last].end] has at most tokens and us[i] follows
// us[last]. Counts add up over white space; only when the two units touch
// and the letters at the seam would merge into one longer, dearer word is
// the joined text counted again.
func joinedTokens(s string, us []unit, from, last, tokens, i int) int {
	if us[i].start == us[last].end && lettersTouch(s, us[i].start) {
		return text.CountTokens(s[from:us[i].end])
	}
	return tokens + us[i].tokens
}

// lettersTouch reports whether the characters on both sides of offset i
// are letters that text.CountTokens may count as one word.
func lettersTouch(s string, i int) bool {
	a, _ := utf8.DecodeLastRuneInString(s[:i])
	b, _ := utf8.DecodeRuneInString(s[i:])
	word := func(r rune) bool { return (unicode.IsLetter(r) || unicode.IsMark(r)) && !isCJK(r) }
	return word(a) && word(b)
}

// withOverlap starts the chunk after prev with unit i, preceded by the
// longest run of prev's trailing whole units that stays within overlap
// tokens, leaves prev's first new unit out, and fits with unit i in size.
func withOverlap(s string, us []unit, prev span, i, size, overlap int) (span, int) {
	best, bestTokens := i, us[i].tokens
	if overlap <= 0 {
		return span{i, i, i}, bestTokens
	}
	ov := 0 // an upper bound for the tokens of s[us[k].start:us[prev.last].end]
	for k := prev.last; k > prev.lead && us[k].whole; k-- {
		if k < prev.last && us[k].end == us[k+1].start && lettersTouch(s, us[k].end) {
			ov = text.CountTokens(s[us[k].start:us[prev.last].end])
		} else {
			ov += us[k].tokens
		}
		if ov > overlap {
			break
		}
		n := joinedTokens(s, us, us[k].start, prev.last, ov, i)
		if n > size {
			break
		}
		best, bestTokens = k, n
	}
	return span{best, i, i}, bestTokens
}

// build turns spans into chunks, converting byte offsets to character
// offsets in one pass: chunk starts and ends both increase, so one cursor
// for each walks the text once.
func build(doc *schema.Document, blocks []block, us []unit, spans []span) []schema.Chunk {
	if len(spans) == 0 {
		return nil
	}
	s := doc.Text
	out := make([]schema.Chunk, len(spans))
	var starts, ends runeCursor
	for n, sp := range spans {
		start, end := us[sp.first].start, us[sp.last].end
		body := s[start:end]
		// The heading path of the first new block; for a chunk that opens
		// with headings, that of the last heading, which extends the path.
		h := sp.lead
		for h < sp.last && us[h].heading && us[h+1].heading {
			h++
		}
		out[n] = schema.Chunk{
			ID:         doc.ID + "#" + strconv.Itoa(n),
			DocumentID: doc.ID,
			Ordinal:    n,
			Text:       body,
			Start:      starts.runes(s, start),
			End:        ends.runes(s, end),
			Page:       blocks[us[sp.first].block].page,
			Headings:   slices.Clone(blocks[us[h].block].headings),
			Tokens:     text.CountTokens(body),
		}
	}
	return out
}

// runeCursor converts increasing byte offsets of a string to character
// offsets, counting each byte of the string at most once.
type runeCursor struct{ byteOff, runeOff int }

// runes returns the character offset of byte offset b, which must not be
// less than the previous call's.
func (c *runeCursor) runes(s string, b int) int {
	c.runeOff += utf8.RuneCountInString(s[c.byteOff:b])
	c.byteOff = b
	return c.runeOff
}
