// Package hashembed is a deterministic test embedder: a text's vector is
// its bag of analyzer terms hashed into a fixed number of signed buckets
// (the "hashing trick"), weighted by log term frequency and normalised.
// It knows nothing of meaning — two texts are similar exactly when they
// share terms — and needs no network, so tests and offline benchmarks can
// exercise vector and hybrid retrieval end to end. It is not a substitute
// for a real embedding model.
package hashembed
