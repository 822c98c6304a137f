// Package store owns ragline's persistent knowledge base: documents, chunks,
// the lexical (FTS5/BM25) index over analyzer terms, the change log that
// lets other processes follow every committed write, and the metadata
// that stamps a knowledge base with its settings and digest. The embedded
// implementation is one SQLite database in WAL mode; every document is
// written in one transaction, so a killed process never leaves a document
// half-stored.
//
// It stores and finds what it is given: it must not extract, chunk or
// analyse text itself (callers pass analyzer terms) and must not import the
// packages that do.
package store
