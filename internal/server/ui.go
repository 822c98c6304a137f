package server

import "github.com/ragline/ragline/internal/web"

// registerUI serves the web interface at "/", its assets under "/ui/" and
// its icon at "/favicon.ico".
// They need no key: the page asks for one and sends it with each API call.
func (s *Server) registerUI() {
	h := web.Handler(web.Options{DefaultCollection: s.opts.Config.Collection, KeyRequired: !OpenMode(s.opts.Config)})
	s.mux.Handle("GET /{$}", h)
	s.mux.Handle("GET /ui/{file...}", h)
	s.mux.Handle("GET /favicon.ico", h)
}
