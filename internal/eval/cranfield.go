package eval

import (
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ragline/ragline/internal/schema"
)

// Cranfield file names inside the dataset directory.
const (
	cranDocsFile    = "cran.all.1400"
	cranQueriesFile = "cran.qry"
	cranQrelsFile   = "cranqrel"
)

// loadCranfield reads the Cranfield collection in SMART format.
//
// Documents keep the .T title in Title and the .W text, as written, in
// Text (the .W section of this collection begins by repeating the title);
// .A and .B go to Metadata "author" and "bibliography".
//
// Query ids are the qrels numbering, "1" to "225" in cran.qry file order,
// because the .I numbers in cran.qry skip values and the qrels ignore
// them.
//
// Relevance codes follow Cleverdon's scale quoted in cranqrel.readme, where
// 1 is "a complete answer" and 4 "minimum interest"; they become grades
// 5-code, so code 1 gets grade 4 and code 4 grade 1. Codes -1 and 5 ("no
// interest") are not relevant.
func loadCranfield(dir string) (*Dataset, error) {
	docsPath := filepath.Join(dir, cranDocsFile)
	docs, err := readFile(docsPath, func(r io.Reader) ([]smartRecord, error) {
		return parseSMART(r, docsPath)
	})
	if err != nil {
		return nil, err
	}
	queriesPath := filepath.Join(dir, cranQueriesFile)
	qrecs, err := readFile(queriesPath, func(r io.Reader) ([]smartRecord, error) {
		return parseSMART(r, queriesPath)
	})
	if err != nil {
		return nil, err
	}
	qrelsPath := filepath.Join(dir, cranQrelsFile)
	qrels, err := readFile(qrelsPath, func(r io.Reader) (map[int]map[string]int, error) {
		return parseCranQrels(r, qrelsPath, len(qrecs))
	})
	if err != nil {
		return nil, err
	}

	corpus := make([]schema.Document, 0, len(docs))
	seen := make(map[string]bool, len(docs))
	for _, rec := range docs {
		if seen[rec.id] {
			return nil, lineError(docsPath, rec.line, "duplicate document id %q", rec.id)
		}
		seen[rec.id] = true
		var meta map[string]string
		author, biblio := joinWords(rec.fields["A"]), joinWords(rec.fields["B"])
		if author != "" || biblio != "" {
			meta = make(map[string]string, 2)
			if author != "" {
				meta["author"] = author
			}
			if biblio != "" {
				meta["bibliography"] = biblio
			}
		}
		corpus = append(corpus, newDocument(rec.id, cranDocsFile,
			joinWords(rec.fields["T"]), joinLines(rec.fields["W"]), "en", meta))
	}

	var queries []Query
	for i, rec := range qrecs {
		rel := qrels[i+1]
		if len(rel) == 0 {
			continue
		}
		queries = append(queries, Query{
			ID:       strconv.Itoa(i + 1),
			Text:     joinWords(rec.fields["W"]),
			Relevant: rel,
		})
	}
	return &Dataset{Name: "cranfield", Corpus: corpus, Queries: queries}, nil
}

// smartRecord is one ".I" record of a SMART-format file: its id, the line
// it starts on and the content lines of each field, keyed by the field
// letter ("T", "A", "B", "W").
type smartRecord struct {
	id     string
	line   int
	fields map[string][]string
}

// parseSMART splits a SMART-format file into records. A field marker is a
// line holding only "." and an upper-case letter. A marker for a field the
// record already has is treated as a stray line and dropped, and the
// current field continues: in cran.all.1400 such lines occur inside the
// abstract text of documents 240, 576 and 578.
func parseSMART(r io.Reader, name string) ([]smartRecord, error) {
	lr := newLineReader(r, name)
	var (
		recs  []smartRecord
		cur   *smartRecord
		field string
	)
	for lr.next() {
		line := string(lr.bytes())
		trimmed := strings.TrimRight(line, " \t")
		if rest, ok := strings.CutPrefix(trimmed, ".I"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			id := strings.TrimSpace(rest)
			if id == "" {
				return nil, lineError(name, lr.line, ".I without an id")
			}
			recs = append(recs, smartRecord{id: id, line: lr.line, fields: make(map[string][]string)})
			cur, field = &recs[len(recs)-1], ""
			continue
		}
		if cur == nil {
			if trimmed == "" {
				continue
			}
			return nil, lineError(name, lr.line, "content before the first .I record")
		}
		if isSMARTMarker(trimmed) {
			f := trimmed[1:]
			if _, dup := cur.fields[f]; dup {
				continue
			}
			field = f
			cur.fields[f] = []string{}
			continue
		}
		if field == "" {
			if trimmed == "" {
				continue
			}
			return nil, lineError(name, lr.line, "text before any field marker in record %q", cur.id)
		}
		cur.fields[field] = append(cur.fields[field], line)
	}
	if err := lr.err(); err != nil {
		return nil, err
	}
	return recs, nil
}

// isSMARTMarker reports whether line is a field marker such as ".W".
func isSMARTMarker(line string) bool {
	return len(line) == 2 && line[0] == '.' && line[1] >= 'A' && line[1] <= 'Z'
}

// parseCranQrels reads "query-number doc-id code" rows. Query numbers run
// from 1 to nQueries in query file order. Only relevant rows (codes 1-4)
// are returned, as grades 5-code; a pair listed twice keeps its higher
// grade.
func parseCranQrels(r io.Reader, name string, nQueries int) (map[int]map[string]int, error) {
	lr := newLineReader(r, name)
	qrels := make(map[int]map[string]int)
	for lr.next() {
		fields := strings.Fields(string(lr.bytes()))
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 3 {
			return nil, lineError(name, lr.line, "want 3 fields (query, document, code), got %d", len(fields))
		}
		q, err := strconv.Atoi(fields[0])
		if err != nil || q < 1 || q > nQueries {
			return nil, lineError(name, lr.line, "query number %q is not in 1..%d", fields[0], nQueries)
		}
		code, err := strconv.Atoi(fields[2])
		if err != nil || code < -1 || code == 0 || code > 5 {
			return nil, lineError(name, lr.line, "relevance code %q is not -1 or 1..5", fields[2])
		}
		if code == -1 || code == 5 {
			continue
		}
		rel := qrels[q]
		if rel == nil {
			rel = make(map[string]int)
			qrels[q] = rel
		}
		if g := 5 - code; g > rel[fields[1]] {
			rel[fields[1]] = g
		}
	}
	if err := lr.err(); err != nil {
		return nil, err
	}
	return qrels, nil
}

// joinWords joins the lines of a short field (title, author, query) into
// one line with single spaces.
func joinWords(lines []string) string {
	return strings.Join(strings.Fields(strings.Join(lines, " ")), " ")
}

// joinLines joins the lines of a body field, keeping line breaks but
// dropping trailing spaces and surrounding blank lines.
func joinLines(lines []string) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strings.TrimRight(l, " \t"))
	}
	return strings.TrimSpace(b.String())
}
