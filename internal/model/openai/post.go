package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// PostJSON sends payload to path (relative to the base URL) and decodes
// the JSON answer into out, with the same deadlines, retries and error
// reporting as the chat and embedding calls. Rerank providers use it.
func (c *Client) PostJSON(ctx context.Context, path string, payload, out any) error {
	attempts := 0
	var last *Error
	for {
		err := c.postOnce(ctx, path, payload, out, &attempts, last)
		if err == nil {
			return nil
		}
		var e *Error
		if !errors.As(err, &e) || e.Status != 0 || !e.Temporary() || ctx.Err() != nil || attempts > c.o.MaxRetries {
			return err
		}
		last = e
	}
}

func (c *Client) postOnce(ctx context.Context, path string, payload, out any, attempts *int, last *Error) error {
	resp, wd, err := c.do(ctx, path, payload, attempts, last)
	if err != nil {
		return err
	}
	defer wd.done()
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		e := c.readError(ctx, wd, err)
		e.Attempts = *attempts
		return e
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return c.fail(fmt.Sprintf("unreadable response (%v): %.200s", err, raw), nil)
	}
	return nil
}
