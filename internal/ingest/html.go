package ingest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	readability "codeberg.org/readeck/go-readability/v2"
	"github.com/ragline/ragline/internal/schema"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// maxReadabilityElems bounds the pages handed to readability, whose
// scoring is superlinear; larger pages use the plain body walk.
const maxReadabilityElems = 50_000

// loadHTML extracts the main content of an HTML page. Readability picks the
// article; its DOM is then walked into heading, paragraph, list item, code
// and table row blocks. When readability finds nothing the whole body is
// walked instead, leaving out navigation, headers, footers, asides,
// scripts, styles and hidden elements.
func loadHTML(ctx context.Context, data []byte, lim Limits) (schema.Document, error) {
	root, err := html.Parse(strings.NewReader(cleanText(decodeHTML(data))))
	if err != nil {
		return schema.Document{}, fmt.Errorf("%w: html: %v", ErrCorrupt, err)
	}
	if err := ctx.Err(); err != nil {
		return schema.Document{}, err
	}
	pageTitle := collapseSpace(textOf(findFirst(root, atom.Title), false))
	pruneChrome(root)
	article, articleTitle := readableArticle(root)
	articleTitle = collapseSpace(articleTitle)
	// The page's main heading, when the titles repeat it: readability
	// drops such a heading from the article and keeps the site name in
	// the title ("Policy | Intranet"), so both are taken from it instead.
	mainHeading := collapseSpace(textOf(findFirstVisible(root, atom.H1), false))
	if mainHeading != "" && !containsFold(articleTitle, mainHeading) && !containsFold(pageTitle, mainHeading) {
		mainHeading = ""
	}

	var w *htmlWalker
	if article != nil {
		w = newHTMLWalker(ctx, lim, false)
		if mainHeading != "" && findFirst(article, atom.H1) == nil {
			w.b.heading(1, mainHeading, 0)
		}
		w.walk(article)
		w.flush()
		if len(w.b.blocks) == 1 && mainHeading != "" {
			w = nil // only the heading: readability found no content
		}
	}
	if w == nil || (len(w.b.blocks) == 0 && !w.b.full() && w.err == nil) {
		w = newHTMLWalker(ctx, lim, true)
		body := findFirst(root, atom.Body)
		if body == nil {
			body = root
		}
		w.walk(body)
		w.flush()
	}
	if w.err != nil {
		return schema.Document{}, w.err
	}
	doc, err := w.b.document()
	if err != nil {
		return doc, err
	}
	for _, t := range []string{mainHeading, articleTitle, pageTitle, w.firstH1} {
		if t != "" {
			doc.Title = t
			break
		}
	}
	return doc, nil
}

// readableArticle runs readability on a copy of the page and returns the
// article node and title, or nil when it finds no article or fails.
func readableArticle(root *html.Node) (node *html.Node, title string) {
	defer func() {
		// Readability is a heuristic over arbitrary markup; if it breaks,
		// the fallback walk still extracts the page.
		if r := recover(); r != nil {
			node, title = nil, ""
		}
	}()
	p := readability.NewParser()
	p.MaxElemsToParse = maxReadabilityElems
	art, err := p.ParseDocument(root, nil)
	if err != nil || art.Node == nil {
		return nil, ""
	}
	return art.Node, art.Title()
}

// decodeHTML returns the page as UTF-8: a byte order mark or a declared
// non-UTF-8 charset (GBK, Shift_JIS, windows-1252, ...) is honoured;
// otherwise the bytes are decoded as plain text is (see decodeText).
func decodeHTML(data []byte) string {
	if bytes.HasPrefix(data, bomUTF16LE) || bytes.HasPrefix(data, bomUTF16BE) || bytes.HasPrefix(data, bomUTF8) {
		return decodeText(data)
	}
	if utf8.Valid(data) {
		return string(data)
	}
	head := bytes.ToLower(data[:min(len(data), 1024)])
	if !bytes.Contains(head, []byte("charset")) {
		return decodeText(data)
	}
	enc, name, _ := charset.DetermineEncoding(data, "")
	if name == "utf-8" {
		return decodeText(data)
	}
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return decodeText(data)
	}
	return string(out)
}

// htmlWalker turns a DOM subtree into blocks. Inline content is gathered
// until a block element starts or ends, then emitted as one block of the
// kind of the innermost enclosing block element.
type htmlWalker struct {
	ctx      context.Context
	b        *builder
	fallback bool // walking the whole body: also skip page chrome
	inline   strings.Builder
	kind     string
	firstH1  string
	n        int
	err      error
}

func newHTMLWalker(ctx context.Context, lim Limits, fallback bool) *htmlWalker {
	return &htmlWalker{ctx: ctx, b: newBuilder(lim.MaxChars), fallback: fallback, kind: schema.BlockParagraph}
}

