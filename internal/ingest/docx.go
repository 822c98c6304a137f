package ingest

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/ragline/ragline/internal/schema"
)

// loadDOCX extracts a Word document from the OOXML archive with
// archive/zip and encoding/xml: paragraphs (runs, tabs, breaks), headings
// from paragraph styles (Title, Heading 1–6, or an outline level), list
// paragraphs, and one table row block per table row with its cells joined
// by " | ". The title comes from docProps/core.xml.
//
// XML read out of the archive is capped (Limits.maxXML), so a zip bomb
// fails with ErrTooLarge instead of exhausting memory or time.
func loadDOCX(ctx context.Context, data []byte, lim Limits) (schema.Document, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return schema.Document{}, fmt.Errorf("%w: zip: %v", ErrCorrupt, err)
	}
	parts := map[string]*zip.File{}
	for _, f := range zr.File {
		parts[f.Name] = f
	}
	main := parts["word/document.xml"]
	if main == nil {
		return schema.Document{}, fmt.Errorf("%w: zip archive without word/document.xml", ErrUnsupportedType)
	}
	budget := &xmlBudget{left: lim.maxXML()}

	styles := map[string]int{}
	if f := parts["word/styles.xml"]; f != nil {
		// Styles only refine heading detection; a broken styles part is
		// no reason to lose the text.
		styles, err = docxStyles(f, budget)
		if errors.Is(err, ErrTooLarge) {
			return schema.Document{}, err
		}
	}
	w := &docxWalker{ctx: ctx, b: newBuilder(lim.MaxChars), styles: styles}
	if err := w.read(main, budget); err != nil {
		return schema.Document{}, err
	}
	doc, err := w.b.document()
	if err != nil {
		return doc, err
	}
	if f := parts["docProps/core.xml"]; f != nil {
		core, err := docxCore(f, budget)
		if errors.Is(err, ErrTooLarge) {
			return schema.Document{}, err
		}
		doc.Title = core.Title
		if core.Creator != "" {
			doc.Metadata = map[string]string{"author": core.Creator}
		}
	}
	if doc.Title == "" {
		doc.Title = w.title
	}
	return doc, nil
}

// xmlBudget is the number of XML bytes that may still be read out of the
// archive, shared by all its parts.
type xmlBudget struct{ left int64 }

// open returns a reader over a part that fails with ErrTooLarge once the
// budget is spent, whatever size the archive claims.
func (bg *xmlBudget) open(f *zip.File) (io.ReadCloser, error) {
	if f.UncompressedSize64 > uint64(bg.left) {
		return nil, fmt.Errorf("%w: %s unpacks to %d bytes, limit %d", ErrTooLarge, f.Name, f.UncompressedSize64, bg.left)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, f.Name, err)
	}
	return &budgetReader{rc: rc, bg: bg, name: f.Name}, nil
}

type budgetReader struct {
	rc   io.ReadCloser
	bg   *xmlBudget
	name string
}

func (r *budgetReader) Read(p []byte) (int, error) {
	if r.bg.left <= 0 {
		return 0, fmt.Errorf("%w: %s unpacks past the limit", ErrTooLarge, r.name)
	}
	if int64(len(p)) > r.bg.left {
		p = p[:r.bg.left]
	}
	n, err := r.rc.Read(p)
	r.bg.left -= int64(n)
	return n, err
}

func (r *budgetReader) Close() error { return r.rc.Close() }

// xmlError classifies an error met while decoding a part.
func xmlError(name string, err error) error {
	if errors.Is(err, ErrTooLarge) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
}

var headingStyle = regexp.MustCompile(`(?i)^heading\s*([1-6])$`)

// styleLevel maps a style id or name to a heading level, 0 for none.
func styleLevel(s string) int {
	if strings.EqualFold(s, "title") {
		return 1
	}
	if m := headingStyle.FindStringSubmatch(strings.TrimSpace(s)); m != nil {
		return int(m[1][0] - '0')
	}
	return 0
}

