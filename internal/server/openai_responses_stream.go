package server

import (
	"net/http"
)

// streamResponse answers a Responses request as Responses events:
// response.created and response.in_progress, the message item and its
// output_text part opening, one response.output_text.delta per piece of
// the answer, then one response.output_text.annotation.added per cited
// marker, the text, part and item closing, and response.completed (or
// response.incomplete when cut at max_output_tokens) with the whole
// response. An error after the stream started ends it with
// response.failed.
func (s *Server) streamResponse(w http.ResponseWriter, r *http.Request, req responsesRequest, t responseTurn, collection string) {
	o := newResponse(req, t)
	itemID := messageID(o.ID)
	seq := 0
	var out *sse
	send := func(typ string, fields map[string]any) error {
		fields["type"] = typ
		fields["sequence_number"] = seq
		seq++
		return out.event(typ, fields)
	}
	flushes := true
	start := func() error {
		if out != nil || !flushes {
			return nil
		}
		if out, flushes = newSSE(w); out == nil {
			return nil
		}
		item := responseMessage{Type: "message", ID: itemID, Status: "in_progress", Role: "assistant", Content: []responseOutput{}}
		part := responseOutput{Type: "output_text", Text: "", Annotations: []responseAnnotation{}, Logprobs: []any{}}
		for _, e := range []struct {
			typ    string
			fields map[string]any
		}{
			{"response.created", map[string]any{"response": o}},
			{"response.in_progress", map[string]any{"response": o}},
			{"response.output_item.added", map[string]any{"output_index": 0, "item": item}},
			{"response.content_part.added", map[string]any{"item_id": itemID, "output_index": 0, "content_index": 0, "part": part}},
		} {
			if err := send(e.typ, e.fields); err != nil {
				return err
			}
		}
		return nil
	}
	// The answer ends before the connection's write deadline (see
	// runAgent), so a long one ends with response.failed the client can read.
	resp, err := s.answerConversation(r, collection, t.conv, t.conv.controls, func(text string) error {
		if err := start(); err != nil || out == nil {
			return err
		}
		return send("response.output_text.delta", map[string]any{"item_id": itemID, "output_index": 0, "content_index": 0, "delta": text, "logprobs": []any{}})
	})
	if err != nil && r.Context().Err() != nil {
		return // the client went away
	}
	var done responseObject
	if err == nil {
		done, err = s.finishResponse(r, req, t, resp)
	}
	if err != nil {
		err = answerError(err)
		if out == nil {
			s.writeError(w, r, err)
			return
		}
		o.Status, o.Error = "failed", s.streamError(w, r, err)
		_ = send("response.failed", map[string]any{"response": o})
		return
	}
	if start(); out == nil {
		writeJSON(w, http.StatusOK, done)
		return
	}
	msg := done.Output[0]
	part := msg.Content[0]
	for i, a := range part.Annotations {
		if send("response.output_text.annotation.added", map[string]any{"item_id": itemID, "output_index": 0, "content_index": 0,
			"annotation_index": i, "annotation": a}) != nil {
			return
		}
	}
	final := "response.completed"
	if done.Status == "incomplete" {
		final = "response.incomplete"
	}
	for _, e := range []struct {
		typ    string
		fields map[string]any
	}{
		{"response.output_text.done", map[string]any{"item_id": itemID, "output_index": 0, "content_index": 0, "text": part.Text, "logprobs": []any{}}},
		{"response.content_part.done", map[string]any{"item_id": itemID, "output_index": 0, "content_index": 0, "part": part}},
		{"response.output_item.done", map[string]any{"output_index": 0, "item": msg}},
		{final, map[string]any{"response": done}},
	} {
		if send(e.typ, e.fields) != nil {
			return
		}
	}
}
