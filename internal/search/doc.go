// Package search owns retrieval over a knowledge base: lexical BM25
// retrieval through the store's full-text index, with the same analyzer
// that indexed the text (query term frequency, typo tolerance for terms
// the collection lacks), and aggregation of chunk hits into document
// rankings for evaluation.
//
// It must not generate answers nor write to the store.
package search
