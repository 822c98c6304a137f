package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"

	"github.com/ragline/ragline/internal/schema"
)

// beirRecord is one line of a BEIR corpus.jsonl.
type beirRecord struct {
	ID       json.RawMessage            `json:"_id"`
	AltID    json.RawMessage            `json:"id"`
	Title    string                     `json:"title"`
	Text     string                     `json:"text"`
	Metadata map[string]json.RawMessage `json:"metadata"`
}

// loadJSONL reads a BEIR corpus (optionally gzip-compressed): one document
// per line {"_id", "title", "text", "metadata"}, with "id" accepted when
// "_id" is missing. A bad line does not lose the good ones: the documents
// read are returned together with an error naming the first bad line and
// the number of bad lines.
func loadJSONL(ctx context.Context, name string, data []byte, lim Limits, sink func([]schema.Document) bool) ([]schema.Document, error) {
	return readJSONL(ctx, name, bufio.NewReader(bytes.NewReader(data)), lim.maxGunzipped(), lim, sink)
}

// readJSONL is loadJSONL over a reader; maxUnpacked bounds the bytes read
// out of a gzip stream (0: unbounded, for a corpus streamed from disk,
// whose memory use is bounded by a line and a batch, not by the file).
func readJSONL(ctx context.Context, name string, in *bufio.Reader, maxUnpacked int64, lim Limits, sink func([]schema.Document) bool) ([]schema.Document, error) {
	var src io.Reader = in
	if head, _ := in.Peek(len(magicGzip)); bytes.Equal(head, magicGzip) {
		zr, err := gzip.NewReader(in)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: gzip: %v", name, ErrCorrupt, err)
		}
		defer zr.Close()
		src = zr
	}
	if maxUnpacked <= 0 {
		maxUnpacked = math.MaxInt64 - 1
	}
	cr := &countingReader{r: src}
	br := bufio.NewReaderSize(io.LimitReader(cr, maxUnpacked+1), 64<<10)
	// A line holds at most MaxChars characters of text plus JSON escapes.
	maxLine := 4*lim.MaxChars + 1024

	var (
		docs     []schema.Document
		seen     = map[string]bool{}
		firstBad error
		bad      int
		total    int
		source   = filepath.Base(name)
	)
	fail := func(lineNo int, err error) {
		bad++
		if firstBad == nil {
			firstBad = fmt.Errorf("%s:%d: %w", name, lineNo, err)
		}
	}
	for lineNo := 1; ; lineNo++ {
		if lineNo%256 == 0 {
			if err := ctx.Err(); err != nil {
				return docs, fmt.Errorf("%s: %w", name, err)
			}
		}
		line, tooLong, err := readLine(br, maxLine)
		if err != nil && !errors.Is(err, io.EOF) {
			return docs, fmt.Errorf("%s: %w: gzip: %v at line %d", name, ErrCorrupt, err, lineNo)
		}
		if cr.n > maxUnpacked {
			return docs, fmt.Errorf("%s: %w: decompressed content over %d bytes", name, ErrTooLarge, maxUnpacked)
		}
		switch {
		case tooLong:
			fail(lineNo, fmt.Errorf("%w: line over %d bytes", ErrTooLarge, maxLine))
		case len(bytes.TrimSpace(line)) > 0:
			doc, err := jsonlDocument(line, lim)
			switch {
			case err != nil:
				fail(lineNo, err)
			case seen[doc.Key]:
				fail(lineNo, fmt.Errorf("%w: duplicate _id %q", ErrCorrupt, doc.Key))
			default:
				seen[doc.Key] = true
				doc.Source = source
				docs = append(docs, doc)
				total++
				if sink != nil && len(docs) == StreamBatch {
					if !sink(docs) {
						return nil, fmt.Errorf("%s: %w", name, context.Canceled)
					}
					docs = nil
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	switch {
	case firstBad != nil && bad > 1:
		return docs, fmt.Errorf("%w (%d bad lines in all)", firstBad, bad)
	case firstBad != nil:
		return docs, firstBad
	case total == 0:
		return nil, fmt.Errorf("%s: %w: no records", name, ErrNoText)
	}
	return docs, nil
}

// jsonlDocument builds the document of one corpus line: the title as a
// level-1 heading followed by the text split into paragraphs.
func jsonlDocument(line []byte, lim Limits) (schema.Document, error) {
	var rec beirRecord
	if err := json.Unmarshal(line, &rec); err != nil {
		return schema.Document{}, fmt.Errorf("%w: invalid json: %v", ErrCorrupt, err)
	}
	id := jsonID(rec.ID)
	if id == "" {
		id = jsonID(rec.AltID)
	}
	if id == "" {
		return schema.Document{}, fmt.Errorf("%w: record without _id", ErrCorrupt)
	}
	b := newBuilder(lim.MaxChars)
	title := collapseSpace(cleanText(rec.Title))
	b.heading(1, title, 0)
	for _, para := range splitParagraphs(cleanText(rec.Text)) {
		b.paragraph(schema.BlockParagraph, para, 0)
	}
	doc, err := b.document()
	if err != nil {
		return doc, fmt.Errorf("record %q: %w", id, err)
	}
	sum := sha256.Sum256(line)
	doc.Key = id
	doc.Type = TypeJSONL
	doc.Title = title
	doc.Hash = hex.EncodeToString(sum[:])
	doc.Size = int64(len(line))
	if len(rec.Metadata) > 0 {
		doc.Metadata = make(map[string]string, len(rec.Metadata))
		for k, v := range rec.Metadata {
			var s string
			if json.Unmarshal(v, &s) != nil {
				s = string(v) // numbers, objects and arrays keep their JSON form
			}
			doc.Metadata[k] = cleanText(s)
		}
	}
	return doc, nil
}

// jsonID returns a string or number id as text, "" when absent or of
// another type.
func jsonID(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return cleanText(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if _, err := strconv.ParseFloat(n.String(), 64); err == nil {
			return n.String()
		}
	}
	return ""
}

// readLine returns the next line without its line end. A line longer than
// max is skipped through its end and reported as tooLong rather than held
// in memory. At the end of input it returns the last line and io.EOF.
func readLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > max {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		buf = bytes.TrimRight(buf, "\r\n")
		return buf, tooLong, err
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
