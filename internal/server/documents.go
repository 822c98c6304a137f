package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/store"
)

type collectionInfo struct {
	Name      string `json:"name"`
	Documents int    `json:"documents"`
}

func (s *Server) listCollections(w http.ResponseWriter, r *http.Request) {
	counts, err := s.kb.Collections(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]collectionInfo, 0, len(counts))
	for name, n := range counts {
		if s.visibleCollection(r, name) {
			out = append(out, collectionInfo{name, n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, map[string]any{"collections": out})
}

// collectionParam returns the {collection} of the path, valid and one the
// request's key may use.
func (s *Server) collectionParam(r *http.Request) (string, error) {
	c := r.PathValue("collection")
	if !config.ValidCollection(c) {
		return "", badRequest("collection", "invalid collection name %q", c)
	}
	if err := s.allowCollection(r, "collection", c); err != nil {
		return "", err
	}
	return c, nil
}

func (s *Server) listDocuments(w http.ResponseWriter, r *http.Request) {
	c, err := s.collectionParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	docs, err := s.kb.Documents(r.Context(), c)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if docs == nil {
		docs = []store.DocInfo{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"collection": c, "documents": docs})
}

// documentView is a document's metadata with its extracted text, for
// showing a cited passage in context.
type documentView struct {
	store.DocInfo
	Text string `json:"text"`
}

// documentInfo returns the metadata of document id when the request's
// key may use its collection; a document that does not exist and one the
// key may not see get the same 404.
func (s *Server) documentInfo(r *http.Request, field, id string) (store.DocInfo, error) {
	info, err := s.kb.DocumentInfo(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return store.DocInfo{}, noDocument(field, id)
	}
	if err != nil {
		return store.DocInfo{}, err
	}
	if !callerFrom(r.Context()).mayUse(info.Collection) {
		return store.DocInfo{}, noDocument(field, id)
	}
	return info, nil
}

func (s *Server) getDocument(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	info, err := s.documentInfo(r, "id", id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	doc, err := s.kb.Document(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, documentView{DocInfo: info, Text: doc.Text})
}

func (s *Server) deleteDocument(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.allowDocument(r, "id", id); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.kb.DeleteDocument(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deleted": id})
}

// uploadResult is the outcome for one uploaded file.
type uploadResult struct {
	File      string `json:"file"`
	Status    string `json:"status"` // added, replaced, unchanged, failed
	Documents int    `json:"documents"`
	Chunks    int    `json:"chunks"`
	Error     string `json:"error,omitempty"`
}

// uploadDocuments ingests the files of a multipart request into a
// collection and reports each file's outcome; one bad file does not stop
// the others.
func (s *Server) uploadDocuments(w http.ResponseWriter, r *http.Request) {
	c, err := s.collectionParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.kb.ReadOnly() {
		s.writeError(w, r, store.ErrReadOnly)
		return
	}
	if err := s.storeWritable(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	}
	limit := int64(s.opts.Config.Server.MaxUploadBytes)
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mr, err := r.MultipartReader()
	if err != nil {
		s.writeError(w, r, &apiError{status: http.StatusUnsupportedMediaType, Type: "unsupported_media_type", Message: "want multipart/form-data with one or more files"})
		return
	}
	dir, err := uploadDir("")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer os.RemoveAll(dir)
	var names []string
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.writeError(w, r, uploadError(err, limit))
			return
		}
		name := safeFileName(part.FileName())
		if name == "" {
			part.Close()
			continue
		}
		if seen[name] {
			part.Close()
			s.writeError(w, r, badRequest("file", "file %q sent twice", name))
			return
		}
		seen[name] = true
		if err := saveUpload(part, filepath.Join(dir, name)); err != nil {
			s.writeError(w, r, uploadError(err, limit))
			return
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		s.writeError(w, r, badRequest("file", "no files in the request"))
		return
	}
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = filepath.Join(dir, n)
	}
	rep, err := s.kb.Ingest(r.Context(), c, paths, nil)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	results := make([]uploadResult, 0, len(rep.Results))
	for _, fr := range rep.Results {
		ur := uploadResult{File: filepath.Base(fr.Path), Status: string(fr.Status), Documents: fr.Documents, Chunks: fr.Chunks}
		if fr.Err != nil {
			ur.Status = "failed"
			ur.Error = strings.ReplaceAll(fr.Err.Error(), dir+string(filepath.Separator), "")
		}
		results = append(results, ur)
	}
	status := http.StatusOK
	if rep.Failed == len(rep.Results) {
		status = http.StatusUnprocessableEntity
		if unavailable(rep) {
			s.writeError(w, r, fmt.Errorf("upload: %w", store.ErrUnavailable))
			return
		}
	}
	writeJSON(w, status, map[string]any{"collection": c, "files": results, "failed": rep.Failed})
}

func saveUpload(part *multipart.Part, path string) error {
	defer part.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, part); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func uploadError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &apiError{status: http.StatusRequestEntityTooLarge, Type: "too_large", Message: fmt.Sprintf("upload over %d bytes", limit)}
	}
	return badRequest("", "invalid multipart body: %v", err)
}

// safeFileName keeps only the base name of an uploaded file, never a path.
func safeFileName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" || name == ".." || strings.HasPrefix(name, ".") {
		return ""
	}
	return name
}

// storeWritable fails fast (within a second) with store.ErrUnavailable
// when the knowledge base's database cannot be reached, before an upload
// is read.
func (s *Server) storeWritable(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	// The store alone: an index still loading does not stop writes.
	ping := s.kb.Ping
	if p, ok := s.kb.(interface{ PingStore(context.Context) error }); ok {
		ping = p.PingStore
	}
	if err := ping(ctx); err != nil {
		if errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
		}
		return err
	}
	return nil
}

// unavailable reports whether every file failed because the store could
// not be reached.
func unavailable(rep kb.Report) bool {
	for _, fr := range rep.Results {
		if !errors.Is(fr.Err, store.ErrUnavailable) {
			return false
		}
	}
	return len(rep.Results) > 0
}
