package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ragline/ragline/internal/schema"
)

// defaultBEIRSplit is the qrels split BEIR reports figures on.
const defaultBEIRSplit = "test"

// splitBEIRSpec separates "DIR[:split]". The last colon starts a split
// only when what follows it is a plain name, so a directory path that
// itself contains a colon still works when no split is given.
func splitBEIRSpec(rest string) (dir, split string) {
	i := strings.LastIndex(rest, ":")
	if i < 0 {
		return rest, defaultBEIRSplit
	}
	name := rest[i+1:]
	if name == "" || strings.ContainsAny(name, `/\`) {
		return rest, defaultBEIRSplit
	}
	return rest[:i], name
}

// loadBEIR reads a dataset in the BEIR layout. Queries without a qrels row
// of positive score are dropped, as BEIR's own loader does.
func loadBEIR(dir, split string) (*Dataset, error) {
	corpusPath, err := findBEIRCorpus(dir)
	if err != nil {
		return nil, err
	}
	corpus, err := readFile(corpusPath, func(r io.Reader) ([]schema.Document, error) {
		return parseBEIRCorpus(r, corpusPath)
	})
	if err != nil {
		return nil, err
	}
	queriesPath := filepath.Join(dir, "queries.jsonl")
	queries, err := readFile(queriesPath, func(r io.Reader) ([]Query, error) {
		return parseBEIRQueries(r, queriesPath)
	})
	if err != nil {
		return nil, err
	}
	qrelsPath := filepath.Join(dir, "qrels", split+".tsv")
	qrels, err := readFile(qrelsPath, func(r io.Reader) (map[string]map[string]int, error) {
		return parseBEIRQrels(r, qrelsPath, queries)
	})
	if err != nil {
		return nil, err
	}
	kept := queries[:0]
	for _, q := range queries {
		if rel := qrels[q.ID]; len(rel) > 0 {
			q.Relevant = rel
			kept = append(kept, q)
		}
	}
	return &Dataset{
		Name:    "beir:" + filepath.Base(filepath.Clean(dir)) + ":" + split,
		Corpus:  corpus,
		Queries: kept,
	}, nil
}

// findBEIRCorpus prefers an uncompressed corpus.jsonl and falls back to
// corpus.jsonl.gz.
func findBEIRCorpus(dir string) (string, error) {
	plain := filepath.Join(dir, "corpus.jsonl")
	if _, err := os.Stat(plain); err == nil {
		return plain, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	gz := plain + ".gz"
	if _, err := os.Stat(gz); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s: neither corpus.jsonl nor corpus.jsonl.gz: %w", dir, fs.ErrNotExist)
		}
		return "", err
	}
	return gz, nil
}

// readFile opens name (decompressing .gz) and hands it to parse.
func readFile[T any](name string, parse func(io.Reader) (T, error)) (T, error) {
	f, err := openFile(name)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	return parse(f)
}

// beirRecord is one line of a BEIR corpus or queries file.
type beirRecord struct {
	ID       json.RawMessage            `json:"_id"`
	Title    string                     `json:"title"`
	Text     string                     `json:"text"`
	Metadata map[string]json.RawMessage `json:"metadata"`
}

// eachBEIRRecord calls fn for every record of a BEIR JSONL file with its
// unique id; kind names the record ("document", "query") in messages.
func eachBEIRRecord(r io.Reader, name, kind string, fn func(id string, rec beirRecord)) error {
	lr := newLineReader(r, name)
	seen := make(map[string]bool)
	for lr.next() {
		line := bytes.TrimSpace(lr.bytes())
		if len(line) == 0 {
			continue
		}
		var rec beirRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			return lineError(name, lr.line, "invalid JSON: %v", err)
		}
		id, err := beirID(rec.ID)
		if err != nil {
			return lineError(name, lr.line, "%v", err)
		}
		if seen[id] {
			return lineError(name, lr.line, "duplicate %s id %q", kind, id)
		}
		seen[id] = true
		fn(id, rec)
	}
	return lr.err()
}

// parseBEIRCorpus reads BEIR corpus JSONL. Blank lines are skipped;
// document ids must be unique.
func parseBEIRCorpus(r io.Reader, name string) ([]schema.Document, error) {
	source := filepath.Base(name)
	var docs []schema.Document
	err := eachBEIRRecord(r, name, "document", func(id string, rec beirRecord) {
		docs = append(docs, newDocument(id, source, rec.Title, rec.Text, "", beirMetadata(rec.Metadata)))
	})
	if err != nil {
		return nil, err
	}
	return docs, nil
}

// parseBEIRQueries reads BEIR queries JSONL in file order.
func parseBEIRQueries(r io.Reader, name string) ([]Query, error) {
	var queries []Query
	err := eachBEIRRecord(r, name, "query", func(id string, rec beirRecord) {
		queries = append(queries, Query{ID: id, Text: rec.Text})
	})
	if err != nil {
		return nil, err
	}
	return queries, nil
}

// parseBEIRQrels reads a BEIR qrels TSV ("query-id corpus-id score", with
// an optional header line) and returns the positive grades per query.
// Every query id must occur in queries, as BEIR's loader requires; a
// corpus id need not be in the corpus, and such documents still count as
// relevant, as they do in pytrec_eval.
func parseBEIRQrels(r io.Reader, name string, queries []Query) (map[string]map[string]int, error) {
	known := make(map[string]bool, len(queries))
	for _, q := range queries {
		known[q.ID] = true
	}
	lr := newLineReader(r, name)
	qrels := make(map[string]map[string]int)
	for lr.next() {
		line := strings.TrimSpace(string(lr.bytes()))
		if line == "" {
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) != 3 {
			fields = strings.Fields(line)
		}
		if len(fields) != 3 {
			return nil, lineError(name, lr.line, "want 3 fields (query-id, corpus-id, score), got %d", len(fields))
		}
		qid, did := strings.TrimSpace(fields[0]), strings.TrimSpace(fields[1])
		score, err := strconv.Atoi(strings.TrimSpace(fields[2]))
		if err != nil {
			if lr.line == 1 {
				continue // header
			}
			return nil, lineError(name, lr.line, "score %q is not an integer", fields[2])
		}
		if qid == "" || did == "" {
			return nil, lineError(name, lr.line, "empty query or corpus id")
		}
		if !known[qid] {
			return nil, lineError(name, lr.line, "query %q is not in the queries file", qid)
		}
		if score <= 0 {
			continue
		}
		rel := qrels[qid]
		if rel == nil {
			rel = make(map[string]int)
			qrels[qid] = rel
		}
		rel[did] = score
	}
	return qrels, lr.err()
}

// beirID decodes an "_id" that is a JSON string or, in some exports, a
// number.
func beirID(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", errors.New(`missing "_id"`)
	}
	var id string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &id); err != nil {
			return "", fmt.Errorf(`"_id": %v`, err)
		}
	} else {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", fmt.Errorf(`"_id" must be a string or number, got %s`, raw)
		}
		id = n.String()
	}
	if id == "" {
		return "", errors.New(`empty "_id"`)
	}
	return id, nil
}

// beirMetadata flattens BEIR metadata into strings: string values as they
// are, anything else as compact JSON.
func beirMetadata(m map[string]json.RawMessage) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, raw := range m {
		var s string
		if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
			out[k] = s
			continue
		}
		var buf bytes.Buffer
		if json.Compact(&buf, raw) == nil {
			out[k] = buf.String()
		} else {
			out[k] = string(raw)
		}
	}
	return out
}
