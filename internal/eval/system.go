package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/search"
)

// Local evaluates a knowledge base in this process through the same
// answering path the server uses.
type Local struct {
	// RetrieveFunc retrieves n chunks for a query.
	RetrieveFunc func(ctx context.Context, collection, query string, n int) (search.Result, error)
	// AnswerFunc answers a question.
	AnswerFunc func(ctx context.Context, collection, question string) (schema.Response, error)
}

// chunksPerDocument is how many chunks are retrieved per wanted document:
// a long document has several chunks among the best.
const chunksPerDocument = 3

// Retrieve ranks documents by their best chunk.
func (l Local) Retrieve(ctx context.Context, collection, question string, depth int) ([]Retrieved, error) {
	res, err := l.RetrieveFunc(ctx, collection, question, depth*chunksPerDocument)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(res.Hits))
	scores := make([]float64, len(res.Hits))
	for i, h := range res.Hits {
		keys[i], scores[i] = h.DocKey, h.Score
	}
	return bestPerDocument(keys, scores, depth), nil
}

// bestPerDocument keeps the first (best) chunk of each document, up to
// depth documents, in rank order.
func bestPerDocument(keys []string, scores []float64, depth int) []Retrieved {
	out := make([]Retrieved, 0, min(depth, len(keys)))
	seen := make(map[string]bool, len(keys))
	for i, k := range keys {
		if len(out) == depth {
			break
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, Retrieved{ID: k, Score: roundMetric(scores[i])})
		}
	}
	return out
}

// Answer answers the question.
func (l Local) Answer(ctx context.Context, collection, question string) (schema.Response, error) {
	return l.AnswerFunc(ctx, collection, question)
}

// Remote evaluates a running ragline server through its API: documents
// through POST /v1/invoke (target "retrieve"), answers through POST
// /v1/chat. It is safe for concurrent use.
type Remote struct {
	// BaseURL is the server's address, e.g. http://ragline-canary:8080.
	BaseURL string
	// APIKey, when set, is sent as a bearer token.
	APIKey string
	// Client defaults to a client with a 60 s timeout.
	Client *http.Client
	// Retries is how often a 429 or 503 is retried, honouring Retry-After
	// (default 3).
	Retries int
}

// maxRetrieveChunks is the server's limit of one retrieve call.
const maxRetrieveChunks = 1000

// Retrieve ranks documents by their best chunk, as the in-process path.
func (rm *Remote) Retrieve(ctx context.Context, collection, question string, depth int) ([]Retrieved, error) {
	in := map[string]any{"query": question, "top_k": min(depth*chunksPerDocument, maxRetrieveChunks)}
	if collection != "" {
		in["collection"] = collection
	}
	var out struct {
		Hits []struct {
			DocKey string  `json:"doc_key"`
			Score  float64 `json:"score"`
		} `json:"hits"`
	}
	if err := rm.post(ctx, "/v1/invoke", map[string]any{"target": "retrieve", "input": in}, &out); err != nil {
		return nil, err
	}
	keys := make([]string, len(out.Hits))
	scores := make([]float64, len(out.Hits))
	for i, h := range out.Hits {
		keys[i], scores[i] = h.DocKey, h.Score
	}
	return bestPerDocument(keys, scores, depth), nil
}

// Answer asks POST /v1/chat as a stateless request: the server reads and
// keeps no conversation for it.
func (rm *Remote) Answer(ctx context.Context, collection, question string) (schema.Response, error) {
	body := map[string]any{"message": question, "stateless": true}
	if collection != "" {
		body["collection"] = collection
	}
	var resp schema.Response
	err := rm.post(ctx, "/v1/chat", body, &resp)
	return resp, err
}

// ServerInfo is what GET /version reports.
type ServerInfo struct {
	KBDigest     string
	ConfigDigest string
	Version      string
}

// Info reads the server's digests and version from GET /version.
func (rm *Remote) Info(ctx context.Context) (ServerInfo, error) {
	var v struct {
		Build        json.RawMessage `json:"build"`
		KBDigest     string          `json:"kb_digest"`
		ConfigDigest string          `json:"config_digest"`
	}
	if err := rm.do(ctx, http.MethodGet, "/version", nil, &v); err != nil {
		return ServerInfo{}, err
	}
	info := ServerInfo{KBDigest: v.KBDigest, ConfigDigest: v.ConfigDigest}
	var b struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(v.Build, &b) == nil && b.Version != "" {
		info.Version = b.Version
	} else {
		info.Version = strings.Trim(string(v.Build), `"`)
	}
	return info, nil
}

func (rm *Remote) post(ctx context.Context, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return rm.do(ctx, http.MethodPost, path, b, out)
}

// maxRetryWait caps one wait for Retry-After.
const maxRetryWait = 10 * time.Second

func (rm *Remote) do(ctx context.Context, method, path string, body []byte, out any) error {
	client := rm.Client
	if client == nil {
		client = &http.Client{Timeout: 60 * time.Second}
	}
	retries := rm.Retries
	if retries == 0 {
		retries = 3
	}
	url := strings.TrimRight(rm.BaseURL, "/") + path
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", "application/json")
		if rm.APIKey != "" {
			req.Header.Set("Authorization", "Bearer "+rm.APIKey)
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, url, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, url, err)
		}
		if (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) && attempt < retries {
			wait := time.Duration(attempt+1) * 500 * time.Millisecond
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
				wait = time.Duration(s) * time.Second
			}
			select {
			case <-time.After(min(wait, maxRetryWait)):
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if resp.StatusCode/100 != 2 {
			return &HTTPError{Method: method, URL: url, Status: resp.StatusCode, Message: apiMessage(data)}
		}
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: invalid JSON response: %v", method, url, err)
		}
		return nil
	}
}

// HTTPError is a non-2xx answer of the evaluated server.
type HTTPError struct {
	Method, URL string
	Status      int
	Message     string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.URL, e.Status, http.StatusText(e.Status), e.Message)
}

// apiMessage extracts the message of ragline's error shape, or the start
// of the body.
func apiMessage(data []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
		return e.Error.Message
	}
	s := strings.TrimSpace(string(data))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// IsAuthError reports whether err is the server refusing the API key,
// which no retry or other question will fix.
func IsAuthError(err error) bool {
	var he *HTTPError
	return errors.As(err, &he) && (he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden)
}
