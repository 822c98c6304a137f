package ingest

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/ragline/ragline/internal/schema"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"golang.org/x/net/html"
)

// loadMarkdown extracts Markdown (CommonMark with GFM tables) as plain
// text: headings with their path, paragraphs, list items, code blocks and
// table rows, with markup removed (links keep their text, images their alt
// text). YAML front matter is dropped; its title is used when the document
// has no level-1 heading.
func loadMarkdown(ctx context.Context, data []byte, lim Limits) (schema.Document, error) {
	src := []byte(cleanText(decodeText(data)))
	src, fmTitle := stripFrontMatter(src)
	root := goldmark.New(goldmark.WithExtensions(extension.Table)).Parser().Parse(text.NewReader(src))

	w := mdWalker{src: src, b: newBuilder(lim.MaxChars)}
	if err := w.blocks(ctx, root); err != nil {
		return schema.Document{}, err
	}
	doc, err := w.b.document()
	if err != nil {
		return doc, err
	}
	doc.Title = w.title
	if doc.Title == "" {
		doc.Title = fmTitle
	}
	return doc, nil
}

type mdWalker struct {
	src   []byte
	b     *builder
	title string // first level-1 heading
	n     int
}

// blocks emits the block children of n in order.
func (w *mdWalker) blocks(ctx context.Context, n ast.Node) error {
	for c := n.FirstChild(); c != nil && !w.b.full(); c = c.NextSibling() {
		if w.n++; w.n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		switch c := c.(type) {
		case *ast.Heading:
			t := w.inline(c)
			if c.Level == 1 && w.title == "" {
				w.title = collapseSpace(t)
			}
			w.b.heading(c.Level, t, 0)
		case *ast.Paragraph, *ast.TextBlock:
			kind := schema.BlockParagraph
			if _, ok := n.(*ast.ListItem); ok && c == n.FirstChild() {
				kind = schema.BlockListItem
			}
			w.b.paragraph(kind, w.inline(c), 0)
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			w.b.paragraph(schema.BlockCode, w.lines(c), 0)
		case *ast.HTMLBlock:
			raw := w.lines(c)
			if c.HasClosure() {
				raw += string(c.ClosureLine.Value(w.src))
			}
			w.b.paragraph(schema.BlockParagraph, htmlFragmentText(raw), 0)
		case *extast.Table:
			for row := c.FirstChild(); row != nil; row = row.NextSibling() {
				var cells []string
				for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
					cells = append(cells, collapseSpace(w.inline(cell)))
				}
				w.b.row(schema.BlockTableRow, joinCells(cells), 0)
			}
			w.b.endRows()
		case *ast.ThematicBreak, *ast.LinkReferenceDefinition:
		default:
			// Lists, list items, block quotes and anything an extension
			// adds are containers.
			if err := w.blocks(ctx, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// lines returns the raw lines of a code or HTML block.
func (w *mdWalker) lines(n ast.Node) string {
	var sb strings.Builder
	segs := n.Lines()
	for i := range segs.Len() {
		seg := segs.At(i)
		sb.Write(seg.Value(w.src))
	}
	return sb.String()
}

// inline renders the inline children of n as plain text.
func (w *mdWalker) inline(n ast.Node) string {
	var sb strings.Builder
	w.inlineTo(&sb, n)
	return sb.String()
}

func (w *mdWalker) inlineTo(sb *strings.Builder, n ast.Node) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			v := c.Value(w.src)
			if !c.IsRaw() {
				v = util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(v)))
			}
			sb.Write(v)
			switch {
			case c.HardLineBreak():
				sb.WriteByte('\n')
			case c.SoftLineBreak():
				// A soft break is a space in Latin text but nothing in CJK
				// text, where words are not separated.
				last, _ := utf8.DecodeLastRune(v)
				next := nextRune(c.NextSibling(), w.src)
				if !isCJK(last) || !isCJK(next) {
					sb.WriteByte(' ')
				}
			}
		case *ast.String:
			sb.Write(c.Value)
		case *ast.AutoLink:
			sb.Write(c.Label(w.src))
		case *ast.RawHTML:
			// Inline tags carry no text of their own.
		default:
			// Emphasis, links, images (alt text), code spans and
			// strikethrough keep the text of their children.
			w.inlineTo(sb, c)
		}
	}
}

// nextRune returns the first rune of the text that starts at n.
func nextRune(n ast.Node, src []byte) rune {
	for n != nil {
		if t, ok := n.(*ast.Text); ok {
			r, _ := utf8.DecodeRune(t.Value(src))
			return r
		}
		if n.FirstChild() == nil {
			return utf8.RuneError
		}
		n = n.FirstChild()
	}
	return utf8.RuneError
}

// joinCells joins table cells into a row text; empty rows give "".
func joinCells(cells []string) string {
	for _, c := range cells {
		if c != "" {
			return strings.Join(cells, " | ")
		}
	}
	return ""
}

// stripFrontMatter removes a leading YAML front matter block and returns
// its title field, if any.
func stripFrontMatter(src []byte) ([]byte, string) {
	body, ok := strings.CutPrefix(string(src), "---\n")
	if !ok {
		return src, ""
	}
	var fm, rest string
	switch i := strings.Index(body, "\n---\n"); {
	case strings.HasPrefix(body, "---\n"):
		rest = body[4:]
	case i >= 0:
		fm, rest = body[:i], body[i+5:]
	case strings.HasSuffix(body, "\n---"):
		fm = body[:len(body)-4]
	default:
		return src, ""
	}
	title := ""
	for line := range strings.SplitSeq(fm, "\n") {
		if v, ok := strings.CutPrefix(line, "title:"); ok {
			title = strings.Trim(strings.TrimSpace(v), `"'`)
			break
		}
	}
	return []byte(rest), collapseSpace(title)
}

// htmlFragmentText returns the text of an HTML fragment without tags,
// comments, scripts or styles.
func htmlFragmentText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var sb strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return collapseSpace(sb.String())
		case html.TextToken:
			if skip == 0 {
				sb.Write(z.Text())
				sb.WriteByte(' ')
			}
		case html.StartTagToken:
			if name, _ := z.TagName(); string(name) == "script" || string(name) == "style" {
				skip++
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); (string(name) == "script" || string(name) == "style") && skip > 0 {
				skip--
			}
		}
	}
}
