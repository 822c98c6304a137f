package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ragline/ragline/internal/model"
)

// Options configure a Client.
type Options struct {
	// Provider names the endpoint in errors ("openai").
	Provider string
	// BaseURL is the API root, e.g. http://vllm:8000/v1; for Azure the
	// deployment URL https://NAME.openai.azure.com/openai/deployments/DEP.
	BaseURL string
	Model   string
	APIKey  string
	// APIVersion selects Azure OpenAI (api-version query, api-key header).
	APIVersion string
	// Timeout bounds one attempt (see the package documentation).
	Timeout time.Duration
	// MaxRetries is the number of retries after the first attempt.
	MaxRetries int
	// Temperature is sent with every chat request unless the request
	// sets its own.
	Temperature float64
	// MaxTokens caps completions unless the request sets its own.
	MaxTokens int
	// Dimensions is the embedding length (checked on every response).
	Dimensions int
	// SendDimensions sends Dimensions in embedding requests.
	SendDimensions bool
	// BatchSize and Concurrency bound embedding requests.
	BatchSize   int
	Concurrency int
	// OnUsage, when set, receives the token usage of every successful
	// call (chat and embeddings).
	OnUsage func(model string, u model.Usage)
	// HTTPClient defaults to a client with no overall timeout (attempts
	// have their own deadlines).
	HTTPClient *http.Client
	// MinBackoff and MaxBackoff bound the retry delay (default 500 ms and
	// 30 s); Retry-After may ask for longer, up to MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
}

// Client speaks the OpenAI wire protocol. It implements model.Chat and
// model.Embedder and is safe for concurrent use.
type Client struct {
	o    Options
	base *url.URL
	http *http.Client
	// wait sleeps between attempts; tests replace it to record delays.
	wait func(ctx context.Context, d time.Duration) error
}

var (
	_ model.Chat     = (*Client)(nil)
	_ model.Embedder = (*Client)(nil)
)

// New returns a client; it makes no request.
func New(o Options) (*Client, error) {
	if o.Provider == "" {
		o.Provider = "openai"
	}
	u, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: base URL %q is not an http(s) URL", o.Provider, o.BaseURL)
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 64
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: http.DefaultTransport}
	}
	return &Client{o: o, base: u, http: hc, wait: sleepCtx}, nil
}

// Model returns the configured model name.
func (c *Client) Model() string { return c.o.Model }

// Error is a failed model call.
type Error struct {
	Provider string
	Model    string
	// Status is the HTTP status (0 for a transport failure).
	Status int
	// Message is the server's own error text, or the transport error.
	Message string
	// Attempts is the number of requests made.
	Attempts int
	// Err is the underlying transport or context error, if any.
	Err error
}

// Error reads "openai model gpt-4o: HTTP 401: Incorrect API key provided".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s model %s: ", e.Provider, e.Model)
	if e.Status != 0 {
		fmt.Fprintf(&b, "HTTP %d: ", e.Status)
	}
	b.WriteString(e.Message)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap returns the transport or context error.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether a later retry could succeed.
func (e *Error) Temporary() bool { return retryableStatus(e.Status) || (e.Status == 0 && e.Err != nil) }

func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500
}

// endpoint returns the URL of an API path ("chat/completions").
func (c *Client) endpoint(path string) string {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + "/" + path
	if c.o.APIVersion != "" {
		q := u.Query()
		q.Set("api-version", c.o.APIVersion)
		u.RawQuery = q.Encode()
	}
	return u.String()
}

func (c *Client) newRequest(ctx context.Context, path string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(path), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.o.APIKey != "" {
		if c.o.APIVersion != "" {
			req.Header.Set("api-key", c.o.APIKey)
		} else {
			req.Header.Set("Authorization", "Bearer "+c.o.APIKey)
		}
	}
	return req, nil
}

// errAttemptTimeout is the cause of an attempt cancelled by its deadline.
var errAttemptTimeout = errors.New("timed out")

// do sends payload to path, retrying retryable failures. On success the
// caller owns resp.Body and must call wd.done when finished with it; the
// attempt's deadline keeps running, and a stream extends it with
// wd.kick for every piece it reads.
// attempts counts the requests made so far across calls of do (a stream
// that breaks before its first piece is retried by its caller with the
// same budget); last is the previous failure, whose backoff applies.
func (c *Client) do(ctx context.Context, path string, payload any, attempts *int, last *Error) (*http.Response, *watchdog, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, nil, fmt.Errorf("%s model %s: encode request: %w", c.o.Provider, c.o.Model, err)
	}
	for {
		if *attempts > 0 && last != nil {
			if err := c.sleep(ctx, *attempts, last); err != nil {
				return nil, nil, err
			}
		}
		resp, wd, e := c.once(ctx, path, body)
		*attempts++
		if e == nil {
			return resp, wd, nil
		}
		e.Attempts = *attempts
		last = e
		if ctx.Err() != nil {
			e.Err = ctx.Err()
			return nil, nil, e
		}
		if !e.Temporary() || *attempts > c.o.MaxRetries {
			return nil, nil, e
		}
	}
}

