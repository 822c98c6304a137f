package ingest

import (
	"errors"
	"testing"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		head string
		want string
		err  error
	}{
		{"report.pdf", "%PDF-1.7\n", TypePDF, nil},
		{"report.bin", "%PDF-1.4\n%\xe2\xe3\xcf\xd3", TypePDF, nil},
		{"report.pdf", "junk before the header %PDF-1.4\n", TypePDF, nil},
		{"about-pdf.md", "# Notes\n\nFiles start with %PDF- magic.", TypeMarkdown, nil},
		{"doc.docx", "PK\x03\x04\x14\x00", TypeDOCX, nil},
		{"doc", "PK\x03\x04\x14\x00\x06\x00word/document.xml", TypeDOCX, nil},
		{"book.epub", "PK\x03\x04\x14\x00mimetype", "", ErrUnsupportedType},
		{"corpus.jsonl.gz", "\x1f\x8b\x08\x00", TypeJSONL, nil},
		{"CORPUS.JSONL.GZ", "\x1f\x8b\x08\x00", TypeJSONL, nil},
		{"notes.txt.gz", "\x1f\x8b\x08\x00", "", ErrUnsupportedType},
		{"page.html", "<p>hi</p>", TypeHTML, nil},
		{"page.HTM", "<p>hi</p>", TypeHTML, nil},
		{"page", "\n  <!DOCTYPE html><html>", TypeHTML, nil},
		{"page.php", "<!-- generated --><?xml version=\"1.0\"?><html xmlns=\"x\">", TypeHTML, nil},
		{"guide.md", "# Title", TypeMarkdown, nil},
		{"guide.markdown", "# Title", TypeMarkdown, nil},
		{"data.csv", "a,b\n1,2", TypeCSV, nil},
		{"data.tsv", "a\tb\n1\t2", TypeCSV, nil},
		{"corpus.jsonl", `{"_id":"1"}`, TypeJSONL, nil},
		{"notes.txt", "hello", TypeText, nil},
		{"main.go", "package main", TypeText, nil},
		{"Makefile", "all:\n\tgo build", TypeText, nil},
		{"utf16.txt", "\xff\xfeh\x00i\x00", TypeText, nil},
		{"nul.txt", "text\x00with a NUL", "", ErrUnsupportedType},
		{"controls.txt", "\x01\x02\x03\x04 text \x05\x06", "", ErrUnsupportedType},
		{"image.txt", "\x89PNG\r\n\x1a\n\x00\x00", "", ErrUnsupportedType},
		{"cut.txt", "ends inside a rune \xe6\x96", TypeText, nil},
		{"ansi.log", "\x1b[31mred\x1b[0m", TypeText, nil},
		{"text.pdf", "plain text named like a PDF", "", ErrCorrupt},
		{"text.docx", "plain text named like a Word file", "", ErrCorrupt},
		{"corpus.jsonl.gz", `{"_id":"1"}`, "", ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detect(tt.name, []byte(tt.head))
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Errorf("Detect(%q, %q) = %q, %v; want %q, %v", tt.name, tt.head, got, err, tt.want, tt.err)
			}
		})
	}
}