// docxStyles maps paragraph style ids to heading levels, from the style's
// name ("heading 2" whatever the id is in a localised document) or its
// outline level.
func docxStyles(f *zip.File, bg *xmlBudget) (map[string]int, error) {
	rc, err := bg.open(f)
	if err != nil {
		return map[string]int{}, err
	}
	defer rc.Close()
	var doc struct {
		Styles []struct {
			Type    string   `xml:"type,attr"`
			ID      string   `xml:"styleId,attr"`
			Name    valAttr  `xml:"name"`
			Outline *valAttr `xml:"pPr>outlineLvl"`
		} `xml:"style"`
	}
	levels := map[string]int{}
	if err := xml.NewDecoder(rc).Decode(&doc); err != nil {
		return levels, xmlError(f.Name, err)
	}
	for _, s := range doc.Styles {
		if s.Type != "" && s.Type != "paragraph" {
			continue
		}
		level := styleLevel(s.Name.Val)
		if level == 0 {
			level = styleLevel(s.ID)
		}
		if level == 0 && s.Outline != nil {
			if n, err := strconv.Atoi(s.Outline.Val); err == nil && n >= 0 && n < 6 {
				level = n + 1
			}
		}
		if level > 0 {
			levels[s.ID] = level
		}
	}
	return levels, nil
}

type valAttr struct {
	Val string `xml:"val,attr"`
}

type docxCoreProps struct {
	Title   string `xml:"title"`
	Creator string `xml:"creator"`
}

// docxCore reads the title and author of docProps/core.xml.
func docxCore(f *zip.File, bg *xmlBudget) (docxCoreProps, error) {
	rc, err := bg.open(f)
	if err != nil {
		return docxCoreProps{}, err
	}
	defer rc.Close()
	var core docxCoreProps
	if err := xml.NewDecoder(rc).Decode(&core); err != nil {
		return docxCoreProps{}, xmlError(f.Name, err)
	}
	core.Title = collapseSpace(cleanText(core.Title))
	core.Creator = collapseSpace(cleanText(core.Creator))
	return core, nil
}

// docxWalker streams word/document.xml into blocks.
type docxWalker struct {
	ctx    context.Context
	b      *builder
	styles map[string]int
	title  string // text of the first Title-style paragraph

	paras  []*docxPara  // open paragraphs; text boxes nest them
	tables []*docxTable // open tables, innermost last
	props  int          // depth inside property elements (pPr, rPr, ...)
	skip   int          // depth inside elements whose text is not content
	inText bool         // inside a w:t run text element
}

type docxPara struct {
	text  strings.Builder
	level int  // heading level, 0 for body text
	list  bool // has numbering
	title bool // Title style
}

type docxTable struct {
	row  []string
	cell strings.Builder
}

