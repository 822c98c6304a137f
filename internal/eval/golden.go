package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"
)

// goldenRecord is one line of a ragline golden set.
type goldenRecord struct {
	ID               string          `json:"id"`
	Question         string          `json:"question"`
	Answers          []string        `json:"answers"`
	RelevantIDs      json.RawMessage `json:"relevant_ids"`
	RelevantPassages []string        `json:"relevant_passages"`
	Tags             []string        `json:"tags"`
	// Metadata is free-form and ignored, for the set's own bookkeeping.
	Metadata json.RawMessage `json:"metadata"`
}

// GoldenSidecar is the optional dataset.yaml beside a golden set.
type GoldenSidecar struct {
	// Name identifies the set in reports (default: the file's base name
	// without extension).
	Name string `yaml:"name"`
	// Corpus is the file or folder (or list of them) holding the
	// documents the questions are about, relative to dataset.yaml.
	Corpus corpusPaths `yaml:"corpus"`
	// Description is free text for people.
	Description string `yaml:"description"`
}

// corpusPaths accepts one path or a list of paths.
type corpusPaths []string

// UnmarshalYAML accepts a string or a list of strings.
func (c *corpusPaths) UnmarshalYAML(b []byte) error {
	var one string
	if err := yaml.Unmarshal(b, &one); err == nil {
		*c = corpusPaths{one}
		return nil
	}
	var many []string
	if err := yaml.Unmarshal(b, &many); err != nil {
		return errors.New("corpus: want a path or a list of paths")
	}
	*c = many
	return nil
}

// loadGolden reads a ragline golden set: JSONL, one question per line,
// with the corpus named by a dataset.yaml in the same folder (when there is
// one; otherwise the caller must supply a knowledge base with --data).
func loadGolden(file string) (*Dataset, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	ds := &Dataset{Name: "golden:" + name}
	side := filepath.Join(filepath.Dir(file), "dataset.yaml")
	if b, err := os.ReadFile(side); err == nil {
		var sc GoldenSidecar
		if err := yaml.UnmarshalWithOptions(b, &sc, yaml.Strict()); err != nil {
			return nil, fmt.Errorf("%s: %s", side, yaml.FormatError(err, false, false))
		}
		if sc.Name != "" {
			ds.Name = "golden:" + sc.Name
		}
		for _, p := range sc.Corpus {
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(side), p)
			}
			if _, err := os.Stat(p); err != nil {
				return nil, fmt.Errorf("%s: corpus: %w", side, err)
			}
			ds.CorpusPaths = append(ds.CorpusPaths, p)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	queries, err := parseGolden(data, file)
	if err != nil {
		return nil, err
	}
	ds.Queries = queries
	return ds, nil
}

// parseGolden decodes the JSONL lines of a golden set. Unknown fields are
// rejected, so a misspelt key ("relevent_ids") is an error, not a silently
// unjudged question.
func parseGolden(data []byte, name string) ([]Query, error) {
	var out []Query
	seen := map[string]int{}
	lr := newLineReader(bytes.NewReader(data), name)
	for lr.next() {
		line := bytes.TrimSpace(lr.bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		var rec goldenRecord
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return nil, lineError(name, lr.line, "%v", err)
		}
		rec.ID = strings.TrimSpace(rec.ID)
		switch {
		case rec.ID == "":
			return nil, lineError(name, lr.line, "id: is required")
		case strings.TrimSpace(rec.Question) == "":
			return nil, lineError(name, lr.line, "question: is required")
		}
		if first, dup := seen[rec.ID]; dup {
			return nil, lineError(name, lr.line, "id: %q already used on line %d", rec.ID, first)
		}
		seen[rec.ID] = lr.line
		rel, err := relevantIDs(rec.RelevantIDs)
		if err != nil {
			return nil, lineError(name, lr.line, "relevant_ids: %v", err)
		}
		for i, a := range rec.Answers {
			if strings.TrimSpace(a) == "" {
				return nil, lineError(name, lr.line, "answers[%d]: is empty", i)
			}
		}
		out = append(out, Query{
			ID: rec.ID, Text: strings.TrimSpace(rec.Question), Relevant: rel,
			Answers: rec.Answers, Passages: rec.RelevantPassages, Tags: rec.Tags,
		})
	}
	if err := lr.err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no questions", name)
	}
	return out, nil
}

// relevantIDs accepts a list of document ids (grade 1 each) or an object
// mapping ids to graded relevance (integers ≥ 0; 0 means judged not
// relevant).
func relevantIDs(raw json.RawMessage) (map[string]int, error) {
	rel := map[string]int{}
	if len(raw) == 0 || string(raw) == "null" {
		return rel, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		for i, id := range list {
			if strings.TrimSpace(id) == "" {
				return nil, fmt.Errorf("[%d] is empty", i)
			}
			rel[id] = 1
		}
		return rel, nil
	}
	var graded map[string]int
	if err := json.Unmarshal(raw, &graded); err != nil {
		return nil, errors.New("want a list of document ids or an object of id: grade (integer)")
	}
	for id, g := range graded {
		if g < 0 {
			return nil, fmt.Errorf("%q: grade %d is negative", id, g)
		}
		if g > 0 {
			rel[id] = g
		}
	}
	return rel, nil
}
