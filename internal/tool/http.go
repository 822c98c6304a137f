package tool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// HTTPOptions bound the http_request tool.
type HTTPOptions struct {
	// AllowedHosts are host names or host:port pairs; a host name allows
	// every port. Nothing else may be reached, redirects included.
	AllowedHosts []string
	// AllowedMethods are the methods allowed (GET when empty).
	AllowedMethods []string
	// MaxResponseBytes cuts longer bodies.
	MaxResponseBytes int64
	// Timeout bounds one request.
	Timeout time.Duration
	// Transport, when set, carries the requests (tests record dials).
	Transport http.RoundTripper
}

// HostAllowed reports whether host (host or host:port, as in a URL) is
// on the allow-list.
func HostAllowed(allowed []string, hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	for _, a := range allowed {
		if strings.EqualFold(a, hostport) || strings.EqualFold(a, host) {
			return true
		}
	}
	return false
}

// HTTPRequest calls allow-listed HTTP endpoints.
func HTTPRequest(o HTTPOptions) Tool {
	if len(o.AllowedMethods) == 0 {
		o.AllowedMethods = []string{http.MethodGet}
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = 64 << 10
	}
	tr := o.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	client := &http.Client{
		Transport: tr,
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if !HostAllowed(o.AllowedHosts, req.URL.Host) {
				return fmt.Errorf("%w: redirect to host %q, which is not in tools.http_request.allowed_hosts", ErrDenied, req.URL.Host)
			}
			return nil
		},
	}
	methods, _ := json.Marshal(o.AllowedMethods)
	return Func{S: Spec{
		Name:        "http_request",
		Description: "Make an HTTP request to an allow-listed host and return the status and (size-limited) body.",
		Parameters: json.RawMessage(`{"type":"object","properties":{` +
			`"url":{"type":"string","minLength":1,"maxLength":2048},` +
			`"method":{"type":"string","enum":` + string(methods) + `},` +
			`"headers":{"type":"object","additionalProperties":{"type":"string"}},` +
			`"body":{"type":"string","maxLength":65536}},"required":["url"],"additionalProperties":false}`),
		Risk: RiskMedium,
	}, F: func(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
		var in struct {
			URL     string            `json:"url"`
			Method  string            `json:"method"`
			Headers map[string]string `json:"headers"`
			Body    string            `json:"body"`
		}
		if err := json.Unmarshal(args, &in); err != nil {
			return nil, err
		}
		if in.Method == "" {
			in.Method = o.AllowedMethods[0]
		}
		if !slices.Contains(o.AllowedMethods, in.Method) {
			return nil, fmt.Errorf("%w: method %s (allowed: %s)", ErrDenied, in.Method, strings.Join(o.AllowedMethods, ", "))
		}
		u, err := url.Parse(in.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%w: url: want an absolute http(s) URL, got %q", ErrInvalidArguments, in.URL)
		}
		if u.User != nil {
			return nil, fmt.Errorf("%w: url: credentials in the URL are not allowed", ErrInvalidArguments)
		}
		if !HostAllowed(o.AllowedHosts, u.Host) {
			return nil, fmt.Errorf("%w: host %q is not in tools.http_request.allowed_hosts", ErrDenied, u.Host)
		}
		var body io.Reader
		if in.Body != "" {
			body = strings.NewReader(in.Body)
		}
		req, err := http.NewRequestWithContext(ctx, in.Method, u.String(), body)
		if err != nil {
			return nil, err
		}
		for k, v := range in.Headers {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) && errors.Is(ue.Err, ErrDenied) {
				return nil, ue.Err
			}
			return nil, fmt.Errorf("request: %w", err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, o.MaxResponseBytes+1))
		if err != nil {
			return nil, fmt.Errorf("read response: %w", err)
		}
		truncated := int64(len(b)) > o.MaxResponseBytes
		if truncated {
			b = b[:o.MaxResponseBytes]
		}
		return json.Marshal(map[string]any{
			"status":       resp.StatusCode,
			"content_type": resp.Header.Get("Content-Type"),
			"body":         strings.ToValidUTF8(string(b), "\uFFFD"),
			"truncated":    truncated,
		})
	}}
}
