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
	// SessionID is "" for a stateless request.
	SessionID string `json:"session_id,omitempty"`
	Turn      int    `json:"turn"`
}

// sessionFor validates or issues the session id of a chat request; a
// stateless request has none.
func sessionFor(req chatRequest) (string, error) {
	if req.Stateless {
		if req.SessionID != "" {
			return "", badRequest("session_id", "a stateless request has no session_id")
		}
		return "", nil
	}
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

// record appends the answered turn, with its trace, to its session (none
// for a stateless request) and moves the session to the top of the
// caller's listing. When the store does not answer, the answer stands and
// only the turn's record is lost (logged).
func (s *Server) record(r *http.Request, id, question string, resp schema.Response) (int, error) {
	if id == "" {
		return 0, nil
	}
	turn, err := s.sessions.Append(r.Context(), storeID(r, id), session.Turn{
		Question: question, Answer: resp.Answer, NoAnswer: resp.NoAnswer, Citations: resp.Citations, Trace: resp.Trace,
	})
	if err == nil {
		err = s.own(r, id)
	}
	if errors.Is(err, session.ErrUnavailable) {
		// The answer stands; only the conversation's record is lost.
		s.opts.Logger.WarnContext(r.Context(), "session store unavailable: turn not kept", "err", err)
		return 0, nil
	}
	return turn, err
}

// history returns the latest earlier turns of a session as messages,
// oldest first, at most sessions.history_turns of them; a stateless
// request, or a new session (fresh: its id was just issued), has none and
// does not ask the store. A session that is already full is refused here,
// before any work is done for the question, and so is a conversation that
// goes on while the store does not answer (ErrUnavailable): answering it
// without its history would answer another question.
func (s *Server) history(r *http.Request, id string, fresh bool) ([]schema.Message, error) {
	if id == "" || fresh {
		return nil, nil
	}
	sess, err := s.sessions.Get(r.Context(), storeID(r, id))
	if errors.Is(err, session.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if max := s.opts.Config.Sessions.MaxTurns; max > 0 && len(sess.Turns) >= max {
		return nil, session.FullError(id, len(sess.Turns))
	}
	turns := sess.Turns
	if n := s.opts.Config.Sessions.HistoryTurns; len(turns) > n {
		turns = turns[len(turns)-n:]
	}
	out := make([]schema.Message, 0, 2*len(turns))
	for _, t := range turns {
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
