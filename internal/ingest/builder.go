package ingest

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ragline/ragline/internal/schema"
)

// builder accumulates a document's text block by block so that every
// block's span is exact by construction: blocks are appended in reading
// order, separated by "\n\n", or by "\n" between consecutive rows of one
// table or CSV file.
//
// A builder is not safe for concurrent use.
type builder struct {
	text     strings.Builder
	blocks   []schema.Block
	headings []heading
	path     []string // heading texts of headings, shared by blocks until it changes
	inRows   bool     // the last block was a row and no break has been asked for since
	chars    int
	maxChars int
	err      error
}

type heading struct {
	level int
	text  string
}

func newBuilder(maxChars int) *builder {
	return &builder{maxChars: maxChars}
}

// paragraph appends a block of the given kind (paragraph, list item, code,
// record) after cleaning its text; empty text adds nothing.
func (b *builder) paragraph(kind, text string, page int) {
	if kind == schema.BlockCode {
		text = strings.Trim(cleanText(text), "\n")
		if strings.TrimSpace(text) == "" {
			return
		}
	} else {
		text = strings.TrimSpace(cleanText(text))
	}
	b.inRows = false
	b.append(schema.Block{Kind: kind, Page: page, Headings: b.path}, text, "\n\n")
}

// heading appends a heading block of level 1–6 and makes it the innermost
// entry of the heading path of the blocks that follow.
func (b *builder) heading(level int, text string, page int) {
	text = collapseSpace(cleanText(text))
	if text == "" {
		return
	}
	level = min(max(level, 1), 6)
	for len(b.headings) > 0 && b.headings[len(b.headings)-1].level >= level {
		b.headings = b.headings[:len(b.headings)-1]
	}
	b.headings = append(b.headings, heading{level: level, text: text})
	b.path = make([]string, len(b.headings))
	for i, h := range b.headings {
		b.path[i] = h.text
	}
	b.inRows = false
	b.append(schema.Block{Kind: schema.BlockHeading, Page: page, Headings: b.path, Level: level}, text, "\n\n")
}

// row appends one table row or record; consecutive rows are separated by a
// single newline until endRows is called.
func (b *builder) row(kind, text string, page int) {
	text = strings.TrimSpace(cleanText(text))
	sep := "\n\n"
	if b.inRows {
		sep = "\n"
	}
	if b.append(schema.Block{Kind: kind, Page: page, Headings: b.path}, text, sep) {
		b.inRows = true
	}
}

// endRows ends a run of rows, so the next row starts a new table.
func (b *builder) endRows() { b.inRows = false }

// append writes text as one block and reports whether it did.
func (b *builder) append(blk schema.Block, text, sep string) bool {
	if b.err != nil || text == "" {
		return false
	}
	n := utf8.RuneCountInString(text)
	if b.text.Len() > 0 {
		n += len(sep)
	}
	if b.chars+n > b.maxChars {
		b.err = fmt.Errorf("%w: extracted text over %d characters", ErrTooLarge, b.maxChars)
		return false
	}
	b.chars += n
	if b.text.Len() > 0 {
		b.text.WriteString(sep)
	}
	blk.Start = b.text.Len()
	b.text.WriteString(text)
	blk.End = b.text.Len()
	b.blocks = append(b.blocks, blk)
	return true
}

// full reports whether the character limit has been hit, so loaders can
// stop early.
func (b *builder) full() bool { return b.err != nil }

// document returns the text and blocks built so far, or the limit error,
// or ErrNoText when nothing was extracted.
func (b *builder) document() (schema.Document, error) {
	if b.err != nil {
		return schema.Document{}, b.err
	}
	if len(b.blocks) == 0 {
		return schema.Document{}, fmt.Errorf("%w: no text found", ErrNoText)
	}
	return schema.Document{Text: b.text.String(), Blocks: b.blocks}, nil
}
