package schema

// Chunk is the unit of retrieval: a span of one document's text that keeps
// enough structure to be cited exactly.
type Chunk struct {
	// ID is DocumentID + "#" + Ordinal, assigned by the store.
	ID string `json:"id"`
	// DocumentID is the owning document's ID.
	DocumentID string `json:"document_id"`
	// Ordinal is the chunk's position in its document, from 0.
	Ordinal int `json:"ordinal"`
	// Text is exactly the document text between Start and End.
	Text string `json:"text"`
	// Start and End are character (Unicode code point) offsets of the chunk
	// in Document.Text; Text equals those characters.
	Start int `json:"start"`
	End   int `json:"end"`
	// Page is the 1-based page the chunk starts on, 0 for unpaged formats.
	Page int `json:"page,omitempty"`
	// Headings is the heading path of the chunk's first block.
	Headings []string `json:"headings,omitempty"`
	// Tokens is the chunk's size in tokens as counted by the chunker.
	Tokens int `json:"tokens"`
}
