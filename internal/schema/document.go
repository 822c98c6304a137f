package schema

// Block kinds name the structural unit a loader found.
const (
	BlockHeading   = "heading"
	BlockParagraph = "paragraph"
	BlockListItem  = "list_item"
	BlockTableRow  = "table_row"
	BlockCode      = "code"
	BlockRecord    = "record" // one CSV row or one JSONL record
)

// Document is one source unit as extracted by a loader: its plain text and
// the structure that lets a chunk say where it came from.
//
// All offsets inside a Document (Block.Start, Block.End) are byte offsets
// into Text; the chunker converts them to character offsets for the public
// contract.
type Document struct {
	// ID is the stable identifier the store assigns from Collection and Key.
	ID string `json:"id"`
	// Collection is the knowledge-base collection the document belongs to.
	Collection string `json:"collection"`
	// Key identifies the document inside its collection: the path as
	// ingested for files, the record id for corpora such as BEIR JSONL.
	Key string `json:"key"`
	// Source is the file name as ingested (base name), shown to users.
	Source string `json:"source"`
	// Title is the document title when the format has one (HTML <title>,
	// first Markdown heading, PDF/DOCX metadata, BEIR title).
	Title string `json:"title,omitempty"`
	// Type is the detected format: pdf, docx, html, markdown, text, csv, jsonl.
	Type string `json:"type"`
	// Language is the dominant language of Text ("en", "zh", ...), when known.
	Language string `json:"language,omitempty"`
	// Text is the full extracted text in reading order, valid UTF-8.
	Text string `json:"text"`
	// Hash is the hex sha256 of the content the document was built from.
	Hash string `json:"hash"`
	// Size is the size in bytes of the source content.
	Size int64 `json:"size"`
	// Pages is the number of pages for paged formats (PDF), else 0.
	Pages int `json:"pages,omitempty"`
	// Blocks are the structural units of Text in reading order. They do not
	// overlap; text between blocks is separator white space.
	Blocks []Block `json:"blocks,omitempty"`
	// Metadata holds format-specific extras (author, BEIR metadata, ...).
	Metadata map[string]string `json:"metadata,omitempty"`
	// Original is the source file's content for formats whose pages are
	// shown as images (PDF); the store keeps it beside the text. It is
	// never part of the JSON form.
	Original []byte `json:"-"`
}

// Block is one structural unit of a document's text.
type Block struct {
	// Kind is one of the Block* constants.
	Kind string `json:"kind"`
	// Start and End are byte offsets of the block in Document.Text.
	Start int `json:"start"`
	End   int `json:"end"`
	// Page is the 1-based page the block starts on, 0 for unpaged formats.
	Page int `json:"page,omitempty"`
	// Headings is the heading path the block sits under, outermost first.
	// For a heading block it includes the heading itself.
	Headings []string `json:"headings,omitempty"`
	// Level is the heading level (1–6) of a heading block, else 0.
	Level int `json:"level,omitempty"`
}
