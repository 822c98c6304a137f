package telemetry

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// discardLog silences net/http's report of a recovered handler panic.
var discardLog = log.New(io.Discard, "", 0)

const internalErrorBody = `{"error":{"type":"internal","message":"internal error"}}`

func TestMiddlewareRecordsStatus(t *testing.T) {
	m := New()
	routes := map[string]http.HandlerFunc{
		"GET /ok": func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") },
		"POST /created": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusCreated)
		},
		"GET /missing": http.NotFound,
		"POST /fail": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, internalErrorBody+"\n")
		},
		"GET /hints": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "</style.css>; rel=preload; as=style")
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusAccepted)
		},
		"GET /stream": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, "data: a\n\n")
			f, ok := w.(http.Flusher)
			if !ok {
				http.Error(w, "no flusher", http.StatusInternalServerError)
				return
			}
			f.Flush()
			_, _ = io.WriteString(w, "data: b\n\n")
			if err := http.NewResponseController(w).Flush(); err != nil {
				_, _ = io.WriteString(w, "flush failed")
			}
		},
		"POST /panic": func(w http.ResponseWriter, r *http.Request) { panic("boom") },
		"POST /panic-after-write": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			panic("boom")
		},
		"/any": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) },
	}
	handlers := map[string]http.Handler{}
	for pattern, h := range routes {
		handlers[pattern] = m.Middleware(pattern, h)
	}
	srv := serve(t, m, handlers)
	// No keep-alive: a reused connection lets the client retry a request
	// whose connection dropped, which would run a panicking handler twice.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	t.Cleanup(client.CloseIdleConnections)

	tests := []struct {
		name, method, path string
		wantStatus         int // 0: the connection is dropped
		wantBody           string
		route, code        string
	}{
		{"200 by default", "GET", "/ok", 200, "ok", "GET /ok", "200"},
		{"200 again", "GET", "/ok", 200, "ok", "GET /ok", "200"},
		{"explicit status", "POST", "/created", 201, "", "POST /created", "201"},
		{"404", "GET", "/missing", 404, "404 page not found\n", "GET /missing", "404"},
		{"500 error shape", "POST", "/fail", 500, internalErrorBody + "\n", "POST /fail", "500"},
		{"1xx is not final", "GET", "/hints", 202, "", "GET /hints", "202"},
		{"streaming flushes", "GET", "/stream", 200, "data: a\n\ndata: b\n\n", "GET /stream", "200"},
		{"panic", "POST", "/panic", 0, "", "POST /panic", "500"},
		{"served after panic", "GET", "/ok", 200, "ok", "GET /ok", "200"},
		{"panic after header", "POST", "/panic-after-write", 0, "", "POST /panic-after-write", "500"},
		{"unknown method", "BREW", "/any", 204, "", "/any", "204"},
		{"known method on any", "DELETE", "/any", 204, "", "/any", "204"},
	}
	counts := map[[3]string]float64{}
	perRoute := map[string]float64{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if tt.wantStatus == 0 {
				if err == nil {
					// Headers already sent: the body must end abruptly.
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				if err == nil {
					t.Fatalf("request succeeded, want a dropped connection")
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != tt.wantStatus || string(body) != tt.wantBody {
					t.Fatalf("got %d %q, want %d %q", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
				}
			}
		})
		method := tt.method
		if method == "BREW" {
			method = "other"
		}
		counts[[3]string{tt.route, method, tt.code}]++
		perRoute[tt.route]++
	}

	fams := scrape(t, srv)
	var want []wantSample
	for k, n := range counts {
		want = append(want, wantSample{"ragline_http_requests_total", lbl("route", k[0], "method", k[1], "code", k[2]), n})
	}
	for route, n := range perRoute {
		want = append(want, wantSample{"ragline_http_request_duration_seconds", lbl("route", route), n})
	}
	checkSamples(t, fams, want)
	if got := len(fams["ragline_http_requests_total"].GetMetric()); got != len(counts) {
		t.Errorf("%d request series, want %d: %v", got, len(counts), series(fams, "ragline_http_requests_total"))
	}
}

