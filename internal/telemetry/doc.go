// Package telemetry owns ragline's operational signals: the Prometheus
// metrics (their names, labels and buckets are a public contract that
// canary analysis and dashboards depend on; see METRICS.md), the HTTP
// middleware that records request metrics, request ids carried in the
// context and the X-Request-Id header, and the structured slog logger
// that stamps every record with the request id.
//
// It must not import other ragline packages, register anything with the
// global Prometheus registry, turn unbounded outside input (paths, user
// text, header values) into label values, or write API error responses:
// the server maps errors to status codes, and a panicking handler is left
// to net/http's recovery after its 500 has been counted.
package telemetry
