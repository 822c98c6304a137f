// Package ingest turns files into schema.Documents: it walks folders,
// sniffs each file's type from its content and extension, and extracts the
// plain text of PDF, DOCX, HTML, Markdown, plain text, CSV/TSV and BEIR
// JSONL corpora together with their structure (pages, heading paths, table
// rows, records) as byte spans into that text.
//
// It owns reading and parsing outside input safely: size, page and
// character limits are enforced before work is spent, parser panics are
// recovered into errors for the one file that caused them, and every
// failure carries a sentinel error (ErrUnsupportedType, ErrNoText,
// ErrTooLarge, ErrCorrupt, ErrEncrypted) that callers branch on.
//
// It must not chunk, tokenise, embed or store documents, assign IDs or
// collections, or detect languages: those belong to the caller.
package ingest
