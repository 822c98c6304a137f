package kb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/ragline/ragline/internal/chunk"
	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/ingest"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/store"
	"github.com/ragline/ragline/internal/text"
)

// FileResult is the outcome of ingesting one file.
type FileResult struct {
	Path      string          `json:"path"`
	Key       string          `json:"key"`
	Documents int             `json:"documents"`
	Chunks    int             `json:"chunks"`
	Bytes     int64           `json:"bytes"`
	Status    store.PutStatus `json:"status,omitempty"`
	Err       error           `json:"-"`
	Error     string          `json:"error,omitempty"`
	statuses  []store.PutStatus
	// legacy is the key older versions gave this file (see docKey).
	legacy string
}

// Progress receives ingestion events; calls come from one goroutine.
type Progress interface {
	Start(files int, bytes int64)
	File(r FileResult)
}

// PartProgress is a Progress that also hears of the documents of a
// corpus file (BEIR JSONL) as each batch of them is written, long before
// the whole file is; documents and bytes (their text) count that batch.
type PartProgress interface {
	Part(path string, documents int, bytes int64)
}

// Report summarises an ingestion run.
type Report struct {
	Files     int   `json:"files"`
	Failed    int   `json:"failed"`
	Added     int   `json:"added"`
	Replaced  int   `json:"replaced"`
	Unchanged int   `json:"unchanged"`
	Chunks    int   `json:"chunks"`
	Bytes     int64 `json:"bytes"`
	// Embedded chunks were sent to models.embedding; EmbeddingsCached
	// took their vectors from the embedding cache.
	Embedded         int          `json:"embedded,omitempty"`
	EmbeddingsCached int          `json:"embeddings_cached,omitempty"`
	Results          []FileResult `json:"results"`
}

type job struct {
	path, key, legacy string
	size              int64
}

type extracted struct {
	job    job
	docs   []schema.Document
	chunks [][]store.IndexedChunk
	err    error
	done   bool // unchanged on disk: nothing to write
	last   bool // the file's last part (corpus files are sent in parts)
}

// Ingest loads every file under paths into collection, keying each file
// by its name relative to the path it was found under: a file given
// itself is keyed by its base name, a file inside a folder by the
// folder's name and its path below it ("docs/a/b.md"). Uploads and
// snapshot builds use it: their keys do not depend on the working
// directory. IngestUnder keys files the same way however they are named.
func (k *KB) Ingest(ctx context.Context, collection string, paths []string, p Progress) (Report, error) {
	return k.IngestUnder(ctx, collection, "", paths, p)
}

