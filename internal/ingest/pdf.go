package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/klippa-app/go-pdfium"
	pdfiumerrors "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/ragline/ragline/internal/schema"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// Sizes past which a job leaves the PDF worker's memory grown, so the
// worker is replaced afterwards: a file over recycleBytes, or over
// recycleChars characters of text.
const (
	recycleBytes = 8 << 20
	recycleChars = 2_000_000
)

// pdfMemoryPages caps the WebAssembly memory of the PDF engine at 320 MiB
// (64 KiB pages), so that with the engine's code and the process's own
// share, a hostile PDF cannot take the process past 512 MiB; a document
// that needs more fails with ErrTooLarge.
const pdfMemoryPages = 5120

// pdfMemoryUsed is the size of the PDF worker's memory, set as it grows
// (there is one worker at a time), to tell a worker that ran out of
// memory from one that failed on a broken file.
var pdfMemoryUsed atomic.Uint64

// outOfMemory reports whether the PDF worker's memory is at its cap.
func outOfMemory() bool { return pdfMemoryUsed.Load() >= pdfMemoryPages*(64<<10)-(32<<20) }

// pdfPool is the process-wide PDFium runtime. It is created when the
// first PDF is loaded: compiling the module takes seconds and one instance
// holds a few hundred megabytes, which processes that never see a PDF
// should not pay. One worker is enough; PDF loads take turns.
var pdfPool struct {
	once sync.Once
	pool pdfium.Pool
	err  error
}

func pdfiumPool() (pdfium.Pool, error) {
	pdfPool.once.Do(func() {
		pdfPool.pool, pdfPool.err = newPDFiumPool()
		if pdfPool.err != nil {
			pdfPool.err = fmt.Errorf("pdfium: start: %w", pdfPool.err)
		}
	})
	return pdfPool.pool, pdfPool.err
}

// newPDFiumPool starts PDFium compiled to WebAssembly under wazero. The
// compiled code is cached under the user cache directory so that later
// processes start in well under a second; cache problems only cost that
// speed. The module gets no file system: documents are passed as bytes.
func newPDFiumPool() (pdfium.Pool, error) {
	rc := wazero.NewRuntimeConfig().
		WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
		WithCloseOnContextDone(true).
		WithMemoryLimitPages(pdfMemoryPages)
	if dir, err := os.UserCacheDir(); err == nil {
		if cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(dir, "ragline", "wazero")); err == nil {
			rc = rc.WithCompilationCache(cache)
		}
	}
	return webassembly.Init(webassembly.Config{
		Context:       experimental.WithMemoryAllocator(context.Background(), pdfMemoryAllocator()),
		MinIdle:       0,
		MaxIdle:       1,
		MaxTotal:      1,
		ReuseWorkers:  true,
		RuntimeConfig: rc,
		FSConfig:      wazero.NewFSConfig(),
		Stdout:        io.Discard,
		Stderr:        io.Discard,
	})
}

// closePDFium releases the PDFium runtime, if it was started. Only tests
// call it; a process keeps the runtime until it exits.
func closePDFium() error {
	if pdfPool.pool == nil {
		return nil
	}
	return pdfPool.pool.Close()
}

// withPDF opens a PDF on the PDFium worker and runs fn with the document
// and its page count. Cancelling ctx interrupts PDFium mid-call: the
// worker is killed and the pool starts a fresh one for the next document.
// fn sets *killed when a call failed in a way that leaves the worker's
// state unknown (not PDFium's own answer about the document); such a
// worker, like one after a panic or a WebAssembly trap, is replaced
// rather than reused. fn sets *recycle after a large job: the worker's
// WebAssembly memory grew and never shrinks, so it is replaced too and
// its memory handed back to the system. A password-protected PDF fails
// with ErrEncrypted, one PDFium cannot open with ErrCorrupt.
func withPDF(ctx context.Context, data []byte, fn func(inst pdfium.Pdfium, d references.FPDF_DOCUMENT, pages int, killed, recycle *bool) error) (err error) {
	pool, err := pdfiumPool()
	if err != nil {
		return err
	}
	inst, err := pool.GetInstanceWithContext(ctx)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return fmt.Errorf("pdfium: %w", err)
	}
	killed, recycle := false, len(data) > recycleBytes
	stop := context.AfterFunc(ctx, func() { _ = inst.Kill() })
	defer func() {
		r := recover()
		switch {
		case !stop():
			killed = true
		case r != nil || killed || recycle:
			_ = inst.Kill()
		default:
			_ = inst.Close()
		}
		if killed || recycle {
			// The killed worker's memory is garbage now: return it.
			debug.FreeOSMemory()
		}
		if r != nil {
			err = fmt.Errorf("%w: pdfium panic: %v", ErrCorrupt, r)
		}
		if ctxErr := ctx.Err(); ctxErr != nil && err != nil {
			err = ctxErr
		}
	}()

	opened, err := inst.OpenDocument(&requests.OpenDocument{File: &data})
	if err != nil {
		killed = !isPDFiumError(err)
		return pdfOpenError(err)
	}
	d := opened.Document
	defer func() { _, _ = inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: d}) }()

	count, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: d})
	if err != nil {
		killed = true
		return fmt.Errorf("%w: pdfium: page count: %w", ErrCorrupt, err)
	}
	return fn(inst, d, count.PageCount, &killed, &recycle)
}

