package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"strings"
	"unicode"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
)

// ErrNoPage reports a page number outside a document.
var ErrNoPage = errors.New("no such page")

// ErrPageTooLarge reports a page that does not fit in MaxPagePixels even
// at the lowest resolution rendered.
var ErrPageTooLarge = errors.New("page too large to render")

// Bounds of a rendered page. A page is rendered at the resolution asked
// for when its image has at most MaxPagePixels pixels (16 Mpx: 64 MiB of
// RGBA, in the engine and once more in Go), else at the highest lower
// resolution that fits, down to MinRenderDPI; a page too large even then
// is refused with ErrPageTooLarge. An image over recyclePixels leaves the
// engine's memory grown, so its instance is replaced afterwards.
const (
	MaxPagePixels = 16 << 20
	MinRenderDPI  = 18
	recyclePixels = 4 << 20
)

// fitDPI returns the highest resolution up to dpi at which a page of w × h
// points has at most MaxPagePixels pixels.
func fitDPI(w, h float64, dpi int) (int, error) {
	px := func(d int) float64 { return math.Ceil(w*float64(d)/72) * math.Ceil(h*float64(d)/72) }
	if px(dpi) <= MaxPagePixels {
		return dpi, nil
	}
	d := int(float64(dpi) * math.Sqrt(MaxPagePixels/px(dpi)))
	for d >= MinRenderDPI && px(d) > MaxPagePixels {
		d--
	}
	if d < MinRenderDPI {
		return 0, fmt.Errorf("%w: %.0f × %.0f points is over %d pixels even at %d dpi", ErrPageTooLarge, w, h, MaxPagePixels, MinRenderDPI)
	}
	return d, nil
}

// PageImage is one rendered PDF page.
type PageImage struct {
	// PNG is the encoded image.
	PNG []byte
	// Width and Height are the image's size in pixels.
	Width, Height int
	// DPI is the resolution rendered: the one asked for, or a lower one
	// that keeps the image within MaxPagePixels.
	DPI int
	// Marked is the number of rectangles drawn over the passage; 0 when
	// no passage was asked for or it was not found on the page.
	Marked int
}

// markColor is multiplied into the pixels of a marked passage: white
// paper turns yellow and dark text stays readable.
var markColor = [3]uint32{255, 214, 10}

// RenderPDFPage renders page (1-based) of a PDF at dpi dots per inch. When
// mark is not empty, the passage's text is located on the page (ignoring
// white space, punctuation and case, which extraction may change) and
// highlighted; a passage that runs onto the next page is marked up to
// the page's end.
func RenderPDFPage(ctx context.Context, data []byte, page, dpi int, mark string) (PageImage, error) {
	if dpi < 18 || dpi > 300 {
		return PageImage{}, fmt.Errorf("render: dpi %d outside 18–300", dpi)
	}
	var out PageImage
	err := withPDF(ctx, data, func(inst pdfium.Pdfium, d references.FPDF_DOCUMENT, pages int, killed, recycle *bool) error {
		if page < 1 || page > pages {
			return fmt.Errorf("%w: page %d of %d", ErrNoPage, page, pages)
		}
		loaded, err := inst.FPDF_LoadPage(&requests.FPDF_LoadPage{Document: d, Index: page - 1})
		if err != nil {
			*killed = !isPDFiumError(err)
			return fmt.Errorf("%w: pdfium: page %d: %w", ErrCorrupt, page, err)
		}
		ref := loaded.Page
		defer func() { _, _ = inst.FPDF_ClosePage(&requests.FPDF_ClosePage{Page: ref}) }()

		size, err := inst.GetPageSize(&requests.GetPageSize{Page: requests.Page{ByReference: &ref}})
		if err != nil {
			*killed = !isPDFiumError(err)
			return fmt.Errorf("%w: pdfium: page %d size: %w", ErrCorrupt, page, err)
		}
		if dpi, err = fitDPI(size.Width, size.Height, dpi); err != nil {
			return err
		}
		rendered, err := inst.RenderPageInDPI(&requests.RenderPageInDPI{Page: requests.Page{ByReference: &ref}, DPI: dpi})
		if err != nil {
			*killed = !isPDFiumError(err)
			if *killed && outOfMemory() {
				return fmt.Errorf("%w: page %d needs more than the PDF engine's %d MiB of memory", ErrPageTooLarge, page, pdfMemoryPages/16)
			}
			return fmt.Errorf("%w: pdfium: render page %d: %w", ErrCorrupt, page, err)
		}
		// The pixels live in the worker's memory until Cleanup: copy them.
		src := rendered.Result.RenderedImage
		img := image.NewRGBA(src.Bounds())
		draw.Draw(img, img.Bounds(), src, src.Bounds().Min, draw.Src)
		rendered.Cleanup()
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		if w*h > recyclePixels {
			*recycle = true
		}

		marked := 0
		if strings.TrimSpace(mark) != "" {
			rects, err := passageRects(inst, ref, mark, w, h)
			if err != nil {
				*killed = !isPDFiumError(err)
				return fmt.Errorf("%w: pdfium: page %d text: %w", ErrCorrupt, page, err)
			}
			for _, r := range rects {
				highlight(img, r)
			}
			marked = len(rects)
		}
		var buf bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
			return fmt.Errorf("render: encode png: %w", err)
		}
		out = PageImage{PNG: buf.Bytes(), Width: w, Height: h, DPI: dpi, Marked: marked}
		return nil
	})
	return out, err
}

