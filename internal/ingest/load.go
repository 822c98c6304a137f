package ingest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ragline/ragline/internal/schema"
)

// LoadFile reads the file at path and returns its documents: one for most
// formats, one per record for a BEIR JSONL corpus. Each document's Key is
// path as given (a JSONL record's Key is its _id), Source is the base name,
// and Hash is the hex sha256 of the file (of the record's line for JSONL).
// ID, Collection and Language are left for the caller.
//
// The size limit is checked with os.Stat before anything is read, so a
// huge file is refused without being read. Every error names the file and
// wraps one of the package's sentinel errors, except I/O errors from the
// operating system and the context's error.
//
// For JSONL the result may hold documents together with an error: the
// good records are returned and the error names the first bad line and
// how many lines were bad. For every other format documents and error are
// never both set.
//
// LoadFile is safe for concurrent use. PDFs share one parser instance, so
// concurrent PDF loads wait for each other.
func LoadFile(ctx context.Context, path string, lim Limits) ([]schema.Document, error) {
	lim = lim.withDefaults()
	data, err := readFile(path, lim)
	if err != nil {
		return nil, err
	}
	return load(ctx, path, data, lim, nil)
}

// StreamFile does what LoadFile does but hands documents to sink as they
// are extracted: a JSONL corpus arrives in batches of StreamBatch records
// while the rest is still being parsed, so extraction overlaps the
// caller's work and memory stays bounded; any other format arrives as one
// batch. sink returns false to stop early. The error is LoadFile's; for
// JSONL some batches may have been delivered before it.
func StreamFile(ctx context.Context, path string, lim Limits, sink func([]schema.Document) bool) error {
	lim = lim.withDefaults()
	if docs, ok, err := streamCorpus(ctx, path, lim, sink); ok {
		if len(docs) > 0 {
			sink(docs)
		}
		return err
	}
	data, err := readFile(path, lim)
	if err != nil {
		return err
	}
	docs, err := load(ctx, path, data, lim, sink)
	if len(docs) > 0 {
		sink(docs)
	}
	return err
}

// streamCorpus streams a JSONL corpus file from disk straight into sink.
// A corpus is read a line at a time, so unlike a document it is not bound
// by MaxFileSize (nor its decompressed size by four times that); each
// record still is, by MaxChars. ok is false when path is not a JSONL
// corpus (or cannot be read), for the ordinary path to handle.
func streamCorpus(ctx context.Context, path string, lim Limits, sink func([]schema.Document) bool) (docs []schema.Document, ok bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, nil
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 {
		return nil, false, nil
	}
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(SniffLen)
	if typ, err := Detect(path, head); err != nil || typ != TypeJSONL {
		return nil, false, nil
	}
	defer func() {
		if r := recover(); r != nil {
			docs, err = nil, fmt.Errorf("%s: %w: %s parser panic: %v", path, ErrCorrupt, TypeJSONL, r)
		}
	}()
	docs, err = readJSONL(ctx, path, br, 0, lim, sink)
	return docs, true, err
}

// StreamBatch is how many JSONL records StreamFile delivers at a time.
const StreamBatch = 256

// readFile checks the limits and reads a file whole.
func readFile(path string, lim Limits) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w: not a regular file", path, ErrUnsupportedType)
	}
	if fi.Size() > lim.MaxFileSize {
		return nil, fmt.Errorf("%s: %w: %d bytes, limit %d", path, ErrTooLarge, fi.Size(), lim.MaxFileSize)
	}
	if fi.Size() == 0 {
		return nil, fmt.Errorf("%s: %w: empty file", path, ErrNoText)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The file may have grown since Stat; never read past the limit.
	data, err := io.ReadAll(io.LimitReader(f, lim.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// Load does what LoadFile does for content already in memory; name stands
// for the path (it becomes Key, and its base name Source) and its extension
// takes part in type detection.
func Load(ctx context.Context, name string, data []byte, lim Limits) ([]schema.Document, error) {
	return load(ctx, name, data, lim.withDefaults(), nil)
}

// load extracts the documents of data; with a sink, JSONL records are
// delivered to it in batches and only the undelivered rest is returned.
func load(ctx context.Context, name string, data []byte, lim Limits, sink func([]schema.Document) bool) (docs []schema.Document, err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(data)) > lim.MaxFileSize {
		return nil, fmt.Errorf("%s: %w: %d bytes, limit %d", name, ErrTooLarge, len(data), lim.MaxFileSize)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%s: %w: empty file", name, ErrNoText)
	}
	typ, err := Detect(name, data[:min(len(data), SniffLen)])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer func() {
		// A parser bug must cost one file, never the process.
		if r := recover(); r != nil {
			docs, err = nil, fmt.Errorf("%s: %w: %s parser panic: %v", name, ErrCorrupt, typ, r)
		}
	}()
	if typ == TypeJSONL {
		return loadJSONL(ctx, name, data, lim, sink)
	}
	doc, err := loadOne(ctx, typ, name, data, lim)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	sum := sha256.Sum256(data)
	doc.Key = name
	doc.Source = filepath.Base(name)
	doc.Type = typ
	doc.Hash = hex.EncodeToString(sum[:])
	doc.Size = int64(len(data))
	return []schema.Document{doc}, nil
}

// loadOne extracts the single document of a non-corpus format.
func loadOne(ctx context.Context, typ, name string, data []byte, lim Limits) (schema.Document, error) {
	switch typ {
	case TypePDF:
		return loadPDF(ctx, data, lim)
	case TypeDOCX:
		return loadDOCX(ctx, data, lim)
	case TypeHTML:
		return loadHTML(ctx, data, lim)
	case TypeMarkdown:
		return loadMarkdown(ctx, data, lim)
	case TypeCSV:
		return loadCSV(ctx, name, data, lim)
	case TypeText:
		return loadText(ctx, data, lim)
	}
	return schema.Document{}, fmt.Errorf("%w: %s", ErrUnsupportedType, typ)
}
