package kb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

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
	Counts    map[string]int  `json:"counts,omitempty"`
	Docs      []store.DocInfo `json:"-"`
	statuses  []store.PutStatus
}

// Progress receives ingestion events; calls come from one goroutine.
type Progress interface {
	Start(files int, bytes int64)
	File(r FileResult)
}

// Report summarises an ingestion run.
type Report struct {
	Files     int          `json:"files"`
	Failed    int          `json:"failed"`
	Added     int          `json:"added"`
	Replaced  int          `json:"replaced"`
	Unchanged int          `json:"unchanged"`
	Chunks    int          `json:"chunks"`
	Bytes     int64        `json:"bytes"`
	Results   []FileResult `json:"results"`
}

type job struct {
	path, key string
	size      int64
}

type extracted struct {
	job    job
	docs   []schema.Document
	chunks [][]store.IndexedChunk
	err    error
	done   bool // unchanged on disk: nothing to write
}

// Ingest loads every file under paths into collection. Files are
// extracted, chunked and analysed in parallel and written one document per
// transaction by a single writer. A failing file is reported and the
// others are still ingested.
func (k *KB) Ingest(ctx context.Context, collection string, paths []string, p Progress) (Report, error) {
	if collection == "" {
		collection = k.cfg.Collection
	}
	if !config.ValidCollection(collection) {
		return Report{}, fmt.Errorf("%w: collection name %q must be 1–64 letters, digits, '_', '.' or '-'", ErrInvalid, collection)
	}
	jobs, err := walkJobs(paths)
	if err != nil {
		return Report{}, err
	}
	var total int64
	for _, j := range jobs {
		total += j.size
	}
	if p != nil {
		p.Start(len(jobs), total)
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
				select {
				case out <- k.extract(ctx, collection, j):
				case <-ctx.Done():
					return
				}
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

	rep := Report{Files: len(jobs)}
	for ex := range out {
		r := k.write(ctx, collection, ex)
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
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	return rep, nil
}

func walkJobs(paths []string) ([]job, error) {
	var jobs []job
	seen := map[string]bool{}
	for _, root := range paths {
		st, err := os.Stat(root)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", root, err)
		}
		files, err := ingest.Walk([]string{root})
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			key := filepath.Base(f)
			if st.IsDir() {
				rel, err := filepath.Rel(root, f)
				if err != nil {
					rel = f
				}
				key = filepath.ToSlash(filepath.Join(filepath.Base(filepath.Clean(root)), rel))
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			var size int64
			if fi, err := os.Stat(f); err == nil {
				size = fi.Size()
			}
			jobs = append(jobs, job{path: f, key: key, size: size})
		}
	}
	return jobs, nil
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

// extract loads, chunks and analyses one file (run by a worker).
func (k *KB) extract(ctx context.Context, collection string, j job) (ex extracted) {
	ex.job = j
	defer func() {
		if r := recover(); r != nil {
			ex.err = fmt.Errorf("internal error while extracting: %v", r)
		}
	}()
	lim := ingest.Limits{MaxFileSize: int64(k.cfg.Ingest.MaxFileSize), MaxPages: k.cfg.Ingest.MaxPages, MaxChars: k.cfg.Ingest.MaxChars}
	if !isCorpus(j.path) && j.size <= lim.MaxFileSize {
		if h, err := fileHash(j.path, lim.MaxFileSize); err == nil {
			if same, err := k.store.Unchanged(ctx, collection, j.key, h); err == nil && same {
				ex.done = true
				return ex
			}
		}
	}
	docs, err := ingest.LoadFile(ctx, j.path, lim)
	ex.err = err
	for i := range docs {
		d := &docs[i]
		d.Collection = collection
		if !isCorpus(j.path) {
			d.Key = j.key
		}
		d.Source = filepath.Base(j.path)
		d.ID = store.DocumentID(collection, d.Key)
		ex.docs = append(ex.docs, *d)
		ex.chunks = append(ex.chunks, k.indexChunks(d))
	}
	return ex
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

// write stores one file's documents (run by the single writer).
func (k *KB) write(ctx context.Context, collection string, ex extracted) FileResult {
	r := FileResult{Path: ex.job.path, Key: ex.job.key, Bytes: ex.job.size}
	if ex.done {
		r.Status = store.Unchanged
		r.statuses = []store.PutStatus{store.Unchanged}
		return r
	}
	for i, d := range ex.docs {
		st, err := k.store.PutDocument(ctx, d, ex.chunks[i])
		if err != nil {
			r.Err = errors.Join(ex.err, err)
			return r
		}
		r.Documents++
		r.Chunks += len(ex.chunks[i])
		r.statuses = append(r.statuses, st)
		r.Status = st
	}
	r.Err = ex.err
	if r.Err != nil {
		r.Status = ""
	}
	return r
}

// PutDocuments stores already-extracted documents (e.g. an evaluation
// corpus) into collection, chunking and analysing them like files.
func (k *KB) PutDocuments(ctx context.Context, collection string, docs []schema.Document) error {
	defer k.invalidate()
	type item struct {
		doc    schema.Document
		chunks []store.IndexedChunk
	}
	in := make(chan int)
	out := make(chan item, 64)
	var wg sync.WaitGroup
	for range max(1, k.cfg.Ingest.Workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range in {
				d := docs[i]
				d.Collection = collection
				d.ID = store.DocumentID(collection, d.Key)
				if d.Type == "" {
					d.Type = "text"
				}
				out <- item{d, k.indexChunks(&d)}
			}
		}()
	}
	go func() {
		defer close(in)
		for i := range docs {
			select {
			case in <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()
	var firstErr error
	for it := range out {
		if firstErr != nil {
			continue
		}
		if _, err := k.store.PutDocument(ctx, it.doc, it.chunks); err != nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}
