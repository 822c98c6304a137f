package mcp

import (
	"net/http"
	"time"

	"github.com/ragline/ragline/internal/config"
)

// HTTPServer returns the HTTP server of `mcp serve --http` for handler,
// with the API's limits (server.read_timeout, write_timeout,
// idle_timeout): a client that sends its request slowly, or never reads
// its response, is cut off instead of holding a connection for ever.
func HTTPServer(handler http.Handler, cfg config.ServerConfig) *http.Server {
	read := time.Duration(cfg.ReadTimeout)
	header := 10 * time.Second
	if read > 0 {
		header = min(header, read)
	}
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: header,
		ReadTimeout:       read,
		WriteTimeout:      time.Duration(cfg.WriteTimeout),
		IdleTimeout:       time.Duration(cfg.IdleTimeout),
		MaxHeaderBytes:    64 << 10,
	}
}
