// Package chunk owns splitting a loaded document into the chunks that are
// indexed, retrieved and cited: how big a chunk is, where it may start and
// end, how much consecutive chunks overlap, and how a chunk's byte spans
// become the character offsets of the public contract.
//
// Chunks are packed from whole sentences (text.Sentences) up to a token
// budget counted with text.CountTokens. A heading starts a new chunk and
// stays with the content that follows it; table rows, records, headings
// and code blocks are kept whole; a sentence or block is split, at white
// space or between CJK characters, only when it alone exceeds the budget.
// Consecutive chunks of one section overlap by whole trailing sentences.
//
// It must not read files, call models or touch the store: Split is a pure
// function of the document and the options. It never panics on input:
// blocks that overlap, run out of order or past the text, or cut a
// character in two are repaired rather than trusted. Any change that can
// alter the chunks produced for some document must bump Version, because
// stored chunks are keyed by it.
package chunk
