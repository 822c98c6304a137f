package server

import (
	"crypto/rand"
	"net/http"
	"time"

	"github.com/ragline/ragline/internal/agent"
	"github.com/ragline/ragline/internal/schema"
)

// streamCompletionLive answers a streaming chat completion as the answer
// is produced: the assistant-role chunk and one content chunk per piece
// (model tokens, or a cited sentence from the extractive generator) as
// they arrive, then the finishing chunk with the citations, the usage
// chunk when asked for, and "[DONE]". Until the first chunk, errors keep
// their status code; after it, an error ends the stream with an error
// object, as OpenAI does.
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
	resp, err := s.agent.Run(r.Context(), agent.Request{
		Collection: collection, Question: conv.question, History: conv.history,
		OnDelta: func(text string) error {
			if err := start(); err != nil || out == nil {
				return err
			}
			return out.data(chunk(delta(chunkDelta{Content: text})))
		},
	})
	if err != nil && r.Context().Err() != nil {
		return // the client went away
	}
	if err != nil {
		if out == nil {
			s.writeError(w, r, err)
			return
		}
		_ = out.data(map[string]any{"error": s.toAPIError(r, err)})
		return
	}
	c.Usage = usageOf(conv, resp)
	c.Citations = resp.Citations
	if c.Citations == nil {
		c.Citations = []schema.Citation{}
	}
	c.Ragline = raglineExtension{Digest: resp.Digest, NoAnswer: resp.NoAnswer}
	c.Choices = []completionChoice{{Message: assistantOutput{Role: "assistant", Content: resp.Answer}, FinishReason: "stop"}}
	if start(); out == nil {
		writeJSON(w, http.StatusOK, c)
		return
	}
	stop := "stop"
	if out.data(finalChunk{completionChunk: chunk([]chunkChoice{{FinishReason: &stop}}), Citations: c.Citations, Ragline: c.Ragline}) != nil {
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
