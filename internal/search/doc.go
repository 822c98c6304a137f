// Package search owns retrieval over a knowledge base: lexical BM25
// retrieval with the same analyzer that indexed the text (query term
// frequency, typo tolerance for terms the collection lacks), vector search
// (exact scan or IVF), fusion, and aggregation of chunk hits into
// document rankings for evaluation. Its in-memory indexes are kept per
// collection as immutable segments and tombstones, maintained from the
// store's change log and published to readers atomically, so that
// writes never stall searches.
//
// It must not generate answers nor write documents to the store.
package search
