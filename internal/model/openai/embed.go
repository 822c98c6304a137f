package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"golang.org/x/sync/errgroup"

	"github.com/ragline/ragline/internal/model"
)

type (
	embedPayload struct {
		Model          string   `json:"model"`
		Input          []string `json:"input"`
		EncodingFormat string   `json:"encoding_format"`
		Dimensions     int      `json:"dimensions,omitempty"`
	}
	embedResponse struct {
		Data []struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		} `json:"data"`
		Usage *wireUsage `json:"usage"`
	}
)

// ID names the embedder: "openai:" and the model.
func (c *Client) ID() string { return c.o.Provider + ":" + c.o.Model }

// Dimensions is the configured vector length.
func (c *Client) Dimensions() int { return c.o.Dimensions }

// Embed returns one vector per text, in order. Texts are sent in batches
// of BatchSize with at most Concurrency requests in flight; the first
// failure cancels the rest.
func (c *Client) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.o.Concurrency)
	for start := 0; start < len(texts); start += c.o.BatchSize {
		end := min(start+c.o.BatchSize, len(texts))
		g.Go(func() error {
			vecs, err := c.embedBatch(gctx, texts[start:end])
			if err != nil {
				return err
			}
			copy(out[start:end], vecs)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Client) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	p := embedPayload{Model: c.o.Model, Input: texts, EncodingFormat: "float"}
	if c.o.SendDimensions {
		p.Dimensions = c.o.Dimensions
	}
	attempts := 0
	var last *Error
	for {
		vecs, err := c.embedOnce(ctx, p, &attempts, last)
		if err == nil {
			return vecs, nil
		}
		var e *Error
		if !errors.As(err, &e) || e.Status != 0 || !e.Temporary() || ctx.Err() != nil || attempts > c.o.MaxRetries {
			return nil, err
		}
		last = e
	}
}

func (c *Client) embedOnce(ctx context.Context, p embedPayload, attempts *int, last *Error) ([][]float32, error) {
	resp, wd, err := c.do(ctx, "embeddings", p, attempts, last)
	if err != nil {
		return nil, err
	}
	defer wd.done()
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		e := c.readError(ctx, wd, err)
		e.Attempts = *attempts
		return nil, e
	}
	var er embedResponse
	if err := json.Unmarshal(raw, &er); err != nil {
		return nil, c.fail(fmt.Sprintf("unreadable embeddings response (%v): %.200s", err, raw), nil)
	}
	if len(er.Data) != len(p.Input) {
		return nil, c.fail(fmt.Sprintf("asked for %d embeddings, got %d", len(p.Input), len(er.Data)), nil)
	}
	out := make([][]float32, len(p.Input))
	for i, d := range er.Data {
		idx := d.Index
		if idx < 0 || idx >= len(out) || out[idx] != nil {
			idx = i // servers that omit or repeat the index answer in order
		}
		if c.o.Dimensions > 0 && len(d.Embedding) != c.o.Dimensions {
			return nil, c.fail(fmt.Sprintf("the server returned %d-dimensional vectors but models.embedding.dimensions is %d", len(d.Embedding), c.o.Dimensions), nil)
		}
		out[idx] = d.Embedding
	}
	c.report(er.Usage.usage())
	return out, nil
}

var _ model.Embedder = (*Client)(nil)
