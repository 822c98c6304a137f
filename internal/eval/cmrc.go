package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ragline/ragline/internal/schema"
)

// loadCMRC reads CMRC 2018 files: a JSON array of passages, each with its
// questions. Every passage of every file joins the corpus (later files
// act as distractors); the questions of the first file are the queries,
// each relevant only to its own passage.
func loadCMRC(files []string) (*Dataset, error) {
	seen := make(map[string]bool)
	var corpus []schema.Document
	var queries []Query
	for i, name := range files {
		if name == "" {
			return nil, fmt.Errorf("cmrc: empty file name in list")
		}
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		docs, qs, err := parseCMRC(data, name, seen)
		if err != nil {
			return nil, err
		}
		corpus = append(corpus, docs...)
		if i == 0 {
			queries = qs
		}
	}
	return &Dataset{Name: "cmrc", Corpus: corpus, Queries: queries}, nil
}

// cmrcPassage is one element of a CMRC 2018 file.
type cmrcPassage struct {
	ID    string `json:"context_id"`
	Title string `json:"title"`
	Text  string `json:"context_text"`
	QAs   []struct {
		ID      string            `json:"query_id"`
		Text    string            `json:"query_text"`
		Answers []json.RawMessage `json:"answers"`
	} `json:"qas"`
}

// parseCMRC decodes one CMRC file held in data. seen holds the passage ids
// of files read before, so ids stay unique across the corpus.
func parseCMRC(data []byte, name string, seen map[string]bool) ([]schema.Document, []Query, error) {
	source := filepath.Base(name)
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, jsonError(data, name, dec.InputOffset(), err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, nil, posError(data, name, skipJSONSpace(data, 0), "want a JSON array of passages")
	}
	var (
		docs    []schema.Document
		queries []Query
		qseen   = make(map[string]bool)
	)
	for dec.More() {
		start := skipJSONSpace(data, dec.InputOffset())
		var p cmrcPassage
		if err := dec.Decode(&p); err != nil {
			return nil, nil, jsonError(data, name, start, err)
		}
		if p.ID == "" {
			return nil, nil, posError(data, name, start, `passage without "context_id"`)
		}
		if seen[p.ID] {
			return nil, nil, posError(data, name, start, "duplicate passage id %q", p.ID)
		}
		seen[p.ID] = true
		docs = append(docs, newDocument(p.ID, source, p.Title, p.Text, "zh", nil))
		for _, qa := range p.QAs {
			if qa.ID == "" {
				return nil, nil, posError(data, name, start, `question without "query_id" in passage %q`, p.ID)
			}
			if qseen[qa.ID] {
				return nil, nil, posError(data, name, start, "duplicate query id %q", qa.ID)
			}
			qseen[qa.ID] = true
			answers, err := cmrcAnswers(qa.Answers)
			if err != nil {
				return nil, nil, posError(data, name, start, "query %q: %v", qa.ID, err)
			}
			queries = append(queries, Query{
				ID:       qa.ID,
				Text:     qa.Text,
				Relevant: map[string]int{p.ID: 1},
				Answers:  answers,
			})
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, jsonError(data, name, dec.InputOffset(), err)
	}
	return docs, queries, nil
}

// cmrcAnswers decodes answers given as strings or as SQuAD-style objects
// with a "text" field. A few answers in the CMRC 2018 dev file are bare
// numbers (spreadsheet conversions such as 39764.0 for a date); they are
// kept as written so that scoring matches the official script, which
// compares str(answer).
func cmrcAnswers(raws []json.RawMessage) ([]string, error) {
	answers := make([]string, 0, len(raws))
	for i, raw := range raws {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			return nil, fmt.Errorf("answer %d is empty", i+1)
		}
		switch raw[0] {
		case '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, fmt.Errorf("answer %d: %v", i+1, err)
			}
			answers = append(answers, s)
		case '{':
			var obj struct {
				Text *string `json:"text"`
			}
			if err := json.Unmarshal(raw, &obj); err != nil {
				return nil, fmt.Errorf("answer %d: %v", i+1, err)
			}
			if obj.Text == nil {
				return nil, fmt.Errorf(`answer %d: object without a string "text"`, i+1)
			}
			answers = append(answers, *obj.Text)
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			answers = append(answers, string(raw))
		default:
			return nil, fmt.Errorf("answer %d: want a string, number or object with \"text\", got %.40s", i+1, raw)
		}
	}
	return answers, nil
}

// jsonError locates a decoding error in data. Syntax and type errors carry
// their own offset; other errors are reported at fallback.
func jsonError(data []byte, name string, fallback int64, err error) error {
	off := fallback
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	return posError(data, name, off, "invalid JSON: %v", err)
}

// skipJSONSpace returns the offset of the first byte at or after off that
// is neither white space nor a separating comma.
func skipJSONSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
		default:
			return off
		}
	}
	return off
}

// posError reports a problem at byte offset off of data as
// "file:line:column: message". The column matters because CMRC files are
// usually a single line.
func posError(data []byte, name string, off int64, format string, args ...any) error {
	off = min(max(off, 0), int64(len(data)))
	line := bytes.Count(data[:off], []byte("\n")) + 1
	col := off - int64(bytes.LastIndexByte(data[:off], '\n'))
	return fmt.Errorf("%s:%d:%d: %s", name, line, col, fmt.Sprintf(format, args...))
}
