package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/ragline/ragline/internal/agent"
	"github.com/ragline/ragline/internal/schema"
)

// wantsStream reports whether a chat request asked for Server-Sent Events.
func wantsStream(r *http.Request, req chatRequest) bool {
	return req.Stream || strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// sse writes Server-Sent Events.
type sse struct {
	w http.ResponseWriter
	f http.Flusher
}

func newSSE(w http.ResponseWriter) (*sse, bool) {
	f, ok := w.(http.Flusher)
	if !ok {
		return nil, false
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return &sse{w: w, f: f}, true
}

func (s *sse) event(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", name, b); err != nil {
		return err
	}
	s.f.Flush()
	return nil
}

// streamChat answers and sends the response as events: one `step` per
// pipeline stage, `delta` pieces of the answer (one per cited sentence),
// one `citation` per source and `done` with the full response object; an
// `error` event carries the API error shape.
func (s *Server) streamChat(w http.ResponseWriter, r *http.Request, req chatRequest, sid string) {
	history, err := s.history(r, sid)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	resp, err := s.agent.Run(r.Context(), agent.Request{Collection: req.Collection, Question: req.Message, History: history})
	if err != nil && r.Context().Err() != nil {
		return // the client went away
	}
	if err != nil {
		// Before the stream starts, errors keep their status code.
		s.writeError(w, r, err)
		return
	}
	turn, err := s.record(r, sid, req.Message, resp)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	full := chatResponse{Response: resp, SessionID: sid, Turn: turn}
	out, ok := newSSE(w)
	if !ok {
		writeJSON(w, http.StatusOK, full)
		return
	}
	for _, st := range resp.Trace {
		if out.event("step", st) != nil {
			return
		}
	}
	for _, piece := range answerPieces(resp) {
		if out.event("delta", map[string]string{"text": piece}) != nil {
			return
		}
	}
	for _, c := range resp.Citations {
		if out.event("citation", c) != nil {
			return
		}
	}
	_ = out.event("done", full)
}

// answerPieces splits an answer after each citation marker, so a client
// can render it sentence by sentence; the pieces concatenate to the answer.
func answerPieces(resp schema.Response) []string {
	text := resp.Answer
	var out []string
	for _, c := range resp.Citations {
		m := fmt.Sprintf("[%d]", c.Index)
		i := strings.Index(text, m)
		if i < 0 {
			continue
		}
		out = append(out, text[:i+len(m)])
		text = text[i+len(m):]
	}
	if text != "" {
		out = append(out, text)
	}
	return out
}