// passageRects finds mark in the page's text and returns the pixel
// rectangles of its characters in an image of width × height.
func passageRects(inst pdfium.Pdfium, page references.FPDF_PAGE, mark string, width, height int) ([]image.Rectangle, error) {
	var out []image.Rectangle
	err := withPageText(inst, page, func(tp references.FPDF_TEXTPAGE, text string, _ int) error {
		// PDFium numbers characters by code point, so a rune's position
		// in the text is its character index.
		from, to, ok := locate([]rune(text), []rune(mark))
		if !ok {
			return nil
		}
		rc, err := inst.FPDFText_CountRects(&requests.FPDFText_CountRects{TextPage: tp, StartIndex: from, Count: to - from})
		if err != nil {
			return err
		}
		for i := range rc.Count {
			r, err := inst.FPDFText_GetRect(&requests.FPDFText_GetRect{TextPage: tp, Index: i})
			if err != nil {
				return err
			}
			a, err := toDevice(inst, page, width, height, r.Left, r.Top)
			if err != nil {
				return err
			}
			b, err := toDevice(inst, page, width, height, r.Right, r.Bottom)
			if err != nil {
				return err
			}
			px := image.Rectangle{Min: a, Max: b}.Canon().Inset(-2) // a little air around the glyphs
			if px = px.Intersect(image.Rect(0, 0, width, height)); !px.Empty() {
				out = append(out, px)
			}
		}
		return nil
	})
	return out, err
}

func toDevice(inst pdfium.Pdfium, page references.FPDF_PAGE, width, height int, x, y float64) (image.Point, error) {
	p, err := inst.FPDF_PageToDevice(&requests.FPDF_PageToDevice{
		Page: requests.Page{ByReference: &page}, SizeX: width, SizeY: height, PageX: x, PageY: y,
	})
	if err != nil {
		return image.Point{}, err
	}
	return image.Pt(p.DeviceX, p.DeviceY), nil
}

// locate finds needle in hay comparing letters and digits only, case
// folded, and returns hay's rune range [from, to). When the whole needle
// is not there, its first or last stretch is tried, for a passage that
// starts on the page before or ends on the page after.
func locate(hay, needle []rune) (from, to int, ok bool) {
	h, hi := folded(hay)
	n, _ := folded(needle)
	if len(n) == 0 || len(h) == 0 {
		return 0, 0, false
	}
	span := func(a, b int) (int, int, bool) { return hi[a], hi[b-1] + 1, true }
	if i := indexRunes(h, n); i >= 0 {
		return span(i, i+len(n))
	}
	const edge = 24
	if len(n) <= edge {
		return 0, 0, false
	}
	if i := indexRunes(h, n[:edge]); i >= 0 {
		end := min(len(h), i+len(n))
		if j := indexRunes(h[i:], n[len(n)-edge:]); j >= 0 {
			end = i + j + edge
		}
		return span(i, end)
	}
	if j := indexRunes(h, n[len(n)-edge:]); j >= 0 {
		return span(max(0, j+edge-len(n)), j+edge)
	}
	return 0, 0, false
}

// folded keeps the letters and digits of s, lower-cased, with the index
// in s of each one kept.
func folded(s []rune) ([]rune, []int) {
	out := make([]rune, 0, len(s))
	idx := make([]int, 0, len(s))
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			out = append(out, unicode.ToLower(r))
			idx = append(idx, i)
		}
	}
	return out, idx
}

func indexRunes(h, n []rune) int {
	for i := 0; i+len(n) <= len(h); i++ {
		if h[i] == n[0] && string(h[i:i+len(n)]) == string(n) {
			return i
		}
	}
	return -1
}

// highlight multiplies the mark colour into r.
func highlight(img *image.RGBA, r image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for x := 0; x+4 <= len(row); x += 4 {
			for c := range 3 {
				row[x+c] = uint8(uint32(row[x+c]) * markColor[c] / 255)
			}
		}
	}
}
