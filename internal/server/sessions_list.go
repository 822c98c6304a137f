package server

import (
	"errors"
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

// own records a session under the caller after each turn, so that GET
// /v1/sessions lists it, most recently updated first; stores that cannot
// list sessions are left alone.
func (s *Server) own(r *http.Request, id string) error {
	l, ok := s.sessions.(session.Lister)
	if !ok {
		return nil
	}
	return l.Own(r.Context(), sessionOwner(r), id, storeID(r, id))
}

// listSessions answers a page of the caller's conversations, most recent
// first, with the cursor of the next page when there is one.
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
	page, err := l.List(r.Context(), sessionOwner(r), r.URL.Query().Get("cursor"), limit)
	if errors.Is(err, session.ErrInvalid) {
		s.writeError(w, r, badRequest("cursor", "cursor must be a next_cursor from an earlier listing"))
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}
