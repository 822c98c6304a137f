package server

import (
	"net/http"
	"strconv"

	"github.com/ragline/ragline/internal/session"
)

// sessionOwner is the namespace a request's sessions are listed in: the
// API key's name, or "" in open mode.
func sessionOwner(r *http.Request) string {
	if c := callerFrom(r.Context()); c != nil {
		return c.name
	}
	return ""
}

// own records a new session under the caller, so that GET /v1/sessions
// lists it; stores that cannot list sessions are left alone.
func (s *Server) own(r *http.Request, id string) error {
	l, ok := s.sessions.(session.Lister)
	if !ok {
		return nil
	}
	return l.Own(r.Context(), sessionOwner(r), id, storeID(r, id))
}

// listSessions answers the caller's conversations, most recent first.
func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) {
	limit := session.DefaultListLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > session.DefaultListLimit {
			s.writeError(w, r, badRequest("limit", "limit must be an integer from 1 to %d", session.DefaultListLimit))
			return
		}
		limit = n
	}
	l, ok := s.sessions.(session.Lister)
	if !ok {
		s.writeError(w, r, &apiError{status: http.StatusNotImplemented, Type: "not_implemented", Message: "the session store cannot list sessions"})
		return
	}
	out, err := l.List(r.Context(), sessionOwner(r), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}
