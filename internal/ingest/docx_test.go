package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/schema"
)

// makeDOCX builds a Word archive from part names and contents.
func makeDOCX(t testing.TB, parts map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const wordNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"`

func TestDOCXStructure(t *testing.T) {
	doc := `<w:document ` + wordNS + `><w:body>
<w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr><w:r><w:t>Travel Rules</w:t></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="Berschrift1"/></w:pPr><w:r><w:t>Booking</w:t></w:r></w:p>
<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t xml:space="preserve">Book </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>early</w:t></w:r><w:r><w:tab/><w:t>always.</w:t><w:br/><w:t>Second line.</w:t></w:r></w:p>
<w:p><w:pPr><w:outlineLvl w:val="1"/></w:pPr><w:r><w:t>Approval</w:t></w:r></w:p>
<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>Ask your manager.</w:t></w:r></w:p>
<w:p><w:r><w:t>Kept</w:t></w:r><w:del><w:r><w:delText>DELETED</w:delText></w:r></w:del><w:r><w:instrText>PAGE \* MERGEFORMAT</w:instrText></w:r><w:r><w:t> text.</w:t></w:r></w:p>
<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent><w:p><w:r><w:t>Text box note.</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>FALLBACK COPY</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>
<w:tbl><w:tblPr><w:tblStyle w:val="Grid"/></w:tblPr>
<w:tr><w:tc><w:p><w:r><w:t>City</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Hotel limit</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>Paris</w:t></w:r></w:p><w:p><w:r><w:t>(France)</w:t></w:r></w:p></w:tc><w:tc><w:tbl><w:tr><w:tc><w:p><w:r><w:t>200 EUR</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>per night</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:tc></w:tr>
</w:tbl>
<w:p><w:r><w:t>After the table.</w:t></w:r></w:p>
<w:sectPr><w:pgSz w:w="11906"/></w:sectPr>
</w:body></w:document>`
	styles := `<w:styles ` + wordNS + `>
<w:style w:type="paragraph" w:styleId="Berschrift1"><w:name w:val="heading 1"/></w:style>
<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/></w:style>
</w:styles>`
	data := makeDOCX(t, map[string]string{"word/document.xml": doc, "word/styles.xml": styles})
	docs, err := Load(t.Context(), "rules.docx", data, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	d := docs[0]
	checkDocument(t, d)
	if d.Title != "Travel Rules" {
		t.Errorf("title = %q, want the Title paragraph", d.Title)
	}
	type blk struct {
		kind  string
		level int
		text  string
		path  string
	}
	var got []blk
	for _, b := range d.Blocks {
		got = append(got, blk{b.Kind, b.Level, d.Text[b.Start:b.End], strings.Join(b.Headings, " > ")})
	}
	want := []blk{
		{schema.BlockHeading, 1, "Travel Rules", "Travel Rules"},
		{schema.BlockHeading, 1, "Booking", "Booking"},
		{schema.BlockParagraph, 0, "Book early\talways.\nSecond line.", "Booking"},
		{schema.BlockHeading, 2, "Approval", "Booking > Approval"},
		{schema.BlockListItem, 0, "Ask your manager.", "Booking > Approval"},
		{schema.BlockParagraph, 0, "Kept text.", "Booking > Approval"},
		{schema.BlockParagraph, 0, "Text box note.", "Booking > Approval"},
		{schema.BlockTableRow, 0, "City | Hotel limit", "Booking > Approval"},
		{schema.BlockTableRow, 0, "Paris (France) | 200 EUR | per night", "Booking > Approval"},
		{schema.BlockParagraph, 0, "After the table.", "Booking > Approval"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("blocks:\n got %+v\nwant %+v", got, want)
	}
	for _, s := range []string{"DELETED", "FALLBACK", "MERGEFORMAT", "720"} {
		if strings.Contains(d.Text, s) {
			t.Errorf("text holds %q", s)
		}
	}
}

func TestDOCXErrors(t *testing.T) {
	bomb := `<w:document ` + wordNS + `><w:body>` + strings.Repeat("<w:p/>", 1<<20) + `</w:body></w:document>`
	tests := []struct {
		name  string
		parts map[string]string
		lim   Limits
		want  error
	}{
		{"no document part", map[string]string{"xl/workbook.xml": "<workbook/>"}, DefaultLimits(), ErrUnsupportedType},
		{"broken xml", map[string]string{"word/document.xml": "<w:document><w:body><w:p>"}, DefaultLimits(), ErrCorrupt},
		{"no text", map[string]string{"word/document.xml": `<w:document ` + wordNS + `><w:body><w:p/></w:body></w:document>`}, DefaultLimits(), ErrNoText},
		// 6 MiB of XML that compresses to a few kilobytes.
		{"zip bomb", map[string]string{"word/document.xml": bomb}, Limits{MaxChars: 1000}, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := makeDOCX(t, tt.parts)
			_, err := Load(t.Context(), "x.docx", data, tt.lim)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
