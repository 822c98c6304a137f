package ingest

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ragline/ragline/internal/schema"
)

// loadCSV extracts a CSV or TSV table: the first row names the columns and
// every later row becomes one record block "name: value; name: value", so
// any chunk of it still says what its values mean. Empty values are left
// out, ragged rows are accepted, and cells beyond the header are named
// "column N".
func loadCSV(ctx context.Context, name string, data []byte, lim Limits) (schema.Document, error) {
	text := cleanText(decodeText(data))
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = csvDelimiter(name, text)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true

	var header []string
	b := newBuilder(lim.MaxChars)
	for n := 0; ; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return schema.Document{}, err
			}
		}
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return schema.Document{}, fmt.Errorf("%w: line %d: %v", ErrCorrupt, pe.Line, pe.Err)
			}
			return schema.Document{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if header == nil {
			header = make([]string, len(rec))
			for i, h := range rec {
				header[i] = collapseSpace(h)
			}
			continue
		}
		b.row(schema.BlockRecord, csvRecord(header, rec), 0)
		if b.full() {
			break
		}
	}
	doc, err := b.document()
	if err != nil {
		return doc, err
	}
	doc.Metadata = map[string]string{"columns": strings.Join(header, ", ")}
	return doc, nil
}

// csvRecord renders one row as "name: value; name: value".
func csvRecord(header, rec []string) string {
	var sb strings.Builder
	for i, v := range rec {
		v = collapseSpace(v)
		if v == "" {
			continue
		}
		col := ""
		if i < len(header) {
			col = header[i]
		}
		if col == "" {
			col = "column " + strconv.Itoa(i+1)
		}
		if sb.Len() > 0 {
			sb.WriteString("; ")
		}
		sb.WriteString(col)
		sb.WriteString(": ")
		sb.WriteString(v)
	}
	return sb.String()
}

// csvDelimiter picks tab for .tsv files; for other names it picks whichever
// of comma, semicolon and tab is most frequent in the header line, since
// spreadsheets in many locales write semicolon-separated .csv files.
func csvDelimiter(name, text string) rune {
	if strings.EqualFold(filepath.Ext(name), ".tsv") {
		return '\t'
	}
	line, _, _ := strings.Cut(text, "\n")
	best, bestN := ',', strings.Count(line, ",")
	for _, d := range []rune{';', '\t'} {
		if n := strings.Count(line, string(d)); n > bestN {
			best, bestN = d, n
		}
	}
	return best
}
