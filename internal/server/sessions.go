package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/session"
)

// chatResponse is the response object plus the conversation it belongs to.
type chatResponse struct {
	schema.Response
	SessionID string `json:"session_id"`
	Turn      int    `json:"turn"`
}

// sessionFor validates or issues the session id of a chat request.
func sessionFor(req chatRequest) (string, error) {
	if req.SessionID == "" {
		return session.NewID(), nil
	}
	if !session.ValidID(req.SessionID) {
		return "", badRequest("session_id", "session_id must be 8–64 letters, digits, '_' or '-'")
	}
	return req.SessionID, nil
}

// storeID is the id a session is kept under. With API keys every key has
// a namespace of its own, so a session id seen by one key gives nothing
// of that conversation to another; in open mode it is the id itself.
func storeID(r *http.Request, id string) string {
	c := callerFrom(r.Context())
	if c == nil {
		return id
	}
	sum := sha256.Sum256([]byte(c.name + "\x00" + id))
	return hex.EncodeToString(sum[:16])
}

// record appends the answered turn to its session.
func (s *Server) record(r *http.Request, id, question string, resp schema.Response) (int, error) {
	turn, err := s.sessions.Append(r.Context(), storeID(r, id), session.Turn{
		Question: question, Answer: resp.Answer, NoAnswer: resp.NoAnswer, Citations: resp.Citations,
	})
	if err == nil && turn == 0 {
		err = s.own(r, id)
	}
	if errors.Is(err, session.ErrUnavailable) {
		// The answer stands; only the conversation's record is lost.
		s.opts.Logger.WarnContext(r.Context(), "session store unavailable: turn not kept", "err", err)
		return 0, nil
	}
	return turn, err
}

// history returns the earlier turns of a session as messages, oldest
// first; a new session has none.
func (s *Server) history(r *http.Request, id string) ([]schema.Message, error) {
	sess, err := s.sessions.Get(r.Context(), storeID(r, id))
	if errors.Is(err, session.ErrNotFound) {
		return nil, nil
	}
	if errors.Is(err, session.ErrUnavailable) {
		s.opts.Logger.WarnContext(r.Context(), "session store unavailable: answering without the conversation's history", "err", err)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]schema.Message, 0, 2*len(sess.Turns))
	for _, t := range sess.Turns {
		out = append(out, schema.Message{Role: "user", Content: t.Question}, schema.Message{Role: "assistant", Content: t.Answer})
	}
	return out, nil
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	sess, err := s.sessions.Get(r.Context(), storeID(r, id))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sess.ID = id
	writeJSON(w, http.StatusOK, sess)
}

func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.sessions.Delete(r.Context(), storeID(r, id)); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"deleted": id})
}

type feedbackRequest struct {
	SessionID string `json:"session_id"`
	Turn      *int   `json:"turn"`
	Rating    string `json:"rating"`
	Comment   string `json:"comment,omitempty"`
}

func (s *Server) feedback(w http.ResponseWriter, r *http.Request) {
	var req feedbackRequest
	if err := s.decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	switch {
	case req.SessionID == "":
		s.writeError(w, r, badRequest("session_id", "session_id is required"))
		return
	case req.Turn == nil:
		s.writeError(w, r, badRequest("turn", "turn is required"))
		return
	case req.Rating != "up" && req.Rating != "down":
		s.writeError(w, r, badRequest("rating", `rating must be "up" or "down"`))
		return
	}
	if !session.ValidID(req.SessionID) {
		s.writeError(w, r, badRequest("session_id", "session_id must be 8–64 letters, digits, '_' or '-'"))
		return
	}
	err := s.sessions.AddFeedback(r.Context(), session.Feedback{SessionID: storeID(r, req.SessionID), Turn: *req.Turn, Rating: req.Rating, Comment: req.Comment})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.opts.Metrics.Feedback(req.Rating)
	writeJSON(w, http.StatusOK, map[string]string{"status": "recorded"})
}

// sessionError maps session errors for writeError.
func sessionError(err error) *apiError {
	msg := err.Error()
	if i := strings.LastIndex(msg, "\n"); i >= 0 {
		msg = msg[i+1:]
	}
	return &apiError{status: http.StatusBadRequest, Type: "invalid_request", Message: msg}
}
