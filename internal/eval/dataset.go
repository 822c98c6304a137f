package eval

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ragline/ragline/internal/schema"
)

// ErrUnknownScheme is returned by Open when a spec names no known dataset
// format.
var ErrUnknownScheme = errors.New("unknown dataset scheme")

// Dataset is a retrieval/QA evaluation set: a corpus and queries with
// graded relevance.
type Dataset struct {
	// Name identifies the set in reports, e.g. "beir:scifact:train",
	// "cranfield", "cmrc".
	Name string
	// Corpus holds one document per dataset document, in file order. Key
	// is the dataset's document id, Source the corpus file's base name,
	// Title the document title (not prepended to Text), Type "text", Size
	// the byte length of Text and Hash the hex sha256 of Key, Title and
	// Text joined by NUL bytes. Language is "en" for Cranfield, "zh" for
	// CMRC and unset for BEIR, whose layout does not say. ID and
	// Collection are left for the store to assign, and Blocks nil so the
	// ingest path decides how to structure the text.
	Corpus []schema.Document
	// CorpusPaths are files and folders to ingest as the corpus, for sets
	// whose corpus is a folder of documents (a ragline golden set) rather
	// than records in Corpus.
	CorpusPaths []string
	// Queries are kept in file order. For the public sets only queries with
	// at least one relevant document are included.
	Queries []Query
}

// Query is one evaluation question with its relevance judgements.
type Query struct {
	// ID is the dataset's query id (for Cranfield, the qrels number).
	ID string
	// Text is the question as the dataset states it.
	Text string
	// Relevant maps a document Key to its graded relevance. Only grades
	// above zero are stored, so len(Relevant) is the number of relevant
	// documents.
	Relevant map[string]int
	// Answers are the reference answers when the dataset has them (CMRC,
	// golden sets). An empty list on a golden-set question means the
	// corpus does not answer it.
	Answers []string
	// Passages are reference passages that a good answer cites.
	Passages []string
	// Tags group questions in reports ("zh", "pdf", "no_answer").
	Tags []string
}

// Open parses spec and loads the dataset it names. Paths are used as
// given, so relative paths resolve against the working directory.
//
//	beir:DIR[:split]     BEIR layout: DIR/corpus.jsonl (or corpus.jsonl.gz),
//	                     DIR/queries.jsonl and DIR/qrels/<split>.tsv; split
//	                     defaults to "test"
//	cranfield:DIR        DIR/cran.all.1400, DIR/cran.qry and DIR/cranqrel
//	cmrc:FILE[,FILE...]  CMRC 2018 JSON; the passages of all files form the
//	                     corpus, the questions of the first file the queries
//	FILE.jsonl           a ragline golden set (also golden:FILE.jsonl); its
//	                     corpus is named by the sidecar dataset.yaml
//
// Parse errors name the file and line (and column for JSON files, which
// are often a single line). A spec with an unknown scheme
// returns an error wrapping ErrUnknownScheme; missing files return errors
// wrapping fs.ErrNotExist.
func Open(spec string) (*Dataset, error) {
	if strings.HasSuffix(spec, ".jsonl") && !strings.HasPrefix(spec, "beir:") {
		return loadGolden(strings.TrimPrefix(spec, "golden:"))
	}
	scheme, rest, ok := strings.Cut(spec, ":")
	if !ok || rest == "" {
		return nil, fmt.Errorf("dataset spec %q: want SCHEME:PATH (beir, cranfield, cmrc or golden) or a golden set FILE.jsonl", spec)
	}
	switch scheme {
	case "beir":
		dir, split := splitBEIRSpec(rest)
		return loadBEIR(dir, split)
	case "cranfield":
		return loadCranfield(rest)
	case "cmrc":
		return loadCMRC(strings.Split(rest, ","))
	case "golden":
		return loadGolden(rest)
	default:
		return nil, fmt.Errorf("dataset spec %q: %w %q (want beir, cranfield, cmrc or golden)", spec, ErrUnknownScheme, scheme)
	}
}

// newDocument builds a corpus entry with the fields every format shares.
func newDocument(key, source, title, text, language string, metadata map[string]string) schema.Document {
	sum := sha256.Sum256([]byte(key + "\x00" + title + "\x00" + text))
	return schema.Document{
		Key:      key,
		Source:   source,
		Title:    title,
		Type:     "text",
		Language: language,
		Text:     text,
		Hash:     hex.EncodeToString(sum[:]),
		Size:     int64(len(text)),
		Metadata: metadata,
	}
}

// lineError formats a parse error the way editors and compilers do, so a
// user can jump to the offending line.
func lineError(file string, line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", file, line, fmt.Sprintf(format, args...))
}

// maxLineBytes bounds one line of a line-oriented dataset file. Corpus
// records can be long (full abstracts or articles on one line).
const maxLineBytes = 64 << 20

// lineReader reads text line by line, counting lines for error messages.
type lineReader struct {
	name string
	sc   *bufio.Scanner
	line int
}

// newLineReader reads r, naming it name in errors.
func newLineReader(r io.Reader, name string) *lineReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), maxLineBytes)
	return &lineReader{name: name, sc: sc}
}

// next advances to the next line and reports whether there is one.
func (lr *lineReader) next() bool {
	if lr.sc.Scan() {
		lr.line++
		return true
	}
	return false
}

// bytes returns the current line without its line ending. The slice is
// only valid until the next call to next.
func (lr *lineReader) bytes() []byte {
	b := lr.sc.Bytes()
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// err reports a read error, located at the line after the last good one.
func (lr *lineReader) err() error {
	if err := lr.sc.Err(); err != nil {
		return lineError(lr.name, lr.line+1, "read: %v", err)
	}
	return nil
}

// openFile opens name for reading, decompressing it when it ends in .gz.
func openFile(name string) (io.ReadCloser, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(name, ".gz") {
		return f, nil
	}
	gz, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return gzipFile{gz, f}, nil
}

// gzipFile closes both the decompressor and the file under it.
type gzipFile struct {
	*gzip.Reader
	file *os.File
}

// Close releases the decompressor and the file.
func (g gzipFile) Close() error {
	g.Reader.Close()
	return g.file.Close()
}
