// Package extractive is ragline's offline, deterministic answer generator.
// It scores the sentences of the retrieved chunks against the question
// with the same analyzer that indexed them, keeps the best-supported,
// non-redundant ones in source order and cites every one. It never writes
// a word that is not in a source: when no sentence passes the relevance
// threshold it says plainly that it found no answer.
//
// It must not call any model or network service and must not read the store.
package extractive
