// Package llm answers a question from retrieved chunks with a chat model:
// the chunks are numbered in the prompt, the model is told to cite them
// as [n], and the citations in its answer are checked against the chunks
// it was actually given. A citation of a chunk that was not given is
// dropped from the text (also while streaming) and counted; the valid
// ones become the response's citation objects.
//
// The prompt templates (Go text/template) come from configuration, with
// built-in defaults in English and Chinese chosen by the question's
// language. The package also holds the query-understanding calls that use
// a chat model: rewriting a follow-up into a standalone question and
// writing alternative phrasings for multi-query retrieval.
package llm
