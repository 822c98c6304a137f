package server

import (
	"net/http"
	"strings"
)

// v1Prefix catches every /v1 request no route matches.
const v1Prefix = "/v1/"

// registerNotFound makes unknown /v1 routes answer in the API's JSON
// error shape (which is OpenAI's too), not the mux's plain text: 405 with
// Allow when the path exists for other methods, else 404. It is not a
// route of its own, so it stays out of Routes and the OpenAPI document.
func (s *Server) registerNotFound() {
	s.mux.mux.HandleFunc(v1Prefix, s.unknownRoute)
}

func (s *Server) unknownRoute(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.mux.Handler(probe); pattern != "" && pattern != v1Prefix {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		s.writeError(w, r, &apiError{status: http.StatusMethodNotAllowed, Type: "method_not_allowed",
			Message: r.Method + " is not allowed on " + r.URL.Path + ": use " + strings.Join(allowed, " or ")})
		return
	}
	s.writeError(w, r, &apiError{status: http.StatusNotFound, Type: "not_found",
		Message: "no route " + r.Method + " " + r.URL.Path + " (GET /openapi.json lists the API)"})
}
