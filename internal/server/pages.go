package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/ragline/ragline/internal/ingest"
	"github.com/ragline/ragline/internal/store"
)

// Page images: the default and the allowed range of their resolution.
const (
	pageDPI    = 110
	pageDPIMin = 36
	pageDPIMax = 200
)

// originalSource gives a document's source content; *kb.KB implements it.
type originalSource interface {
	Original(ctx context.Context, id string) ([]byte, error)
}

func (s *Server) originals() (originalSource, bool) {
	k := s.kb
	if o, ok := k.(observedKB); ok {
		k = o.KnowledgeBase
	}
	src, ok := k.(originalSource)
	return src, ok
}

// intParam reads an optional integer query parameter within [lo, hi].
func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badRequest(name, "%s must be an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

// documentPage renders page n of a PDF as a PNG image. With start and end
// (character offsets of a citation) the passage is marked on the page;
// the X-Ragline-Marked header says how many rectangles were drawn (0 when
// the passage was not found on that page).
func (s *Server) documentPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	num, ok := strings.CutSuffix(r.PathValue("n"), ".png")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n < 1 {
		s.writeError(w, r, badRequest("n", "page must be N.png with N ≥ 1, got %q", r.PathValue("n")))
		return
	}
	info, err := s.documentInfo(r, "id", id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	notFound := func(format string, args ...any) {
		s.writeError(w, r, &apiError{status: http.StatusNotFound, Type: "not_found", Field: "n", Message: fmt.Sprintf(format, args...)})
	}
	if info.Type != "pdf" {
		notFound("document %s is %s: only PDF pages are rendered", id, info.Type)
		return
	}
	if n > info.Pages {
		notFound("document %s has %d pages, not %d", id, info.Pages, n)
		return
	}
	dpi, err := intParam(r, "dpi", pageDPI, pageDPIMin, pageDPIMax)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	mark, err := s.passage(r, id, info.Chars)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	src, ok := s.originals()
	if !ok {
		notFound("this knowledge base keeps no original files")
		return
	}
	data, err := src.Original(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		notFound("no original kept for document %s (ingested before originals were kept: delete it and ingest it again)", id)
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	img, err := ingest.RenderPDFPage(r.Context(), data, n, dpi, mark)
	if errors.Is(err, ingest.ErrNoPage) {
		notFound("%v", err)
		return
	}
	if errors.Is(err, ingest.ErrPageTooLarge) {
		s.writeError(w, r, &apiError{status: http.StatusUnprocessableEntity, Type: "page_too_large", Field: "n", Message: err.Error()})
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Content-Length", strconv.Itoa(len(img.PNG)))
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("X-Ragline-Marked", strconv.Itoa(img.Marked))
	// A page too large for the asked resolution is rendered at a lower one.
	h.Set("X-Ragline-DPI", strconv.Itoa(img.DPI))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(img.PNG)
}

// passage returns the document text between the start and end query
// parameters (character offsets), "" when neither is given.
func (s *Server) passage(r *http.Request, id string, chars int) (string, error) {
	q := r.URL.Query()
	if q.Get("start") == "" && q.Get("end") == "" {
		return "", nil
	}
	start, err := intParam(r, "start", 0, 0, chars)
	if err != nil {
		return "", err
	}
	end, err := intParam(r, "end", chars, 0, chars)
	if err != nil {
		return "", err
	}
	if end <= start {
		return "", badRequest("end", "end (%d) must be greater than start (%d)", end, start)
	}
	doc, err := s.kb.Document(r.Context(), id)
	if err != nil {
		return "", err
	}
	runes := []rune(doc.Text)
	if end > len(runes) {
		return "", badRequest("end", "end %d is past the document's %d characters", end, len(runes))
	}
	return string(runes[start:end]), nil
}
