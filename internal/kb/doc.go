// Package kb is the knowledge base as a whole: it wires loaders, chunker,
// analyzer, store, retrieval and the generator configured for it, and
// offers the operations the CLI and the server expose: ingest, list,
// delete, retrieve, ask, digest and snapshot.
//
// It must not know about command lines or HTTP.
package kb
