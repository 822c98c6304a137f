package server

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestLimiterBucket(t *testing.T) {
	type step struct {
		advance time.Duration
		key     string
		ok      bool
		wait    time.Duration // when refused
	}
	cases := []struct {
		name  string
		rate  float64
		burst int
		steps []step
	}{
		{"burst then refuse", 1, 3, []step{
			{0, "a", true, 0}, {0, "a", true, 0}, {0, "a", true, 0}, {0, "a", false, time.Second},
		}},
		{"keys are independent", 1, 1, []step{
			{0, "a", true, 0}, {0, "a", false, time.Second}, {0, "b", true, 0},
		}},
		{"refill", 1, 2, []step{
			{0, "a", true, 0}, {0, "a", true, 0}, {0, "a", false, time.Second},
			{400 * time.Millisecond, "a", false, 600 * time.Millisecond},
			{600 * time.Millisecond, "a", true, 0}, {0, "a", false, time.Second},
		}},
		{"refill stops at burst", 1, 2, []step{
			{0, "a", true, 0}, {time.Hour, "a", true, 0}, {0, "a", true, 0}, {0, "a", false, time.Second},
		}},
		{"slow rate", 0.5, 1, []step{
			{0, "a", true, 0}, {0, "a", false, 2 * time.Second}, {time.Second, "a", false, time.Second}, {time.Second, "a", true, 0},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := newFakeClock()
			l := newLimiter(c.rate, c.burst, clock.now)
			for i, s := range c.steps {
				clock.advance(s.advance)
				ok, wait := l.take(s.key)
				if ok != s.ok || (!ok && wait != s.wait) {
					t.Fatalf("step %d (%s): ok %v wait %v, want ok %v wait %v", i, s.key, ok, wait, s.ok, s.wait)
				}
			}
		})
	}
	if newLimiter(0, 5, time.Now) != nil {
		t.Error("rate 0 must disable the limiter")
	}
}

// TestLimiterEvicts checks that buckets do not pile up: an idle bucket
// goes once it is full again, and there are never more than max.
func TestLimiterEvicts(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(1, 2, clock.now) // a bucket fills in 2 s
	for _, k := range []string{"a", "b", "c"} {
		l.take(k)
	}
	if n := l.size(); n != 3 {
		t.Fatalf("%d buckets, want 3", n)
	}
	clock.advance(1500 * time.Millisecond)
	l.take("c")
	if n := l.size(); n != 3 {
		t.Fatalf("%d buckets before any is full, want 3", n)
	}
	clock.advance(time.Second) // a and b are full again; c is not
	l.take("d")
	if n := l.size(); n != 2 {
		t.Fatalf("%d buckets after a and b went idle, want 2 (c, d)", n)
	}

	l.max = 3
	for _, k := range []string{"e", "f", "g"} {
		l.take(k)
	}
	// c and d, the least recently seen, made room for f and g.
	if got := slices.Sorted(maps.Keys(l.buckets)); !slices.Equal(got, []string{"e", "f", "g"}) {
		t.Fatalf("buckets %v, want the 3 most recent: e f g", got)
	}
}

func TestClientAddr(t *testing.T) {
	cases := []struct{ remote, want string }{
		{"192.0.2.7:5123", "192.0.2.7"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.7]:80", "192.0.2.7"},
		{"@", "@"}, // a unix socket peer
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		r.Header.Set("X-Forwarded-For", "203.0.113.9")
		if got := clientAddr(r); got != c.want {
			t.Errorf("clientAddr(%q) = %q, want %q", c.remote, got, c.want)
		}
	}
}

// limitedServer serves with a rate of 1 request per second and a burst of
// 3, on a clock the test moves.
func limitedServer(t *testing.T, keys []config.APIKey) (*httptest.Server, *fakeClock) {
	t.Helper()
	cfg := config.Default()
	cfg.Server.Keys = keys
	cfg.Server.RateLimit = config.RateLimitConfig{RequestsPerSecond: 1, Burst: 3}
	k, err := kb.Open(context.Background(), cfg, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	s := New(k, Options{Config: cfg})
	clock := newFakeClock()
	s.limiter.now = clock.now
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, clock
}

func TestRateLimit(t *testing.T) {
	t.Run("per key", func(t *testing.T) {
		srv, clock := limitedServer(t, []config.APIKey{
			{Name: "a", Hash: HashKey("key-a"), Scopes: []string{"chat"}},
			{Name: "b", Hash: HashKey("key-b"), Scopes: []string{"chat"}},
		})
		collections := func(key string) request { return request{method: "GET", path: "/v1/collections", header: bearer(key)} }
		for i := range 3 {
			if resp, out := send(t, srv.URL, collections("key-a")); resp.StatusCode != 200 {
				t.Fatalf("request %d: %d %v", i+1, resp.StatusCode, out)
			}
		}
		resp, out := send(t, srv.URL, collections("key-a"))
		checkLimited(t, resp, out)
		if resp, out := send(t, srv.URL, collections("key-b")); resp.StatusCode != 200 {
			t.Fatalf("another key: %d %v", resp.StatusCode, out)
		}
		if resp, _ := send(t, srv.URL, collections("wrong")); resp.StatusCode != 401 {
			t.Fatalf("a bad key: %d, want 401 before any rate limit", resp.StatusCode)
		}
		if resp, _ := http.Get(srv.URL + "/healthz"); resp.StatusCode != 200 {
			t.Fatalf("/healthz is limited: %d", resp.StatusCode)
		}
		clock.advance(time.Second)
		if resp, out := send(t, srv.URL, collections("key-a")); resp.StatusCode != 200 {
			t.Fatalf("after a second: %d %v", resp.StatusCode, out)
		}
	})
	t.Run("per address in open mode", func(t *testing.T) {
		srv, _ := limitedServer(t, nil)
		for i := range 3 {
			if resp, out := send(t, srv.URL, request{method: "GET", path: "/v1/models"}); resp.StatusCode != 200 {
				t.Fatalf("request %d: %d %v", i+1, resp.StatusCode, out)
			}
		}
		resp, out := send(t, srv.URL, request{method: "GET", path: "/v1/models"})
		checkLimited(t, resp, out)
		for _, path := range []string{"/healthz", "/readyz", "/version", "/metrics", "/openapi.json"} {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("%s is limited: %d", path, resp.StatusCode)
			}
		}
	})
}

func checkLimited(t *testing.T, resp *http.Response, out map[string]any) {
	t.Helper()
	e, _ := out["error"].(map[string]any)
	if resp.StatusCode != 429 || e == nil || e["type"] != "rate_limited" {
		t.Fatalf("over the burst: %d %v, want 429 rate_limited", resp.StatusCode, out)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After %q, want whole seconds ≥ 1", resp.Header.Get("Retry-After"))
	}
}
