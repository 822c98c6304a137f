package ingest

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ragline/ragline/internal/schema"
)

// pdfLine is one line of PDF text with the geometry of its first visible
// character, in PDF points (y grows upwards). Height is 0 when PDFium
// gave no box.
type pdfLine struct {
	text   string
	page   int
	left   float64
	bottom float64
	height float64
}

// Layout thresholds, relative to the height of a line's font box.
const (
	// headingRatio is how much taller than body text a line must be to
	// be taken for a heading.
	headingRatio = 1.2
	// maxHeadingRunes is the longest line taken for a heading.
	maxHeadingRunes = 150
	// leadSlack is how much wider than the body text's line spacing a gap
	// must be to separate paragraphs.
	leadSlack = 1.2
	// fallbackGap is the gap that separates paragraphs when the line
	// spacing is unknown: single spacing runs from about 1.2 to 1.7 box
	// heights depending on the font.
	fallbackGap = 1.9
)

// pdfLayout turns the lines of all pages into heading, paragraph and list
// item blocks. PDF text has lines, not paragraphs, so they are recovered
// from the geometry: a paragraph ends at a blank line, a wider gap between
// lines, a change of font size, a move up the page (next column), or a
// line that ends a sentence well short of the longest line on its page.
// Lines in a font clearly larger than the body text are headings, levelled
// by size. A lone page number at the top or bottom of a page is dropped.
func pdfLayout(b *builder, lines []pdfLine) {
	lines = cleanPDFLines(lines)
	body := bodyHeight(lines)
	levels := headingLevels(lines, body)
	widths := pageWidths(lines)
	g := gaps{body: body, lead: bodyLeading(lines, body, widths)}

	var (
		cur   []string
		kind  string
		level int
		page  int
		prev  *pdfLine
	)
	flush := func() {
		if len(cur) > 0 {
			text := joinLines(cur)
			if kind == schema.BlockHeading {
				b.heading(level, text, page)
			} else {
				b.paragraph(kind, text, page)
			}
		}
		cur, prev = cur[:0], nil
	}
	for i := range lines {
		l := &lines[i]
		if l.text == "" {
			flush()
			continue
		}
		lvl := 0
		if l.height > 0 && body > 0 && l.height >= body*headingRatio && utf8.RuneCountInString(l.text) <= maxHeadingRunes {
			lvl = levels[roundHeight(l.height)]
		}
		switch {
		case prev == nil:
		case prev.page != l.page, lvl != level, lvl > 0 && kind != schema.BlockHeading:
			flush()
		case lvl == 0 && isListStart(l.text):
			flush()
		case lvl == 0 && g.breaks(prev, l):
			flush()
		}
		if len(cur) == 0 {
			page, level = l.page, lvl
			switch {
			case lvl > 0:
				kind = schema.BlockHeading
			case isListStart(l.text):
				kind = schema.BlockListItem
			default:
				kind = schema.BlockParagraph
			}
		}
		cur = append(cur, l.text)
		prev = l
		if kind != schema.BlockHeading && endsSentence(l.text) && lineWidth(l.text)*4 < widths[l.page]*3 {
			flush()
		}
		if b.full() {
			return
		}
	}
	flush()
}

// gaps judges the vertical distance between lines.
type gaps struct {
	body float64 // box height of body text
	lead float64 // line spacing of body text, 0 when unknown
}

// breaks reports whether line l starts a new paragraph after line prev on
// the same page, judged by geometry.
func (g gaps) breaks(prev, l *pdfLine) bool {
	if prev.height <= 0 || l.height <= 0 {
		return false
	}
	h := max(prev.height, l.height)
	if math.Abs(prev.height-l.height) > 0.15*h {
		return true // font size changed
	}
	gap := prev.bottom - l.bottom
	if gap < -0.5*h {
		return true // moved up: next column or a float
	}
	if g.lead > 0 && g.isBody(prev) && g.isBody(l) {
		return gap > leadSlack*g.lead
	}
	return gap > fallbackGap*h
}

func (g gaps) isBody(l *pdfLine) bool {
	return math.Abs(l.height-g.body) <= 0.15*g.body
}

// bodyLeading measures the line spacing of body text from lines that were
// surely wrapped: nearly as wide as the page's longest line and not ending
// a sentence. It returns 0 when no such line exists.
func bodyLeading(lines []pdfLine, body float64, widths map[int]int) float64 {
	g := gaps{body: body}
	lead := 0.0
	for i := 1; i < len(lines); i++ {
		prev, l := &lines[i-1], &lines[i]
		if prev.page != l.page || prev.text == "" || l.text == "" || !g.isBody(prev) || !g.isBody(l) {
			continue
		}
		if endsSentence(prev.text) || lineWidth(prev.text)*10 < widths[prev.page]*8 {
			continue
		}
		if gap := prev.bottom - l.bottom; gap >= 0.8*body && (lead == 0 || gap < lead) {
			lead = gap
		}
	}
	return lead
}

