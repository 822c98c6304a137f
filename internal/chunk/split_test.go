package chunk

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/text"
)

// part is one block of a test document.
type part struct {
	kind     string
	text     string
	page     int
	headings []string
}

// makeDoc joins parts with blank lines into a document with one block per
// part.
func makeDoc(id string, parts ...part) *schema.Document {
	doc := &schema.Document{ID: id}
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteString("\n\n")
		}
		start := b.Len()
		b.WriteString(p.text)
		doc.Blocks = append(doc.Blocks, schema.Block{
			Kind: p.kind, Start: start, End: b.Len(), Page: p.page, Headings: p.headings,
		})
	}
	doc.Text = b.String()
	return doc
}

// sentences returns n distinct English sentences of about eight tokens.
func sentences(prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("The " + prefix + " sentence number " + strconv.Itoa(i) + " says something useful.")
	}
	return b.String()
}

// checkChunks fails t unless chunks satisfy the contract of Split for doc
// and o; the table tests add checks of their own.
func checkChunks(t *testing.T, doc *schema.Document, o Options, chunks []schema.Chunk) {
	t.Helper()
	size, overlap := o.limits()
	runes := []rune(doc.Text)
	prevStart, prevEnd := -1, -1
	for i, c := range chunks {
		if c.Ordinal != i || c.DocumentID != doc.ID || c.ID != doc.ID+"#"+strconv.Itoa(i) {
			t.Fatalf("chunk %d has ordinal %d, document %q, id %q", i, c.Ordinal, c.DocumentID, c.ID)
		}
		if c.Start < 0 || c.End > len(runes) || c.Start >= c.End {
			t.Fatalf("chunk %d offsets [%d:%d] out of range (%d characters)", i, c.Start, c.End, len(runes))
		}
		if got := string(runes[c.Start:c.End]); got != c.Text {
			t.Fatalf("chunk %d: text at [%d:%d] is %q; chunk text %q", i, c.Start, c.End, got, c.Text)
		}
		first, _ := utf8.DecodeRuneInString(c.Text)
		last, _ := utf8.DecodeLastRuneInString(c.Text)
		if unicode.IsSpace(first) || unicode.IsSpace(last) {
			t.Fatalf("chunk %d %q has leading or trailing white space", i, c.Text)
		}
		if c.Tokens != text.CountTokens(c.Text) {
			t.Fatalf("chunk %d Tokens = %d; CountTokens = %d", i, c.Tokens, text.CountTokens(c.Text))
		}
		if c.Tokens > size && utf8.RuneCountInString(c.Text) > 1 {
			t.Fatalf("chunk %d has %d tokens, over the size %d: %q", i, c.Tokens, size, c.Text)
		}
		if c.Start <= prevStart || c.End <= prevEnd {
			t.Fatalf("chunk %d [%d:%d] does not advance past [%d:%d]", i, c.Start, c.End, prevStart, prevEnd)
		}
		if c.Start < prevEnd {
			shared := string(runes[c.Start:prevEnd])
			if n := text.CountTokens(shared); n > overlap {
				t.Fatalf("chunk %d repeats %d tokens (%q), over the overlap %d", i, n, shared, overlap)
			}
		}
		prevStart, prevEnd = c.Start, c.End
	}
	// Every character that is not white space is in some chunk.
	covered := make([]bool, len(runes))
	for _, c := range chunks {
		for k := c.Start; k < c.End; k++ {
			covered[k] = true
		}
	}
	for k, r := range runes {
		if !covered[k] && !unicode.IsSpace(r) {
			t.Fatalf("character %d %q is in no chunk", k, r)
		}
	}
}

// containing returns the chunks whose text contains sub.
func containing(chunks []schema.Chunk, sub string) []int {
	var out []int
	for i, c := range chunks {
		if strings.Contains(c.Text, sub) {
			out = append(out, i)
		}
	}
	return out
}

