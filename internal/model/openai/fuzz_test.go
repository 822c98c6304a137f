package openai

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// stringBody serves a fixed response body without a network.
type stringBody struct{ body string }

func (s stringBody) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body: io.NopCloser(strings.NewReader(s.body)), Request: r}, nil
}

// FuzzStream feeds arbitrary server output to the stream reader: it must
// return (text or an error), never panic or hang, and what it delivered
// must be what it returns.
func FuzzStream(f *testing.F) {
	f.Add("data: {\"choices\":[{\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	f.Add("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":3,\"id\":\"x\",\"function\":{\"name\":\"f\",\"arguments\":\"{\"}}]}}]}\n\n")
	f.Add("data: {\"error\":{\"message\":\"boom\"}}\n\n")
	f.Add(": keep-alive\n\nevent: x\ndata: {\"choices\":[]}\n")
	f.Add("data: {\"choices\":[{\"delta\":{\"content\":null}}],\"usage\":{\"prompt_tokens\":-1}}\r\n\r\n")
	f.Fuzz(func(t *testing.T, body string) {
		c, err := New(Options{BaseURL: "http://model.invalid/v1", Model: "m", HTTPClient: &http.Client{Transport: stringBody{body}}})
		if err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		resp, err := c.Stream(context.Background(), user("q"), func(s string) error { got.WriteString(s); return nil })
		if err == nil && resp.Message.Content != got.String() {
			t.Fatalf("returned %q, delivered %q", resp.Message.Content, got.String())
		}
	})
}