// loadPDF extracts the text layer of a PDF page by page with PDFium. Each
// page's text is split into paragraphs whose blocks carry the page number.
// A password-protected PDF fails with ErrEncrypted, one PDFium cannot open
// with ErrCorrupt, and one without text on any page (a scan) with ErrNoText.
// A page over lim.MaxPageObjects objects or lim.MaxPageChars characters,
// and a file taking longer than lim.MaxPDFTime, fail with ErrTooLarge.
func loadPDF(ctx context.Context, data []byte, lim Limits) (schema.Document, error) {
	lim = lim.withDefaults()
	var doc schema.Document
	tctx, cancel := context.WithTimeout(ctx, lim.MaxPDFTime)
	defer cancel()
	err := withPDF(tctx, data, func(inst pdfium.Pdfium, d references.FPDF_DOCUMENT, pages int, killed, recycle *bool) error {
		if pages > lim.MaxPages {
			return fmt.Errorf("%w: %d pages, limit %d", ErrTooLarge, pages, lim.MaxPages)
		}
		var lines []pdfLine
		chars := 0
		for i := range pages {
			if err := tctx.Err(); err != nil {
				return err
			}
			pl, err := pdfPageLines(inst, d, i, lim)
			if errors.Is(err, ErrTooLarge) {
				*recycle = true
				return err
			}
			if err != nil {
				*killed = !isPDFiumError(err)
				if *killed && outOfMemory() {
					return fmt.Errorf("%w: page %d needs more than the PDF engine's %d MiB of memory", ErrTooLarge, i+1, pdfMemoryPages/16)
				}
				return fmt.Errorf("%w: pdfium: page %d: %w", ErrCorrupt, i+1, err)
			}
			for _, l := range pl {
				chars += utf8.RuneCountInString(l.text)
			}
			if chars > lim.MaxChars {
				*recycle = true
				return fmt.Errorf("%w: extracted text over %d characters", ErrTooLarge, lim.MaxChars)
			}
			lines = append(lines, pl...)
		}
		if chars > recycleChars {
			*recycle = true
		}
		b := newBuilder(lim.MaxChars)
		pdfLayout(b, lines)
		out, err := b.document()
		if errors.Is(err, ErrNoText) {
			doc = out
			return fmt.Errorf("%w: no text layer on any of %d pages (scanned?)", ErrNoText, pages)
		}
		if err != nil {
			doc = out
			return err
		}
		out.Pages = pages
		out.Original = data
		out.Title = pdfMeta(inst, d, "Title")
		for _, tag := range []string{"Author", "Subject", "Keywords"} {
			if v := pdfMeta(inst, d, tag); v != "" {
				if out.Metadata == nil {
					out.Metadata = map[string]string{}
				}
				out.Metadata[strings.ToLower(tag)] = v
			}
		}
		doc = out
		return nil
	})
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return doc, fmt.Errorf("%w: text extraction took over %v", ErrTooLarge, lim.MaxPDFTime)
	}
	return doc, err
}

