package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ragline/ragline/internal/schema"
)

// checkDocument asserts the invariants every loaded document keeps,
// whatever its format: clean UTF-8 text, and blocks that are exact,
// ordered, non-overlapping spans separated only by the joining newlines.
func checkDocument(t testing.TB, doc schema.Document) {
	t.Helper()
	if err := validateDocument(doc); err != nil {
		t.Fatalf("%s: %v", doc.Key, err)
	}
}

// validateDocument returns the first broken invariant of doc.
func validateDocument(doc schema.Document) error {
	text := doc.Text
	switch {
	case !utf8.ValidString(text):
		return fmt.Errorf("text is not valid UTF-8")
	case strings.ContainsAny(text, "\x00\r"):
		return fmt.Errorf("text holds NUL or carriage return")
	case len(doc.Blocks) == 0:
		return fmt.Errorf("no blocks")
	case !utf8.ValidString(doc.Title):
		return fmt.Errorf("title is not valid UTF-8")
	}
	prev := 0
	for i, b := range doc.Blocks {
		if b.Start < prev || b.End <= b.Start || b.End > len(text) {
			return fmt.Errorf("block %d: span [%d,%d) out of order or range", i, b.Start, b.End)
		}
		sep := text[prev:b.Start]
		if i == 0 && sep != "" || i > 0 && sep != "\n\n" && sep != "\n" {
			return fmt.Errorf("block %d: separated by %q", i, sep)
		}
		if sep == "\n" && b.Kind != schema.BlockTableRow && b.Kind != schema.BlockRecord {
			return fmt.Errorf("block %d: %s joined with a single newline", i, b.Kind)
		}
		body := text[b.Start:b.End]
		if strings.TrimSpace(body) == "" || (b.Kind != schema.BlockCode && strings.TrimSpace(body) != body) {
			return fmt.Errorf("block %d: blank or untrimmed %q", i, body)
		}
		switch b.Kind {
		case schema.BlockHeading:
			if b.Level < 1 || b.Level > 6 || len(b.Headings) == 0 || b.Headings[len(b.Headings)-1] != body {
				return fmt.Errorf("heading block %d: level %d, path %q", i, b.Level, b.Headings)
			}
		case schema.BlockParagraph, schema.BlockListItem, schema.BlockTableRow, schema.BlockCode, schema.BlockRecord:
			if b.Level != 0 {
				return fmt.Errorf("block %d: %s with level %d", i, b.Kind, b.Level)
			}
		default:
			return fmt.Errorf("block %d: unknown kind %q", i, b.Kind)
		}
		if (doc.Type == TypePDF) != (b.Page > 0) || b.Page > doc.Pages {
			return fmt.Errorf("block %d: page %d of %d", i, b.Page, doc.Pages)
		}
		prev = b.End
	}
	if prev != len(text) {
		return fmt.Errorf("text continues after the last block")
	}
	return nil
}

// fileHash returns the hex sha256 of a file.
func fileHash(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// blockTexts returns the text of each block of doc with the given kind.
func blockTexts(doc schema.Document, kind string) []string {
	var out []string
	for _, b := range doc.Blocks {
		if b.Kind == kind {
			out = append(out, doc.Text[b.Start:b.End])
		}
	}
	return out
}