func (w *docxWalker) read(f *zip.File, bg *xmlBudget) error {
	rc, err := bg.open(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	depth := 0
	for n := 0; !w.b.full(); n++ {
		if n%4096 == 0 {
			if err := w.ctx.Err(); err != nil {
				return err
			}
		}
		// RawToken skips namespace resolution, which the walker does not
		// need, and so does not check nesting; depth does that.
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			if depth != 0 {
				return fmt.Errorf("%w: %s: unexpected end of xml", ErrCorrupt, f.Name)
			}
			break
		}
		if err != nil {
			return xmlError(f.Name, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			w.start(t)
		case xml.EndElement:
			depth--
			w.end(t)
		case xml.CharData:
			if w.skip == 0 && w.props == 0 && w.inText {
				w.write(string(t))
			}
		}
	}
	return nil
}

// propElems hold formatting, never text; inside them a "tab" is a tab
// stop, not a tab character.
var propElems = map[string]bool{
	"pPr": true, "rPr": true, "sectPr": true, "tblPr": true, "trPr": true,
	"tcPr": true, "tblGrid": true, "tblPrEx": true,
}

func (w *docxWalker) start(t xml.StartElement) {
	name := t.Name.Local
	if w.skip > 0 || name == "Fallback" {
		// mc:Fallback repeats the content of mc:Choice for old readers.
		w.skip++
		return
	}
	if propElems[name] {
		w.props++
		return
	}
	if w.props > 0 {
		w.property(name, t)
		return
	}
	switch name {
	case "p":
		w.paras = append(w.paras, &docxPara{})
	case "t":
		w.inText = true
	case "tab", "ptab":
		w.write("\t")
	case "br", "cr":
		w.write("\n")
	case "noBreakHyphen":
		w.write("-")
	case "tbl":
		w.tables = append(w.tables, &docxTable{})
	case "tr":
		if tb := w.table(); tb != nil {
			tb.row = tb.row[:0]
		}
	case "tc":
		if tb := w.table(); tb != nil {
			tb.cell.Reset()
		}
	}
}

// property reads the paragraph properties that matter: style, outline
// level and numbering.
func (w *docxWalker) property(name string, t xml.StartElement) {
	if len(w.paras) == 0 {
		return
	}
	p := w.paras[len(w.paras)-1]
	val := ""
	for _, a := range t.Attr {
		if a.Name.Local == "val" {
			val = a.Value
		}
	}
	switch name {
	case "pStyle":
		level, ok := w.styles[val]
		if !ok {
			level = styleLevel(val)
		}
		if level > 0 {
			p.level = level
		}
		p.title = strings.EqualFold(val, "title")
	case "outlineLvl":
		if n, err := strconv.Atoi(val); err == nil && n >= 0 && n < 6 {
			p.level = n + 1
		}
	case "numPr":
		p.list = true
	}
}

func (w *docxWalker) end(t xml.EndElement) {
	name := t.Name.Local
	if w.skip > 0 {
		w.skip--
		return
	}
	if propElems[name] {
		w.props--
		return
	}
	if w.props > 0 {
		return
	}
	switch name {
	case "t":
		w.inText = false
	case "p":
		if len(w.paras) == 0 {
			return
		}
		p := w.paras[len(w.paras)-1]
		w.paras = w.paras[:len(w.paras)-1]
		w.paragraph(p)
	case "tc":
		if tb := w.table(); tb != nil {
			tb.row = append(tb.row, collapseSpace(tb.cell.String()))
		}
	case "tr":
		tb := w.table()
		if tb == nil {
			return
		}
		text := joinCells(tb.row)
		if len(w.tables) > 1 {
			// A nested table's rows become text of the enclosing cell.
			outer := w.tables[len(w.tables)-2]
			outer.cell.WriteString(" " + text)
			return
		}
		w.b.row(schema.BlockTableRow, text, 0)
	case "tbl":
		if len(w.tables) > 0 {
			w.tables = w.tables[:len(w.tables)-1]
		}
		if len(w.tables) == 0 {
			w.b.endRows()
		}
	}
}

// paragraph emits a finished paragraph, or adds it to the open table cell.
func (w *docxWalker) paragraph(p *docxPara) {
	text := p.text.String()
	if len(w.paras) > 0 {
		// A text box inside a paragraph: emit it on its own.
	} else if tb := w.table(); tb != nil {
		tb.cell.WriteString(" " + text)
		return
	}
	switch {
	case p.level > 0:
		text = collapseSpace(text)
		if p.title && w.title == "" {
			w.title = text
		}
		w.b.heading(p.level, text, 0)
	case p.list:
		w.b.paragraph(schema.BlockListItem, text, 0)
	default:
		w.b.paragraph(schema.BlockParagraph, text, 0)
	}
}

// write adds text to the innermost open paragraph.
func (w *docxWalker) write(s string) {
	if len(w.paras) > 0 {
		w.paras[len(w.paras)-1].text.WriteString(s)
	}
}

// table returns the innermost open table, or nil.
func (w *docxWalker) table() *docxTable {
	if len(w.tables) == 0 {
		return nil
	}
	return w.tables[len(w.tables)-1]
}