// cleanPDFLines normalises line text, drops control characters other than
// PDFium's line-break hyphen marker (0x2), and blanks lone page numbers at
// the top and bottom of each page.
func cleanPDFLines(lines []pdfLine) []pdfLine {
	for i := range lines {
		lines[i].text = strings.TrimSpace(strings.Map(func(r rune) rune {
			switch {
			case r == 0x2 || r == '\t':
				return r
			case r < 0x20 || r == 0xFFFE || r == 0xFFFF || r == 0xFEFF:
				return -1
			}
			return r
		}, cleanText(lines[i].text)))
	}
	for i := range lines {
		if !isPageNumber(lines[i].text) {
			continue
		}
		first, last := true, true
		for j := i - 1; j >= 0 && lines[j].page == lines[i].page; j-- {
			if lines[j].text != "" {
				first = false
				break
			}
		}
		for j := i + 1; j < len(lines) && lines[j].page == lines[i].page; j++ {
			if lines[j].text != "" {
				last = false
				break
			}
		}
		if first || last {
			lines[i].text = ""
		}
	}
	return lines
}

// isPageNumber reports lines such as "7", "- 7 -", "Page 7" or "7 / 20".
func isPageNumber(s string) bool {
	s = strings.TrimSpace(strings.Trim(s, "-–— "))
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s, "Page"), "page"))
	if a, b, ok := strings.Cut(s, "/"); ok {
		return isDigits(strings.TrimSpace(a)) && isDigits(strings.TrimSpace(b))
	}
	if a, b, ok := strings.Cut(s, " of "); ok {
		return isDigits(strings.TrimSpace(a)) && isDigits(strings.TrimSpace(b))
	}
	return isDigits(s)
}

func isDigits(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// roundHeight rounds a box height to half points, so that one font size
// maps to one key.
func roundHeight(h float64) float64 { return math.Round(h*2) / 2 }

// bodyHeight returns the box height that most characters are set in.
func bodyHeight(lines []pdfLine) float64 {
	count := map[float64]int{}
	for _, l := range lines {
		if l.height > 0 {
			count[roundHeight(l.height)] += utf8.RuneCountInString(l.text)
		}
	}
	best, bestN := 0.0, 0
	for h, n := range count {
		if n > bestN || (n == bestN && h < best) {
			best, bestN = h, n
		}
	}
	return best
}

// headingLevels ranks the heading sizes found in lines, largest first, as
// levels 1–6. Line heights come from glyph boxes, which vary with
// ascenders and descenders ("Booking" is taller than "Corporate"), so
// sizes within sizeTolerance of a level's largest size share that level.
func headingLevels(lines []pdfLine, body float64) map[float64]int {
	var sizes []float64
	for _, l := range lines {
		if body > 0 && l.height >= body*headingRatio && l.text != "" && utf8.RuneCountInString(l.text) <= maxHeadingRunes && hasLetter(l.text) {
			sizes = append(sizes, roundHeight(l.height))
		}
	}
	slices.SortFunc(sizes, func(a, b float64) int { return cmp.Compare(b, a) })
	sizes = slices.Compact(sizes)
	levels := make(map[float64]int, len(sizes))
	level, top := 0, 0.0
	for _, s := range sizes {
		if level == 0 || s < top*(1-sizeTolerance) {
			level, top = level+1, s
		}
		levels[s] = min(level, 6)
	}
	return levels
}

// sizeTolerance is how much smaller than a level's largest line a heading
// line may be and still belong to that level.
const sizeTolerance = 0.12

func hasLetter(s string) bool {
	return strings.IndexFunc(s, unicode.IsLetter) >= 0
}

// pageWidths returns the width of the longest line of each page.
func pageWidths(lines []pdfLine) map[int]int {
	w := map[int]int{}
	for _, l := range lines {
		w[l.page] = max(w[l.page], lineWidth(l.text))
	}
	return w
}

// lineWidth estimates a line's printed width: CJK characters are about
// twice as wide as Latin ones.
func lineWidth(s string) int {
	w := 0
	for _, r := range s {
		if isCJK(r) {
			w += 2
		} else {
			w++
		}
	}
	return w
}

// endsSentence reports whether a line ends with sentence-final punctuation.
func endsSentence(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(strings.TrimRight(s, `"'”’)]`))
	return strings.ContainsRune(".!?:;。！？：；", r)
}

// isListStart reports lines that begin with a bullet or "1." / "1)".
func isListStart(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	if strings.ContainsRune("•●▪◦‣∙·■□", r) {
		return true
	}
	if (r == '-' || r == '*' || r == '–') && strings.HasPrefix(s[size:], " ") {
		return true
	}
	i := 0
	for i < len(s) && i < 3 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i > 0 && i+1 < len(s) && (s[i] == '.' || s[i] == ')') && s[i+1] == ' '
}