func TestOptionsLimits(t *testing.T) {
	tests := []struct {
		name                  string
		opts                  Options
		wantSize, wantOverlap int
	}{
		{name: "defaults", opts: Options{}, wantSize: 400, wantOverlap: 60},
		{name: "explicit", opts: Options{Size: 200, Overlap: 20}, wantSize: 200, wantOverlap: 20},
		{name: "negative size", opts: Options{Size: -5}, wantSize: 400, wantOverlap: 60},
		{name: "negative overlap disables it", opts: Options{Size: 100, Overlap: -1}, wantSize: 100, wantOverlap: 0},
		{name: "overlap below size", opts: Options{Size: 50, Overlap: 80}, wantSize: 50, wantOverlap: 49},
		{name: "default overlap below small size", opts: Options{Size: 30}, wantSize: 30, wantOverlap: 29},
		{name: "size one", opts: Options{Size: 1}, wantSize: 1, wantOverlap: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size, overlap := tt.opts.limits()
			if size != tt.wantSize || overlap != tt.wantOverlap {
				t.Errorf("limits() = %d, %d; want %d, %d", size, overlap, tt.wantSize, tt.wantOverlap)
			}
		})
	}
}

func TestSplitEmpty(t *testing.T) {
	tests := []struct {
		name string
		doc  *schema.Document
	}{
		{name: "nil document", doc: nil},
		{name: "empty text", doc: &schema.Document{ID: "d"}},
		{name: "white space only", doc: &schema.Document{ID: "d", Text: " \n\n\t\u3000 "}},
		{name: "blocks over white space", doc: &schema.Document{ID: "d", Text: "   \n  ", Blocks: []schema.Block{{Kind: schema.BlockParagraph, Start: 0, End: 6}}}},
		{name: "empty blocks", doc: &schema.Document{ID: "d", Text: "", Blocks: []schema.Block{{Kind: schema.BlockHeading, Start: 0, End: 0}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Split(tt.doc, Options{}); got != nil {
				t.Errorf("Split() = %v; want no chunks", got)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	type check func(t *testing.T, doc *schema.Document, chunks []schema.Chunk)
	tests := []struct {
		name  string
		doc   *schema.Document
		opts  Options
		check check
	}{
		{
			name: "short document is one chunk",
			doc:  &schema.Document{ID: "a", Text: "  Hello world. This is short.\n"},
			check: func(t *testing.T, doc *schema.Document, chunks []schema.Chunk) {
				if len(chunks) != 1 || chunks[0].Text != "Hello world. This is short." || chunks[0].Start != 2 || chunks[0].End != 29 {
					t.Errorf("chunks = %+v; want one chunk of the trimmed text at [2:29]", chunks)
				}
				if chunks[0].Page != 0 || chunks[0].Headings != nil {
					t.Errorf("page %d headings %q; want none for a document without blocks", chunks[0].Page, chunks[0].Headings)
				}
			},
		},
		{
			name: "paragraphs without blocks are packed",
			doc:  &schema.Document{ID: "b", Text: sentences("first", 10) + "\n\n" + sentences("second", 10) + "\n\n" + sentences("third", 10)},
			opts: Options{Size: 50, Overlap: -1},
			check: func(t *testing.T, doc *schema.Document, chunks []schema.Chunk) {
				if len(chunks) < 4 {
					t.Errorf("got %d chunks; want the 240-token text in several 50-token chunks", len(chunks))
				}
				for i := 1; i < len(chunks); i++ {
					if chunks[i].Start < chunks[i-1].End {
						t.Errorf("chunk %d overlaps chunk %d with overlap disabled", i, i-1)
					}
				}
			},
		},
		{
			name: "heading paths kept and headings start chunks",
			doc: makeDoc("c",
				part{schema.BlockHeading, "Guide", 1, []string{"Guide"}},
				part{schema.BlockHeading, "Install", 1, []string{"Guide", "Install"}},
				part{schema.BlockParagraph, "Run the installer. It takes a minute.", 1, []string{"Guide", "Install"}},
				part{schema.BlockHeading, "Usage", 2, []string{"Guide", "Usage"}},
				part{schema.BlockParagraph, "Start the server. Open the page.", 2, []string{"Guide", "Usage"}},
			),
			check: func(t *testing.T, doc *schema.Document, chunks []schema.Chunk) {
				want := []struct {
					text     string
					headings []string
					page     int
				}{
					{"Guide\n\nInstall\n\nRun the installer. It takes a minute.", []string{"Guide", "Install"}, 1},
					{"Usage\n\nStart the server. Open the page.", []string{"Guide", "Usage"}, 2},
				}
				if len(chunks) != len(want) {
					t.Fatalf("got %d chunks %+v; want %d", len(chunks), chunks, len(want))
				}
				for i, w := range want {
					c := chunks[i]
					if c.Text != w.text || !slices.Equal(c.Headings, w.headings) || c.Page != w.page {
						t.Errorf("chunk %d = %q %q page %d; want %q %q page %d", i, c.Text, c.Headings, c.Page, w.text, w.headings, w.page)
					}
				}
			},
		},
		{
			name: "content without heading path stays with its heading",
			doc: makeDoc("c2",
				part{schema.BlockHeading, "Notes", 0, []string{"Notes"}},
				part{schema.BlockParagraph, "First note. Second note.", 0, nil},
			),
			check: func(t *testing.T, doc *schema.Document, chunks []schema.Chunk) {
				if len(chunks) != 1 || !slices.Equal(chunks[0].Headings, []string{"Notes"}) {
					t.Errorf("chunks = %+v; want the heading and its note in one chunk", chunks)
				}
			},
		},
		{
			name: "pages kept across a section",
			doc: makeDoc("d",
				part{schema.BlockParagraph, sentences("page one", 4), 1, nil},
				part{schema.BlockParagraph, sentences("page two", 4), 2, nil},
				part{schema.BlockParagraph, sentences("page three", 4), 3, nil},
			),
			opts: Options{Size: 40, Overlap: 10},
			check: func(t *testing.T, doc *schema.Document, chunks []schema.Chunk) {
				for i, c := range chunks {
					byteStart := len(string([]rune(doc.Text)[:c.Start]))
					want := 0
					for _, b := range doc.Blocks {
						if byteStart >= b.Start && byteStart < b.End {
							want = b.Page
						}
					}
					if c.Page != want {
						t.Errorf("chunk %d %q on page %d; its first character is on page %d", i, c.Text, c.Page, want)
					}
				}
				if len(chunks) < 3 {
					t.Errorf("got %d chunks; want at least one per page", len(chunks))
				}
			},
		},
		{
			name: "offsets are characters in multibyte text",
			doc: makeDoc("e",
				part{schema.BlockHeading, "Überblick 概要", 1, []string{"Überblick 概要"}},
				part{schema.BlockParagraph, "Emoji 👍🏽 first. Ünïcödé 🚀 text follows here. 中文也可以。", 1, []string{"Überblick 概要"}},
			),
			opts: Options{Size: 12, Overlap: 4},
			check: func(t *testing.T, doc *schema.Document, chunks []schema.Chunk) {
				if len(chunks) < 2 {
					t.Errorf("got %d chunks; want several", len(chunks))
				}
			},
		},
		{
			name: "chinese sentences",
			doc:  &schema.Document{ID: "f", Text: strings.Repeat("今天天气很好，我们去公园散步。", 20)},
			opts: Options{Size: 50, Overlap: 16},
			check: func(t *testing.T, doc *schema.Document, chunks []schema.Chunk) {
				if len(chunks) < 5 {
					t.Fatalf("got %d chunks; want the 320-token text in several 50-token chunks", len(chunks))
				}
				for i, c := range chunks {
					if !strings.HasPrefix(c.Text, "今天") || !strings.HasSuffix(c.Text, "。") {
						t.Errorf("chunk %d %q does not hold whole sentences", i, c.Text)
					}
				}
			},
		},
		{
			name: "oversized sentence is split at white space",
			doc:  &schema.Document{ID: "g", Text: "Intro sentence. " + strings.TrimSpace(strings.Repeat("alpha beta gamma delta ", 40)) + ". Outro sentence."},
			opts: Options{Size: 30, Overlap: 8},
			check: func(t *testing.T, doc *schema.Document, chunks []schema.Chunk) {
				if len(chunks) < 6 {
					t.Fatalf("got %d chunks; want the 176-token sentence in pieces", len(chunks))
				}
				for i, c := range chunks {
					for _, w := range strings.Fields(c.Text) {
						switch strings.Trim(w, ".") {
						case "Intro", "sentence", "alpha", "beta", "gamma", "delta", "Outro":
						default:
							t.Errorf("chunk %d cuts a word: %q", i, w)
						}
					}
				}
			},
		},
		{
			name: "oversized text without spaces is split between cjk characters",
			doc:  &schema.Document{ID: "h", Text: strings.Repeat("汉", 95)},
			opts: Options{Size: 20},
			check: func(t *testing.T, doc *schema.Document, chunks []schema.Chunk) {
				if len(chunks) != 5 {
					t.Errorf("got %d chunks; want 5", len(chunks))
				}
				for i, c := range chunks {
					if i > 0 && c.Start < chunks[i-1].End {
						t.Errorf("pieces of a split sentence overlap: chunk %d", i)
					}
				}
			},
		},
		{
			name: "oversized code block is split at line breaks",
			doc: makeDoc("h2",
				part{schema.BlockCode, strings.Repeat("value := compute(alpha, beta, gamma)\n", 30), 0, nil},
			),
			opts: Options{Size: 40},
			check: func(t *testing.T, doc *schema.Document, chunks []schema.Chunk) {
				if len(chunks) < 4 {
					t.Fatalf("got %d chunks; want the code block in pieces", len(chunks))
				}
				for i, c := range chunks {
					if !strings.HasPrefix(c.Text, "value :=") || !strings.HasSuffix(c.Text, "gamma)") {
						t.Errorf("chunk %d %q cuts a line", i, c.Text)
					}
				}
			},
		},
		{
			name: "overlap repeats whole trailing sentences",
			doc:  &schema.Document{ID: "i", Text: sentences("overlap", 20)},
			opts: Options{Size: 40, Overlap: 20},
			check: func(t *testing.T, doc *schema.Document, chunks []schema.Chunk) {
				if len(chunks) < 3 {
					t.Fatalf("got %d chunks; want several", len(chunks))
				}
				for i := 1; i < len(chunks); i++ {
					prev, c := chunks[i-1], chunks[i]
					if c.Start >= prev.End {
						t.Errorf("chunk %d does not overlap chunk %d", i, i-1)
						continue
					}
					shared := string([]rune(doc.Text)[c.Start:prev.End])
					if !strings.HasPrefix(shared, "The ") || !strings.HasSuffix(shared, ".") {
						t.Errorf("chunk %d repeats %q, not whole sentences", i, shared)
					}
				}
			},
		},
		{
			name: "no overlap across a heading",
			doc: makeDoc("j",
				part{schema.BlockParagraph, sentences("before", 6), 0, nil},
				part{schema.BlockHeading, "Next", 0, []string{"Next"}},
				part{schema.BlockParagraph, sentences("after", 6), 0, []string{"Next"}},
			),
			opts: Options{Size: 30, Overlap: 20},
			check: func(t *testing.T, doc *schema.Document, chunks []schema.Chunk) {
				at := containing(chunks, "Next")
				if len(at) != 1 || !strings.HasPrefix(chunks[at[0]].Text, "Next") {
					t.Fatalf("heading in chunks %v; want exactly one chunk starting with it", at)
				}
				if i := at[0]; i > 0 && chunks[i].Start < chunks[i-1].End {
					t.Errorf("the heading's chunk overlaps the chunk before it")
				}
				if !slices.Equal(chunks[at[0]].Headings, []string{"Next"}) {
					t.Errorf("heading chunk path %q", chunks[at[0]].Headings)
				}
			},
		},
		{
			name: "table rows and records are not split",
			doc: makeDoc("k",
				part{schema.BlockTableRow, "name: alpha | value: 1. Note: first. Second", 0, nil},
				part{schema.BlockTableRow, "name: beta | value: 2. Note: more. Text", 0, nil},
				part{schema.BlockRecord, `{"id": 3, "text": "A record. With sentences."}`, 0, nil},
				part{schema.BlockRecord, `{"id": 4, "text": "Another record. Also sentences."}`, 0, nil},
			),
			opts: Options{Size: 25, Overlap: 5},
			check: func(t *testing.T, doc *schema.Document, chunks []schema.Chunk) {
				for _, b := range doc.Blocks {
					row := doc.Text[b.Start:b.End]
					if len(containing(chunks, row)) == 0 {
						t.Errorf("block %q is split across chunks", row)
					}
				}
			},
		},
		{
			name: "faulty blocks are repaired",
			doc: &schema.Document{ID: "l", Text: "Heading here\n\nBody text is here. More body.\n\nStray tail text.", Blocks: []schema.Block{
				{Kind: schema.BlockParagraph, Start: 14, End: 43, Headings: []string{"Heading here"}},
				{Kind: schema.BlockHeading, Start: 0, End: 12, Headings: []string{"Heading here"}},
				{Kind: schema.BlockParagraph, Start: 20, End: 30},     // overlaps the first
				{Kind: schema.BlockParagraph, Start: 40, End: 10_000}, // past the end
				{Kind: schema.BlockParagraph, Start: -4, End: -1},
			}},
			check: func(t *testing.T, doc *schema.Document, chunks []schema.Chunk) {
				if len(chunks) == 0 || !strings.HasPrefix(chunks[0].Text, "Heading here") {
					t.Errorf("chunks = %+v; want the heading first", chunks)
				}
			},
		},
		{
			name: "text outside blocks is kept",
			doc: &schema.Document{ID: "m", Text: "Lead text. Title\n\nBody.", Blocks: []schema.Block{
				{Kind: schema.BlockHeading, Start: 11, End: 16, Page: 2, Headings: []string{"Title"}},
				{Kind: schema.BlockParagraph, Start: 18, End: 23, Page: 2, Headings: []string{"Title"}},
			}},
			check: func(t *testing.T, doc *schema.Document, chunks []schema.Chunk) {
				if len(chunks) != 2 || chunks[0].Text != "Lead text." || chunks[0].Page != 2 {
					t.Errorf("chunks = %+v; want the stray lead text as its own chunk on the next block's page", chunks)
				}
			},
		},
		{
			name: "blocks cutting a character are moved onto rune boundaries",
			doc: &schema.Document{ID: "n", Text: "中文。English.", Blocks: []schema.Block{
				{Kind: schema.BlockParagraph, Start: 1, End: 4},
				{Kind: schema.BlockParagraph, Start: 4, End: 17},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunks := Split(tt.doc, tt.opts)
			checkChunks(t, tt.doc, tt.opts, chunks)
			checkWholeSentences(t, tt.doc, tt.opts, chunks)
			if tt.check != nil {
				tt.check(t, tt.doc, chunks)
			}
		})
	}
}

// checkWholeSentences fails t if a sentence of a block that fits in a
// chunk is in no single chunk.
func checkWholeSentences(t *testing.T, doc *schema.Document, o Options, chunks []schema.Chunk) {
	t.Helper()
	size, _ := o.limits()
	for _, b := range layout(doc) {
		if atomic(b.kind) {
			continue
		}
		for _, sp := range text.Sentences(doc.Text[b.start:b.end]) {
			sentence := doc.Text[b.start+sp.Start : b.start+sp.End]
			if text.CountTokens(sentence) <= size && len(containing(chunks, sentence)) == 0 {
				t.Errorf("sentence %q is split across chunks", sentence)
			}
		}
	}
}

func TestSplitDoesNotModifyDocument(t *testing.T) {
	doc := makeDoc("x",
		part{schema.BlockParagraph, sentences("z", 3), 0, []string{"A"}},
		part{schema.BlockHeading, "B", 0, []string{"A", "B"}},
	)
	doc.Blocks[0], doc.Blocks[1] = doc.Blocks[1], doc.Blocks[0] // out of order
	before := slices.Clone(doc.Blocks)
	chunks := Split(doc, Options{})
	if !slices.EqualFunc(doc.Blocks, before, func(a, b schema.Block) bool {
		return a.Start == b.Start && a.End == b.End && a.Kind == b.Kind
	}) {
		t.Errorf("Split reordered doc.Blocks")
	}
	for _, c := range chunks {
		if len(c.Headings) > 0 {
			c.Headings[0] = "changed"
		}
	}
	if doc.Blocks[1].Headings[0] != "A" {
		t.Errorf("chunk headings alias the document's")
	}
}