func TestMiddlewareClientDisconnect(t *testing.T) {
	tests := []struct {
		name    string
		before  func(w http.ResponseWriter) // runs before the client goes away
		after   func(w http.ResponseWriter) // runs after the request's context ends
		code    string
		errWant bool
	}{
		{
			name:  "status written after disconnect",
			after: func(w http.ResponseWriter) { w.WriteHeader(499) },
			code:  "499",
		},
		{
			name:  "nothing written",
			after: func(w http.ResponseWriter) {},
			code:  "200",
		},
		{
			name: "status written before disconnect",
			before: func(w http.ResponseWriter) {
				w.WriteHeader(http.StatusAccepted)
				http.NewResponseController(w).Flush()
			},
			after: func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) },
			code:  "202",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			started, done := make(chan struct{}), make(chan struct{})
			inner := m.Middleware("GET /slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.before != nil {
					tt.before(w)
				}
				close(started)
				<-r.Context().Done()
				tt.after(w)
			}))
			srv := serve(t, m, map[string]http.Handler{
				"GET /slow": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					defer close(done)
					inner.ServeHTTP(w, r)
				}),
			})

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/slow", nil)
			errc := make(chan error, 1)
			go func() {
				resp, err := srv.Client().Do(req)
				if err == nil {
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				errc <- err
			}()
			<-started
			cancel()
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Fatalf("client error %v, want context.Canceled", err)
			}
			<-done
			checkSamples(t, scrape(t, srv), []wantSample{
				{"ragline_http_requests_total", lbl("route", "GET /slow", "method", "GET", "code", tt.code), 1},
			})
		})
	}
}

func TestMiddlewareRouteLabelIsThePattern(t *testing.T) {
	m := New()
	srv := serve(t, m, map[string]http.Handler{
		"GET /v1/docs/{id}": m.Middleware("GET /v1/docs/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})),
	})
	for _, id := range []string{"a", "b", "c"} {
		resp, err := srv.Client().Get(srv.URL + "/v1/docs/" + id)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	fams := scrape(t, srv)
	checkSamples(t, fams, []wantSample{
		{"ragline_http_requests_total", lbl("route", "GET /v1/docs/{id}", "method", "GET", "code", "200"), 3},
	})
	if got := series(fams, "ragline_http_requests_total"); len(got) != 1 || strings.Contains(got[0], "/v1/docs/a") {
		t.Errorf("series %v, want one per route pattern", got)
	}
}

func TestMiddlewareDurationSeriesExistsBeforeFirstRequest(t *testing.T) {
	m := New()
	m.Middleware("GET /v1/chat", http.NotFoundHandler())
	fams := scrape(t, serve(t, m, nil))
	checkSamples(t, fams, []wantSample{
		{"ragline_http_request_duration_seconds", lbl("route", "GET /v1/chat"), 0},
	})
}

// TestStatusWriter checks the orderings of WriteHeader, Write and Flush
// whose later calls a client cannot observe.
func TestStatusWriter(t *testing.T) {
	tests := []struct {
		name  string
		write func(w http.ResponseWriter)
		want  int
	}{
		{"nothing", func(w http.ResponseWriter) {}, 200},
		{"write implies 200", func(w http.ResponseWriter) { _, _ = w.Write([]byte("x")); w.WriteHeader(500) }, 200},
		{"first final status wins", func(w http.ResponseWriter) { w.WriteHeader(404); w.WriteHeader(500) }, 404},
		{"1xx skipped", func(w http.ResponseWriter) { w.WriteHeader(100); w.WriteHeader(103); w.WriteHeader(418) }, 418},
		{"101 is final", func(w http.ResponseWriter) { w.WriteHeader(101) }, 101},
		{"flush implies 200", func(w http.ResponseWriter) { w.(http.Flusher).Flush(); w.WriteHeader(500) }, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sw := &statusWriter{ResponseWriter: httptest.NewRecorder(), status: http.StatusOK}
			tt.write(sw)
			if sw.status != tt.want {
				t.Errorf("status %d, want %d", sw.status, tt.want)
			}
		})
	}
}
