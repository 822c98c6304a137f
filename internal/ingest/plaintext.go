package ingest

import (
	"context"
	"strings"

	"github.com/ragline/ragline/internal/schema"
)

// loadText extracts plain text: paragraphs are separated by blank lines
// and keep their inner line breaks.
func loadText(ctx context.Context, data []byte, lim Limits) (schema.Document, error) {
	b := newBuilder(lim.MaxChars)
	for i, para := range splitParagraphs(cleanText(decodeText(data))) {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return schema.Document{}, err
			}
		}
		b.paragraph(schema.BlockParagraph, para, 0)
		if b.full() {
			break
		}
	}
	return b.document()
}

// splitParagraphs splits text on blank lines, dropping trailing spaces of
// each line.
func splitParagraphs(s string) []string {
	var paras []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			paras = append(paras, strings.Join(cur, "\n"))
			cur = cur[:0]
		}
	}
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimRight(line, " \t\v\f")
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return paras
}
