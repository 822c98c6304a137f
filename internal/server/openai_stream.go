package server

import (
	"crypto/rand"
	"net/http"
	"strings"
	"time"

	"github.com/ragline/ragline/internal/model"
)

// streamCompletionLive answers a streaming chat completion as the answer
// is produced: the assistant-role chunk and one content chunk per piece
// (model tokens, or a cited sentence from the extractive generator) or
// tool-call piece as they arrive, then the finishing chunk with the
// annotations and citations, the usage chunk when asked for, and
// "[DONE]". Until the first chunk, errors keep their status code; after
// it, an error ends the stream with an error object, as OpenAI does.
func (s *Server) streamCompletionLive(w http.ResponseWriter, r *http.Request, req completionRequest, conv conversation, collection string) {
	c := completion{ID: "chatcmpl-" + rand.Text(), Object: "chat.completion", Created: time.Now().Unix(), Model: req.Model}
	chunk := func(choices []chunkChoice) completionChunk {
		return completionChunk{ID: c.ID, Object: "chat.completion.chunk", Created: c.Created, Model: c.Model, Choices: choices}
	}
	delta := func(d chunkDelta) []chunkChoice { return []chunkChoice{{Delta: d}} }
	var out *sse
	flushes := true
	start := func() error {
		if out != nil || !flushes {
			return nil
		}
		if out, flushes = newSSE(w); out == nil {
			return nil
		}
		return out.data(chunk(delta(chunkDelta{Role: "assistant"})))
	}
	ctl := *conv.controls
	streamedCalls := 0
	ctl.OnToolCall = func(d model.ToolCallDelta) error {
		streamedCalls++
		if err := start(); err != nil || out == nil {
			return err
		}
		i := d.Index
		tc := wireToolCall(&i, d.ID, d.Name, d.Arguments)
		if d.ID == "" {
			tc.Type = ""
		}
		return out.data(chunk(delta(chunkDelta{ToolCalls: []openAIToolCall{tc}})))
	}
	// The answer ends before the connection's write deadline (see
	// runAgent), so a long one ends with an error chunk the client can read.
	var sent strings.Builder
	resp, err := s.answerConversation(r, collection, conv, &ctl, func(text string) error {
		if err := start(); err != nil || out == nil {
			return err
		}
		sent.WriteString(text)
		return out.data(chunk(delta(chunkDelta{Content: text})))
	})
	if err != nil && r.Context().Err() != nil {
		return // the client went away
	}
	if err != nil {
		err = answerError(err)
		if out == nil {
			s.writeError(w, r, err)
			return
		}
		_ = out.data(map[string]any{"error": s.streamError(w, r, err)})
		return
	}
	s.fillCompletion(r, &c, conv, resp, "chat.completions")
	if start(); out == nil {
		writeJSON(w, http.StatusOK, c)
		return
	}
	if len(resp.ToolCalls) > 0 && streamedCalls == 0 {
		// Tool calls that were not streamed piece by piece still reach
		// the client, whole.
		calls := make([]openAIToolCall, len(resp.ToolCalls))
		for i, tc := range resp.ToolCalls {
			calls[i] = wireToolCall(&i, tc.ID, tc.Name, tc.Arguments)
		}
		if out.data(chunk(delta(chunkDelta{ToolCalls: calls}))) != nil {
			return
		}
	}
	finish := c.Choices[0].FinishReason
	// The annotations index the content as the client assembled it from
	// the pieces.
	ann := chatAnnotations(baseURL(r), sent.String(), resp.Citations)
	last := chunk([]chunkChoice{{Delta: chunkDelta{Annotations: ann}, FinishReason: &finish}})
	if out.data(finalChunk{completionChunk: last, Citations: c.Citations, Ragline: c.Ragline}) != nil {
		return
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		u := chunk([]chunkChoice{})
		u.Usage = &c.Usage
		if out.data(u) != nil {
			return
		}
	}
	_ = out.raw("[DONE]")
}
