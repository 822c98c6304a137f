package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ragline/ragline/internal/agent"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/telemetry"
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

// streamChat answers and sends the response as events: `delta` pieces
// of the answer as they are produced (model tokens, or one cited sentence
// at a time from the extractive generator), then one `step` per pipeline
// stage, one `citation` per source and `done` with the full response
// object; an `error` event carries the API error shape. Until the first
// event, errors keep their status code.
func (s *Server) streamChat(w http.ResponseWriter, r *http.Request, req chatRequest, sid string) {
	history, err := s.history(r, sid, req.SessionID == "")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var out *sse
	flushes := true
	start := func() {
		if out == nil && flushes {
			out, flushes = newSSE(w)
		}
	}
	resp, err := s.runAgent(r, agent.Request{
		Collection: req.Collection, Question: req.Message, History: history, MayUse: s.mayUse(r),
		OnDelta: func(text string) error {
			if start(); out == nil {
				return nil // no streaming: the whole response follows
			}
			return out.event("delta", map[string]string{"text": text})
		},
	})
	if err != nil && r.Context().Err() != nil {
		return // the client went away
	}
	if err == nil {
		var turn int
		if turn, err = s.record(r, sid, req.Message, resp); err == nil {
			s.finishStream(w, out, flushes, chatResponse{Response: resp, SessionID: sid, Turn: turn})
			return
		}
	}
	if out == nil {
		s.writeError(w, r, err)
		return
	}
	_ = out.event("error", s.streamError(w, r, err))
}

// runAgent answers with the agent before the connection's write
// deadline: an answer still running shortly before it, streamed or not,
// is stopped, and its error is the API's timeout (see answerDeadline)
// rather than a connection cut while the client waits.
func (s *Server) runAgent(r *http.Request, req agent.Request) (schema.Response, error) {
	ctx, cancel := answerDeadline(r, s.writeTimeout())
	defer cancel()
	resp, err := s.agent.Run(ctx, req)
	return resp, deadlineError(ctx, err)
}

// deadlineError names an answer cut by answerDeadline's context (not by
// the client) as the API's timeout.
func deadlineError(ctx context.Context, err error) error {
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return &apiError{status: http.StatusGatewayTimeout, Type: "timeout",
			Message: "the answer was not finished within server.write_timeout"}
	}
	return err
}

// streamError maps the error that ends a stream already under way. The
// status line (200) went out with the first event: the metrics get the
// error's status, so a cut stream is not counted as a success.
func (s *Server) streamError(w http.ResponseWriter, r *http.Request, err error) *apiError {
	ae := s.toAPIError(r, err)
	telemetry.SetStatus(w, ae.status)
	return ae
}

// answerDeadline returns the request's context ending shortly before
// the connection's write deadline (server.write_timeout after the request
// was read), so that an answer still running then ends with an error the
// client can read — an error event in a stream, a 504 otherwise — not a
// cut connection.
func answerDeadline(r *http.Request, writeTimeout time.Duration) (context.Context, context.CancelFunc) {
	if writeTimeout <= 0 {
		return context.WithCancel(r.Context())
	}
	margin := min(writeTimeout/10, 2*time.Second)
	return context.WithTimeout(r.Context(), writeTimeout-margin)
}

// finishStream sends the trace, the citations and the whole response
// after the answer's deltas (or as plain JSON when the writer cannot
// stream).
func (s *Server) finishStream(w http.ResponseWriter, out *sse, flushes bool, full chatResponse) {
	if out == nil && flushes {
		out, _ = newSSE(w)
	}
	if out == nil {
		writeJSON(w, http.StatusOK, full)
		return
	}
	for _, st := range full.Trace {
		if out.event("step", st) != nil {
			return
		}
	}
	for _, c := range full.Citations {
		if out.event("citation", c) != nil {
			return
		}
	}
	_ = out.event("done", full)
}

// writeTimeout is server.write_timeout.
func (s *Server) writeTimeout() time.Duration {
	return time.Duration(s.opts.Config.Server.WriteTimeout)
}