// sleep waits the backoff before retry n, or returns last (marked given
// up) when ctx ends first.
func (c *Client) sleep(ctx context.Context, n int, last *Error) error {
	if err := c.wait(ctx, c.backoff(n, last)); err != nil {
		last.Err = err
		last.Message += "; gave up: " + err.Error()
		return last
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryAfterErr carries a server's Retry-After with the error.
type retryAfterErr struct{ d time.Duration }

func (r retryAfterErr) Error() string { return "retry after " + r.d.String() }

// once makes one attempt.
func (c *Client) once(ctx context.Context, path string, body []byte) (*http.Response, *watchdog, *Error) {
	actx, cancel := context.WithCancelCause(ctx)
	wd := newWatchdog(actx, c.o.Timeout, cancel)
	req, err := c.newRequest(actx, path, body)
	if err != nil {
		wd.done()
		return nil, nil, &Error{Provider: c.o.Provider, Model: c.o.Model, Message: err.Error()}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		cause := context.Cause(actx)
		wd.done()
		msg := err.Error()
		if errors.Is(cause, errAttemptTimeout) {
			msg = fmt.Sprintf("no response within %s", c.o.Timeout)
			err = errAttemptTimeout
		} else {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				msg = "timed out: " + msg
			}
		}
		return nil, nil, &Error{Provider: c.o.Provider, Model: c.o.Model, Message: msg, Err: err}
	}
	if resp.StatusCode/100 == 2 {
		return resp, wd, nil
	}
	defer func() {
		resp.Body.Close()
		wd.done()
	}()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &Error{Provider: c.o.Provider, Model: c.o.Model, Status: resp.StatusCode, Message: serverMessage(raw, resp.Status)}
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		e.Err = retryAfterErr{d}
	}
	return nil, nil, e
}

// backoff is the delay before retry n (1-based): the server's
// Retry-After when it sent one, else full jitter over an exponentially
// growing window, both capped by MaxBackoff.
func (c *Client) backoff(n int, last *Error) time.Duration {
	var ra retryAfterErr
	if last != nil && errors.As(last.Err, &ra) {
		return min(ra.d, c.o.MaxBackoff)
	}
	window := c.o.MinBackoff << min(n-1, 16)
	if window > c.o.MaxBackoff || window <= 0 {
		window = c.o.MaxBackoff
	}
	return window/2 + rand.N(window/2+1)
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP
// date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// serverMessage extracts the error text of the error bodies servers
// send: OpenAI/Azure {"error":{"message":...}}, vLLM
// {"object":"error","message":...}, Ollama and TEI {"error":"..."}.
func serverMessage(raw []byte, status string) string {
	var body struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  any             `json:"detail"`
	}
	if json.Unmarshal(raw, &body) == nil {
		if len(body.Error) > 0 {
			var s string
			if json.Unmarshal(body.Error, &s) == nil && s != "" {
				return s
			}
			var obj struct {
				Message string `json:"message"`
				Type    string `json:"type"`
				Code    any    `json:"code"`
			}
			if json.Unmarshal(body.Error, &obj) == nil && obj.Message != "" {
				if code, ok := obj.Code.(string); ok && code != "" {
					return obj.Message + " (" + code + ")"
				}
				return obj.Message
			}
		}
		if body.Message != "" {
			return body.Message
		}
		if body.Detail != nil {
			b, _ := json.Marshal(body.Detail)
			return string(b)
		}
	}
	t := strings.TrimSpace(string(raw))
	if t == "" {
		return status
	}
	if len(t) > 500 {
		t = t[:500] + "…"
	}
	return t
}

// watchdog cancels an attempt that makes no progress for its timeout.
type watchdog struct {
	ctx     context.Context
	timeout time.Duration
	timer   *time.Timer
	cancel  context.CancelCauseFunc
}

func newWatchdog(ctx context.Context, d time.Duration, cancel context.CancelCauseFunc) *watchdog {
	w := &watchdog{ctx: ctx, timeout: d, cancel: cancel}
	w.timer = time.AfterFunc(d, func() { cancel(errAttemptTimeout) })
	return w
}

// kick restarts the deadline after progress.
func (w *watchdog) kick() { w.timer.Reset(w.timeout) }

// timedOut reports whether the deadline cancelled the attempt.
func (w *watchdog) timedOut() bool { return errors.Is(context.Cause(w.ctx), errAttemptTimeout) }

// done stops the deadline and releases the attempt's context.
func (w *watchdog) done() {
	w.timer.Stop()
	w.cancel(nil)
}