// pdfPageLines returns the text lines of page i (0-based) in PDFium's
// reading order, each with the geometry of its first visible character.
func pdfPageLines(inst pdfium.Pdfium, d references.FPDF_DOCUMENT, i int, lim Limits) ([]pdfLine, error) {
	page, err := inst.FPDF_LoadPage(&requests.FPDF_LoadPage{Document: d, Index: i})
	if err != nil {
		return nil, err
	}
	defer func() { _, _ = inst.FPDF_ClosePage(&requests.FPDF_ClosePage{Page: page.Page}) }()
	objs, err := inst.FPDFPage_CountObjects(&requests.FPDFPage_CountObjects{Page: requests.Page{ByReference: &page.Page}})
	if err != nil {
		return nil, err
	}
	if objs.Count > lim.MaxPageObjects {
		return nil, fmt.Errorf("%w: page %d has %d content objects, limit %d", ErrTooLarge, i+1, objs.Count, lim.MaxPageObjects)
	}
	var lines []pdfLine
	err = withPageText(inst, page.Page, func(tp references.FPDF_TEXTPAGE, text string, count int) error {
		if count > lim.MaxPageChars {
			return fmt.Errorf("%w: page %d has %d characters, limit %d", ErrTooLarge, i+1, count, lim.MaxPageChars)
		}
		// PDFium numbers characters by code point, line breaks it
		// generates ("\r\n") included, so a rune's position in the text is
		// its index.
		idx := 0
		for _, raw := range strings.Split(text, "\r\n") {
			line := pdfLine{text: raw, page: i + 1}
			first := idx
			for _, r := range raw {
				if !unicode.IsSpace(r) && r >= 0x20 {
					break
				}
				first++
			}
			if first < idx+utf8.RuneCountInString(raw) && first < count {
				if box, err := inst.FPDFText_GetLooseCharBox(&requests.FPDFText_GetLooseCharBox{TextPage: tp, Index: first}); err == nil {
					line.left = float64(box.Rect.Left)
					line.bottom = float64(min(box.Rect.Bottom, box.Rect.Top))
					line.height = math.Abs(float64(box.Rect.Top - box.Rect.Bottom))
				}
			}
			lines = append(lines, line)
			idx += utf8.RuneCountInString(raw) + 2
		}
		return nil
	})
	return lines, err
}

// withPageText loads the text layer of a loaded page and runs fn with it,
// its text and its character count; a page without text does not call fn.
func withPageText(inst pdfium.Pdfium, page references.FPDF_PAGE, fn func(tp references.FPDF_TEXTPAGE, text string, count int) error) error {
	tp, err := inst.FPDFText_LoadPage(&requests.FPDFText_LoadPage{Page: requests.Page{ByReference: &page}})
	if err != nil {
		return err
	}
	defer func() { _, _ = inst.FPDFText_ClosePage(&requests.FPDFText_ClosePage{TextPage: tp.TextPage}) }()
	n, err := inst.FPDFText_CountChars(&requests.FPDFText_CountChars{TextPage: tp.TextPage})
	if err != nil || n.Count <= 0 {
		return err
	}
	t, err := inst.FPDFText_GetText(&requests.FPDFText_GetText{TextPage: tp.TextPage, StartIndex: 0, Count: n.Count})
	if err != nil {
		return err
	}
	return fn(tp.TextPage, t.Text, n.Count)
}

// pdfMeta returns a document information field, "" when absent.
func pdfMeta(inst pdfium.Pdfium, d references.FPDF_DOCUMENT, tag string) string {
	res, err := inst.FPDF_GetMetaText(&requests.FPDF_GetMetaText{Document: d, Tag: tag})
	if err != nil {
		return ""
	}
	return collapseSpace(cleanText(res.Value))
}

// isPDFiumError reports errors PDFium itself returned about the document,
// as opposed to failures of the WebAssembly worker.
func isPDFiumError(err error) bool {
	for _, e := range []error{
		pdfiumerrors.ErrUnknown, pdfiumerrors.ErrFile, pdfiumerrors.ErrFormat,
		pdfiumerrors.ErrPassword, pdfiumerrors.ErrSecurity, pdfiumerrors.ErrPage,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// pdfOpenError classifies a failure to open a document.
func pdfOpenError(err error) error {
	switch {
	case errors.Is(err, pdfiumerrors.ErrPassword):
		return fmt.Errorf("%w: pdfium: password required", ErrEncrypted)
	case errors.Is(err, pdfiumerrors.ErrSecurity):
		return fmt.Errorf("%w: pdfium: unsupported security handler", ErrEncrypted)
	}
	return fmt.Errorf("%w: pdfium: %w", ErrCorrupt, err)
}
