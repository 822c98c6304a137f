// Package web serves ragline's browser interface: plain ES modules, CSS
// and one HTML page embedded in the binary, so that no Node toolchain or
// build step is needed. The interface talks to the public /v1 API only,
// exactly as any other client does.
//
// It owns the static assets and the few facts the page needs before its
// first API call (the default collection, whether a key is required); it
// must not hold API logic, read the knowledge base or keep any state.
package web
