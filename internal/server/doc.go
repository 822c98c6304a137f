// Package server owns ragline's HTTP API: routes, request limits, the API
// key check and the one place where errors become status codes with the
// stable JSON error shape {"error":{"type","message","field"}}.
//
// It must not contain retrieval or generation logic; it calls the
// knowledge base.
package server
