package ingest

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
)

// Document types returned by Detect and stored in schema.Document.Type.
const (
	TypePDF      = "pdf"
	TypeDOCX     = "docx"
	TypeHTML     = "html"
	TypeMarkdown = "markdown"
	TypeText     = "text"
	TypeCSV      = "csv"
	TypeJSONL    = "jsonl"
)

// SniffLen is how many leading bytes of a file Detect looks at; passing
// fewer makes detection of binary content less certain.
const SniffLen = 8 << 10

var (
	magicPDF  = []byte("%PDF-")
	magicZip  = []byte("PK\x03\x04")
	magicGzip = []byte{0x1f, 0x8b}
)

// extTypes maps lower-case extensions of text formats to their type.
var extTypes = map[string]string{
	".html":     TypeHTML,
	".htm":      TypeHTML,
	".xhtml":    TypeHTML,
	".md":       TypeMarkdown,
	".markdown": TypeMarkdown,
	".mdown":    TypeMarkdown,
	".mkd":      TypeMarkdown,
	".csv":      TypeCSV,
	".tsv":      TypeCSV,
	".jsonl":    TypeJSONL,
	".ndjson":   TypeJSONL,
	".txt":      TypeText,
	".text":     TypeText,
}

// Detect returns the type of a file ("pdf", "docx", "html", "markdown",
// "text", "csv" or "jsonl") from its name and its first bytes (head; pass
// at least SniffLen bytes when the file has them).
//
// Content decides first: the PDF magic, a ZIP archive holding a Word
// document, gzip (only as .jsonl.gz). Other content must be text (UTF-8,
// or UTF-16 with a byte order mark) and then the extension decides, with
// content that starts like an HTML page taken as HTML when the extension
// names no text format. Binary content returns ErrUnsupportedType whatever
// the extension; text named .pdf, .docx or .gz returns ErrCorrupt.
func Detect(name string, head []byte) (string, error) {
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case bytes.HasPrefix(bytes.TrimLeft(head, "\x00\t\n\f\r \xef\xbb\xbf"), magicPDF),
		ext == ".pdf" && bytes.Contains(head[:min(len(head), 1024)], magicPDF):
		// PDF readers accept junk before the header within the first
		// kilobyte, and so does pdfium; a text file that merely mentions
		// the magic is not taken for a PDF unless it is named one.
		return TypePDF, nil
	case bytes.HasPrefix(head, magicZip):
		if ext == ".docx" || bytes.Contains(head, []byte("word/")) {
			return TypeDOCX, nil
		}
		return "", fmt.Errorf("%w: zip archive that is not a word document", ErrUnsupportedType)
	case bytes.HasPrefix(head, magicGzip):
		if inner := strings.ToLower(filepath.Ext(strings.TrimSuffix(name, filepath.Ext(name)))); ext == ".gz" && extTypes[inner] == TypeJSONL {
			return TypeJSONL, nil
		}
		return "", fmt.Errorf("%w: gzip-compressed content other than .jsonl.gz", ErrUnsupportedType)
	}
	if looksBinary(head) {
		return "", fmt.Errorf("%w: binary content", ErrUnsupportedType)
	}
	switch ext {
	case ".pdf":
		return "", fmt.Errorf("%w: no %%PDF- header", ErrCorrupt)
	case ".docx":
		return "", fmt.Errorf("%w: not a zip archive", ErrCorrupt)
	case ".gz":
		return "", fmt.Errorf("%w: no gzip header", ErrCorrupt)
	}
	if t, ok := extTypes[ext]; ok {
		return t, nil
	}
	if looksHTML(head) {
		return TypeHTML, nil
	}
	return TypeText, nil
}

// looksHTML reports whether text starts, after white space, comments and an
// XML declaration, with an HTML doctype or <html> tag.
func looksHTML(head []byte) bool {
	s := strings.ToLower(decodeText(head[:min(len(head), 1024)]))
	for {
		s = strings.TrimLeft(s, " \t\r\n\f")
		switch {
		case strings.HasPrefix(s, "<!--"):
			end := strings.Index(s, "-->")
			if end < 0 {
				return false
			}
			s = s[end+3:]
		case strings.HasPrefix(s, "<?xml"):
			end := strings.Index(s, "?>")
			if end < 0 {
				return false
			}
			s = s[end+2:]
		default:
			return strings.HasPrefix(s, "<!doctype html") || strings.HasPrefix(s, "<html")
		}
	}
}