// IngestUnder loads every file under paths into collection. Files are
// extracted, chunked and analysed in parallel and written one document per
// transaction by a single writer. Every path is attempted: a missing or
// unreadable one, and a failing file, is reported and the others are still
// ingested.
//
// With root set, a file's key is its path relative to root (slashes,
// "guide/a.md"), or its absolute path when it lies outside root, so the
// same file gets the same key whether it was named by its folder, by a
// relative or by an absolute path, and re-ingesting it replaces it. A
// document stored under the key Ingest would have given (older versions
// keyed every file that way) is replaced by the file's first ingestion
// under its new key. With root empty, keys are Ingest's.
func (k *KB) IngestUnder(ctx context.Context, collection, root string, paths []string, p Progress) (Report, error) {
	if collection == "" {
		collection = k.cfg.Collection
	}
	if k.store.ReadOnly() {
		return Report{}, store.ErrReadOnly
	}
	if !config.ValidCollection(collection) {
		return Report{}, fmt.Errorf("%w: collection name %q must be 1–64 letters, digits, '_', '.' or '-'", ErrInvalid, collection)
	}
	jobs, missing, err := walkJobs(root, paths)
	if err != nil {
		return Report{}, err
	}
	var total int64
	for _, j := range jobs {
		total += j.size
	}
	if p != nil {
		p.Start(len(jobs)+len(missing), total)
	}
	defer k.invalidate()

	in := make(chan job)
	out := make(chan extracted)
	var wg sync.WaitGroup
	for range max(1, k.cfg.Ingest.Workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range in {
				k.extract(ctx, collection, j, func(ex extracted) bool {
					select {
					case out <- ex:
						return true
					case <-ctx.Done():
						return false
					}
				})
			}
		}()
	}
	go func() {
		defer close(in)
		for _, j := range jobs {
			select {
			case in <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()

	rep := Report{Files: len(jobs) + len(missing)}
	record := func(r FileResult) {
		// A document an older version stored for this file under its old
		// key goes: the file is now stored (or already was, when an older
		// version was run both ways) under its new key.
		if r.Err == nil && r.legacy != "" && r.legacy != r.Key {
			if k.replaceLegacy(ctx, collection, root, r) && r.Status == store.Added {
				r.Status = store.Replaced
				for i, s := range r.statuses {
					if s == store.Added {
						r.statuses[i] = store.Replaced
					}
				}
			}
		}
		rep.Bytes += r.Bytes
		rep.Chunks += r.Chunks
		if r.Err != nil {
			rep.Failed++
			r.Error = r.Err.Error()
		}
		for _, s := range r.statuses {
			switch s {
			case store.Added:
				rep.Added++
			case store.Replaced:
				rep.Replaced++
			case store.Unchanged:
				rep.Unchanged++
			}
		}
		if p != nil {
			p.File(r)
		}
		rep.Results = append(rep.Results, r)
	}
	for _, m := range missing {
		record(m)
	}
	partial := map[string]FileResult{}
	for ex := range out {
		// Take whatever else is ready, so small files share a transaction.
		batch := []extracted{ex}
		closed := false
	drain:
		for len(batch) < maxBatchFiles {
			select {
			case e, ok := <-out:
				if !ok {
					closed = true
					break drain
				}
				batch = append(batch, e)
			default:
				break drain
			}
		}
		for i, r := range k.writeBatch(ctx, batch) {
			// A corpus file arrives in parts; report it once, whole.
			if prev, ok := partial[r.Path]; ok {
				r.Documents += prev.Documents
				r.Chunks += prev.Chunks
				r.statuses = append(prev.statuses, r.statuses...)
				r.Err = errors.Join(prev.Err, r.Err)
				if r.Status == "" {
					r.Status = prev.Status
				}
				if r.Err != nil {
					r.Status = ""
				}
				delete(partial, r.Path)
			}
			if !batch[i].last {
				partial[r.Path] = r
				if pp, ok := p.(PartProgress); ok {
					var text int64
					for _, d := range batch[i].docs {
						text += int64(len(d.Text))
					}
					pp.Part(r.Path, len(batch[i].docs), text)
				}
				continue
			}
			record(r)
		}
		if closed {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	er, err := k.EmbedPending(ctx)
	rep.Embedded, rep.EmbeddingsCached = er.Embedded, er.Cached
	if err != nil {
		return rep, err
	}
	return rep, nil
}

// walkJobs lists the files under paths with their keys (see IngestUnder).
// A path that is missing or cannot be read becomes a failed result of its
// own; the files found elsewhere are still returned.
func walkJobs(root string, paths []string) ([]job, []FileResult, error) {
	var absRoot string
	if root != "" {
		var err error
		if absRoot, err = filepath.Abs(root); err != nil {
			return nil, nil, fmt.Errorf("ingest root %s: %w", root, err)
		}
	}
	var jobs []job
	var missing []FileResult
	seen := map[string]bool{}
	for _, arg := range paths {
		st, err := os.Stat(arg)
		if err != nil {
			if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
				err = pe.Err // the path is named with the result
			}
			missing = append(missing, FileResult{Path: arg, Err: err})
			continue
		}
		files, err := ingest.Walk([]string{arg})
		if err != nil {
			missing = append(missing, FileResult{Path: arg, Err: err})
		}
		for _, f := range files {
			legacy := filepath.Base(f)
			if st.IsDir() {
				rel, err := filepath.Rel(arg, f)
				if err != nil {
					rel = f
				}
				legacy = filepath.ToSlash(filepath.Join(filepath.Base(filepath.Clean(arg)), rel))
			}
			key := legacy
			if absRoot != "" {
				key = docKey(absRoot, f)
			} else {
				legacy = ""
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			var size int64
			if fi, err := os.Stat(f); err == nil {
				size = fi.Size()
			}
			jobs = append(jobs, job{path: f, key: key, legacy: legacy, size: size})
		}
	}
	return jobs, missing, nil
}

// docKey is the key of file under root: its slash-separated path relative
// to root, or its absolute path when it lies outside root.
func docKey(absRoot, file string) string {
	abs, err := filepath.Abs(file)
	if err != nil {
		return filepath.ToSlash(file)
	}
	rel, err := filepath.Rel(absRoot, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(rel)
}

// replaceLegacy deletes the document an older version stored for the
// file of r under its legacy key, and reports whether there was one. A
// legacy key that is itself the key of another file under root (a
// "guide.md" at the root next to "docs/guide.md") is left alone.
func (k *KB) replaceLegacy(ctx context.Context, collection, root string, r FileResult) bool {
	if root != "" {
		if fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(r.legacy))); err == nil {
			if same, err := os.Stat(r.Path); err != nil || !os.SameFile(fi, same) {
				return false
			}
		}
	}
	id := store.DocumentID(collection, r.legacy)
	info, err := k.store.DocumentInfo(ctx, id)
	if err != nil || info.Source != filepath.Base(r.Path) {
		return false
	}
	return k.store.DeleteDocument(ctx, id) == nil
}

func fileHash(path string, limit int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, limit+1)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func isCorpus(path string) bool {
	p := strings.ToLower(path)
	return strings.HasSuffix(p, ".jsonl") || strings.HasSuffix(p, ".jsonl.gz")
}

// extract loads, chunks and analyses one file (run by a worker) and
// emits it, in parts for corpus files; emit returns false when the run is
// cancelled.
func (k *KB) extract(ctx context.Context, collection string, j job, emit func(extracted) bool) {
	ex := extracted{job: j, last: true}
	defer func() {
		if r := recover(); r != nil {
			emit(extracted{job: j, last: true, err: fmt.Errorf("internal error while extracting: %v", r)})
		}
	}()
	lim := ingest.Limits{MaxFileSize: int64(k.cfg.Ingest.MaxFileSize), MaxPages: k.cfg.Ingest.MaxPages, MaxChars: k.cfg.Ingest.MaxChars}
	if !isCorpus(j.path) && j.size <= lim.MaxFileSize {
		if h, err := fileHash(j.path, lim.MaxFileSize); err == nil {
			if same, err := k.store.Unchanged(ctx, collection, j.key, h); err == nil && same {
				ex.done = true
				emit(ex)
				return
			}
		}
	}
	prepare := func(docs []schema.Document) {
		for i := range docs {
			d := &docs[i]
			d.Collection = collection
			if !isCorpus(j.path) {
				d.Key = j.key
			}
			d.Source = filepath.Base(j.path)
			d.ID = store.DocumentID(collection, d.Key)
		}
	}
	// Batches are indexed and sent on by a second goroutine, so parsing a
	// corpus overlaps indexing it (and the writer writing it).
	batches := make(chan []schema.Document, 2)
	done := make(chan struct{})
	var stopped atomic.Bool
	var panicErr error
	go func() {
		defer close(done)
		defer func() {
			// A chunker or analyzer bug costs this file, not the process.
			if r := recover(); r != nil {
				panicErr = fmt.Errorf("internal error while indexing: %v", r)
				stopped.Store(true)
				for range batches {
				}
			}
		}()
		for docs := range batches {
			if stopped.Load() {
				continue
			}
			prepare(docs)
			part := extracted{job: j, docs: docs}
			part.chunks = k.indexAll(ctx, docs)
			if !emit(part) {
				stopped.Store(true)
			}
		}
	}()
	err := ingest.StreamFile(ctx, j.path, lim, func(docs []schema.Document) bool {
		if stopped.Load() {
			return false
		}
		batches <- docs
		return true
	})
	close(batches)
	<-done
	switch {
	case panicErr != nil:
		emit(extracted{job: j, last: true, err: panicErr})
	case !stopped.Load():
		emit(extracted{job: j, last: true, err: err})
	}
}

// indexAll chunks and analyses documents, in parallel when there are many
// (a corpus file holds thousands).
func (k *KB) indexAll(ctx context.Context, docs []schema.Document) [][]store.IndexedChunk {
	out := make([][]store.IndexedChunk, len(docs))
	workers := min(k.cfg.Ingest.Workers, len(docs))
	if workers <= 1 {
		for i := range docs {
			out[i] = k.indexChunks(&docs[i])
		}
		return out
	}
	var g errgroup.Group
	g.SetLimit(workers)
	for i := range docs {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			out[i] = k.indexChunks(&docs[i])
			return nil
		})
	}
	_ = g.Wait()
	return out
}

// indexChunks chunks a document and analyses every chunk.
func (k *KB) indexChunks(d *schema.Document) []store.IndexedChunk {
	if d.Language == "" {
		sample := d.Text
		if len(sample) > 4096 {
			sample = sample[:4096]
		}
		d.Language = text.DetectLanguage(sample)
	}
	chunks := chunk.Split(d, k.chunkOpt)
	out := make([]store.IndexedChunk, len(chunks))
	for i, c := range chunks {
		parts := []string{d.Title}
		for _, h := range c.Headings {
			if h != d.Title {
				parts = append(parts, h)
			}
		}
		title := strings.Join(parts, " ")
		out[i] = store.IndexedChunk{Chunk: c, Terms: k.analyzer.Terms(c.Text), TitleTerms: k.analyzer.Terms(title)}
	}
	return out
}

// Write batching: documents are grouped into transactions of at most
// maxBatchDocs documents or maxBatchBytes of text. Each document is always
// written whole inside one transaction.
const (
	maxBatchFiles = 64
	maxBatchDocs  = 256
	maxBatchBytes = 8 << 20
)

// writeBatch stores the documents of several extracted files (run by the
// single writer). When a group fails, its documents are retried one by one
// so the failure is pinned on the file it belongs to.
func (k *KB) writeBatch(ctx context.Context, batch []extracted) []FileResult {
	results := make([]FileResult, len(batch))
	type ref struct{ file, doc int }
	var group []store.DocumentChunks
	var refs []ref
	var bytes int
	flush := func() {
		if len(group) == 0 {
			return
		}
		statuses, err := k.store.PutDocuments(ctx, group)
		for i, rf := range refs {
			r := &results[rf.file]
			st := store.PutStatus("")
			if err != nil {
				st, err = k.store.PutDocument(ctx, group[i].Doc, group[i].Chunks)
				if err != nil {
					r.Err = errors.Join(r.Err, err)
					continue
				}
			} else {
				st = statuses[i]
			}
			r.Documents++
			r.Chunks += len(group[i].Chunks)
			r.statuses = append(r.statuses, st)
			r.Status = st
		}
		group, refs, bytes = group[:0], refs[:0], 0
	}
	for fi, ex := range batch {
		r := &results[fi]
		*r = FileResult{Path: ex.job.path, Key: ex.job.key, Bytes: ex.job.size, Err: ex.err, legacy: ex.job.legacy}
		if ex.done {
			r.Status = store.Unchanged
			r.statuses = []store.PutStatus{store.Unchanged}
			continue
		}
		for di, d := range ex.docs {
			if len(group) >= maxBatchDocs || bytes >= maxBatchBytes {
				flush()
			}
			group = append(group, store.DocumentChunks{Doc: d, Chunks: ex.chunks[di]})
			refs = append(refs, ref{fi, di})
			bytes += len(d.Text)
		}
	}
	flush()
	for i := range results {
		if results[i].Err != nil {
			results[i].Status = ""
		}
	}
	return results
}

// PutDocuments stores already-extracted documents (e.g. an evaluation
// corpus) into collection, chunking and analysing them like files.
func (k *KB) PutDocuments(ctx context.Context, collection string, docs []schema.Document) error {
	if k.store.ReadOnly() {
		return store.ErrReadOnly
	}
	defer k.invalidate()
	prepared := make([]schema.Document, len(docs))
	for i, d := range docs {
		d.Collection = collection
		d.ID = store.DocumentID(collection, d.Key)
		if d.Type == "" {
			d.Type = "text"
		}
		prepared[i] = d
	}
	ex := extracted{job: job{path: collection, key: collection}, docs: prepared, last: true}
	ex.chunks = k.indexAll(ctx, prepared)
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, r := range k.writeBatch(ctx, []extracted{ex}) {
		if r.Err != nil {
			return r.Err
		}
	}
	_, err := k.EmbedPending(ctx)
	return err
}