func (w *htmlWalker) walk(n *html.Node) {
	for c := n.FirstChild; c != nil && w.err == nil && !w.b.full(); c = c.NextSibling {
		w.node(c)
	}
}

func (w *htmlWalker) node(n *html.Node) {
	if w.n++; w.n%1024 == 0 {
		if err := w.ctx.Err(); err != nil {
			w.err = err
			return
		}
	}
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.DocumentNode:
		w.walk(n)
		return
	case html.ElementNode:
	default:
		return
	}
	if w.skip(n) {
		return
	}
	switch tagOf(n) {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		w.flush()
		level := int(n.Data[1] - '0')
		t := collapseSpace(textOf(n, false))
		if level == 1 && w.firstH1 == "" {
			w.firstH1 = t
		}
		w.b.heading(level, t, 0)
	case atom.Pre:
		w.flush()
		w.b.paragraph(schema.BlockCode, textOf(n, true), 0)
	case atom.Table:
		w.flush()
		w.table(n)
	case atom.Br:
		w.inline.WriteByte('\n')
	case atom.Li:
		w.block(n, schema.BlockListItem)
	case atom.P, atom.Dt, atom.Dd, atom.Figcaption, atom.Caption, atom.Summary, atom.Blockquote, atom.Address:
		w.block(n, schema.BlockParagraph)
	default:
		if blockAtoms[tagOf(n)] {
			w.block(n, w.kind)
		} else {
			w.walk(n)
		}
	}
}

// block emits the inline content of n as blocks of the given kind.
func (w *htmlWalker) block(n *html.Node, kind string) {
	w.flush()
	saved := w.kind
	w.kind = kind
	w.walk(n)
	w.flush()
	w.kind = saved
}

// text adds a text node to the pending inline content with its white space
// collapsed, as a browser renders it.
func (w *htmlWalker) text(s string) {
	if strings.TrimSpace(s) == "" {
		if w.inline.Len() > 0 {
			w.inline.WriteByte(' ')
		}
		return
	}
	if s[0] == ' ' || s[0] == '\n' || s[0] == '\t' || s[0] == '\r' {
		w.inline.WriteByte(' ')
	}
	w.inline.WriteString(collapseSpace(s))
	if last := s[len(s)-1]; last == ' ' || last == '\n' || last == '\t' || last == '\r' {
		w.inline.WriteByte(' ')
	}
}

// flush emits the pending inline content as one block; line breaks from
// <br> are kept.
func (w *htmlWalker) flush() {
	if w.inline.Len() == 0 {
		return
	}
	var lines []string
	for line := range strings.SplitSeq(w.inline.String(), "\n") {
		if line = collapseSpace(line); line != "" {
			lines = append(lines, line)
		}
	}
	w.inline.Reset()
	w.b.paragraph(w.kind, strings.Join(lines, "\n"), 0)
}

// table emits a caption paragraph and one row block per table row, cells
// joined with " | ". Nested tables are flattened into their cell's text.
func (w *htmlWalker) table(t *html.Node) {
	var rows func(n *html.Node)
	rows = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || w.skip(c) {
				continue
			}
			switch tagOf(c) {
			case atom.Caption:
				w.b.endRows()
				w.b.paragraph(schema.BlockParagraph, collapseSpace(textOf(c, false)), 0)
			case atom.Thead, atom.Tbody, atom.Tfoot:
				rows(c)
			case atom.Tr:
				var cells []string
				for cell := c.FirstChild; cell != nil; cell = cell.NextSibling {
					if cell.Type == html.ElementNode && (tagOf(cell) == atom.Td || tagOf(cell) == atom.Th) && !w.skip(cell) {
						cells = append(cells, collapseSpace(textOf(cell, false)))
					}
				}
				w.b.row(schema.BlockTableRow, joinCells(cells), 0)
			}
		}
	}
	rows(t)
	w.b.endRows()
}

// skip reports elements whose content is not document text (isChrome).
func (w *htmlWalker) skip(n *html.Node) bool { return isChrome(n, w.fallback) }

// isChrome reports elements whose content is not document text: the
// skipAtoms, hidden elements, landmarks of page chrome, and page headers.
// An article's own <header> holds its title, so a header is kept if it
// contains a heading, except in the whole-body fallback walk.
func isChrome(n *html.Node, fallback bool) bool {
	if skipAtoms[tagOf(n)] || hidden(n) {
		return true
	}
	switch strings.ToLower(attr(n, "role")) {
	case "navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar":
		return true
	}
	if tagOf(n) == atom.Header {
		return fallback || !hasHeading(n)
	}
	return false
}

