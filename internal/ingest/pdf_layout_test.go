package ingest

import (
	"context"
	"slices"
	"testing"

	"github.com/ragline/ragline/internal/schema"
)

// line builds a pdfLine on page 1 at baseline y with box height h.
func line(text string, y, h float64) pdfLine {
	return pdfLine{text: text, page: 1, left: 72, bottom: y, height: h}
}

func TestPDFLayout(t *testing.T) {
	type blk struct {
		kind  string
		level int
		text  string
		page  int
	}
	tests := []struct {
		name  string
		lines []pdfLine
		want  []blk
	}{
		{
			name: "wrapped paragraphs split by wider gaps",
			lines: []pdfLine{
				line("The first paragraph wraps over two lines because it is rather", 700, 11),
				line("long, and ends here.", 684, 11),
				line("The second paragraph starts after a wider gap between the lines", 661, 11),
				line("and also wraps once.", 645, 11),
			},
			want: []blk{
				{schema.BlockParagraph, 0, "The first paragraph wraps over two lines because it is rather long, and ends here.", 1},
				{schema.BlockParagraph, 0, "The second paragraph starts after a wider gap between the lines and also wraps once.", 1},
			},
		},
		{
			name: "headings levelled by size",
			lines: []pdfLine{
				line("Annual Report", 760, 24),
				line("Summary", 720, 16),
				line("Revenue grew by ten percent over the year, driven by new customers in", 700, 11),
				line("Asia and Europe.", 684, 11),
				line("Outlook", 650, 16),
				line("We expect further growth.", 630, 11),
			},
			want: []blk{
				{schema.BlockHeading, 1, "Annual Report", 1},
				{schema.BlockHeading, 2, "Summary", 1},
				{schema.BlockParagraph, 0, "Revenue grew by ten percent over the year, driven by new customers in Asia and Europe.", 1},
				{schema.BlockHeading, 2, "Outlook", 1},
				{schema.BlockParagraph, 0, "We expect further growth.", 1},
			},
		},
		{
			name: "hyphenation, lists and page numbers",
			lines: []pdfLine{
				line("3", 800, 11),
				line("Employees receive a com-", 700, 11),
				line("prehensive benefits package.", 684, 11),
				line("• Dental care", 660, 11),
				line("• Vision care", 644, 11),
				line("1. First step", 620, 11),
				line("Page 3 of 10", 60, 11),
			},
			want: []blk{
				{schema.BlockParagraph, 0, "Employees receive a comprehensive benefits package.", 1},
				{schema.BlockListItem, 0, "• Dental care", 1},
				{schema.BlockListItem, 0, "• Vision care", 1},
				{schema.BlockListItem, 0, "1. First step", 1},
			},
		},
		{
			name: "cjk lines join without spaces and pages split blocks",
			lines: []pdfLine{
				line("新员工每年享有十五天带薪", 700, 12),
				line("年假。", 682, 12),
				{text: "第二页的内容。", page: 2, left: 72, bottom: 700, height: 12},
			},
			want: []blk{
				{schema.BlockParagraph, 0, "新员工每年享有十五天带薪年假。", 1},
				{schema.BlockParagraph, 0, "第二页的内容。", 2},
			},
		},
		{
			name: "moving up the page starts a new column",
			lines: []pdfLine{
				line("End of the first column without a full stop", 100, 11),
				line("start of the second column", 700, 11),
			},
			want: []blk{
				{schema.BlockParagraph, 0, "End of the first column without a full stop", 1},
				{schema.BlockParagraph, 0, "start of the second column", 1},
			},
		},
		{
			name: "no geometry falls back to blank lines and sentence ends",
			lines: []pdfLine{
				{text: "A line without geometry that goes on for quite a while and", page: 1},
				{text: "ends here.", page: 1},
				{text: "", page: 1},
				{text: "Another paragraph.", page: 1},
			},
			want: []blk{
				{schema.BlockParagraph, 0, "A line without geometry that goes on for quite a while and ends here.", 1},
				{schema.BlockParagraph, 0, "Another paragraph.", 1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBuilder(DefaultMaxChars)
			pdfLayout(b, tt.lines)
			doc, err := b.document()
			if err != nil {
				t.Fatal(err)
			}
			var got []blk
			for _, bl := range doc.Blocks {
				got = append(got, blk{bl.Kind, bl.Level, doc.Text[bl.Start:bl.End], bl.Page})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("blocks:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestPDFHeadingLevelsTolerateGlyphHeights checks that numbered section
// headings set in one style get one level even when their glyph boxes
// differ (descenders), so heading paths do not nest siblings.
func TestPDFHeadingLevelsTolerateGlyphHeights(t *testing.T) {
	docs, err := LoadFile(context.Background(), "../../examples/quickstart/docs/expenses-and-travel.pdf", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	d := docs[0]
	n := 0
	for _, b := range d.Blocks {
		if b.Kind != schema.BlockHeading || b.Level == 1 {
			continue
		}
		n++
		if b.Level != 2 || len(b.Headings) != 2 {
			t.Errorf("heading %q: level %d, path %q", d.Text[b.Start:b.End], b.Level, b.Headings)
		}
	}
	if n < 5 {
		t.Fatalf("found %d section headings", n)
	}
}