// pruneChrome removes chrome (isChrome) from the page body before
// readability scores it: on short pages readability keeps whatever is
// there, and it renames elements, losing the attributes that mark chrome.
// The head is left alone for readability's metadata.
func pruneChrome(n *html.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		switch {
		case c.Type != html.ElementNode:
		case tagOf(c) == atom.Head:
		case isChrome(c, false):
			n.RemoveChild(c)
		default:
			pruneChrome(c)
		}
		c = next
	}
}

// hasHeading reports whether n contains an h1–h6 element.
func hasHeading(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			switch tagOf(c) {
			case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
				return true
			}
			if hasHeading(c) {
				return true
			}
		}
	}
	return false
}

// hidden reports elements the page hides from readers.
func hidden(n *html.Node) bool {
	for _, a := range n.Attr {
		switch strings.ToLower(a.Key) {
		case "hidden":
			return true
		case "aria-hidden":
			if strings.EqualFold(a.Val, "true") {
				return true
			}
		case "style":
			s := strings.ReplaceAll(strings.ToLower(a.Val), " ", "")
			if strings.Contains(s, "display:none") || strings.Contains(s, "visibility:hidden") {
				return true
			}
		}
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

// skipAtoms are elements never taken as document text: code, embedded
// media, form controls and page chrome.
var skipAtoms = map[atom.Atom]bool{
	atom.Head: true, atom.Script: true, atom.Style: true, atom.Noscript: true,
	atom.Template: true, atom.Svg: true, atom.Math: true, atom.Iframe: true,
	atom.Object: true, atom.Embed: true, atom.Canvas: true, atom.Video: true,
	atom.Audio: true, atom.Button: true, atom.Select: true, atom.Textarea: true,
	atom.Input: true, atom.Nav: true, atom.Footer: true, atom.Aside: true,
	atom.Dialog: true, atom.Menu: true,
}

// blockAtoms are block-level containers: inline text before and after them
// forms separate blocks.
var blockAtoms = map[atom.Atom]bool{
	atom.Html: true, atom.Body: true, atom.Div: true, atom.Section: true,
	atom.Article: true, atom.Main: true, atom.Header: true, atom.Hgroup: true,
	atom.Ul: true, atom.Ol: true, atom.Dl: true, atom.Figure: true,
	atom.Details: true, atom.Fieldset: true, atom.Form: true, atom.Hr: true,
	atom.Center: true, atom.Legend: true, atom.Tr: true, atom.Td: true, atom.Th: true,
}

// textOf returns the text of n's subtree, skipping non-text elements.
// With pre set, white space is kept as written and <br> becomes a newline;
// otherwise elements are separated by spaces for collapsing later.
func textOf(n *html.Node, pre bool) string {
	if n == nil {
		return ""
	}
	var sb strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch c.Type {
			case html.TextNode:
				sb.WriteString(c.Data)
			case html.ElementNode:
				if tagOf(c) != atom.Title && (skipAtoms[tagOf(c)] || hidden(c)) {
					continue
				}
				if tagOf(c) == atom.Br {
					if pre {
						sb.WriteByte('\n')
					} else {
						sb.WriteByte(' ')
					}
					continue
				}
				if !pre && blockAtoms[tagOf(c)] {
					sb.WriteByte(' ')
				}
				rec(c)
				if !pre && (blockAtoms[tagOf(c)] || tagOf(c) == atom.P || tagOf(c) == atom.Li) {
					sb.WriteByte(' ')
				}
			}
		}
	}
	rec(n)
	return sb.String()
}

// tagOf returns the element's tag as an atom. Readability renames
// elements without updating DataAtom, so the name is looked up again.
func tagOf(n *html.Node) atom.Atom {
	if n.DataAtom != 0 || n.Type != html.ElementNode {
		return n.DataAtom
	}
	return atom.Lookup([]byte(strings.ToLower(n.Data)))
}

// findFirstVisible is findFirst outside elements that are never document
// text (navigation, footers, hidden elements, ...).
func findFirstVisible(n *html.Node, a atom.Atom) *html.Node {
	if n.Type == html.ElementNode {
		if tagOf(n) == a {
			return n
		}
		if skipAtoms[tagOf(n)] || hidden(n) {
			return nil
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findFirstVisible(c, a); f != nil {
			return f
		}
	}
	return nil
}

// containsFold reports whether s contains sub, ignoring case.
func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// findFirst returns the first element with the given tag in document
// order, or nil.
func findFirst(n *html.Node, a atom.Atom) *html.Node {
	if n.Type == html.ElementNode && tagOf(n) == a {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findFirst(c, a); f != nil {
			return f
		}
	}
	return nil
}
