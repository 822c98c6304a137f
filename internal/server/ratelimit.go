package server

import (
	"container/list"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// maxBuckets bounds the limiter's memory when more clients than this are
// active at once (a flood from many addresses): the least recently seen
// bucket is then dropped, which hands that client a fresh burst.
const maxBuckets = 10000

// limiter is a token bucket per client: each holds up to burst tokens,
// refills at rate tokens per second, and a request takes one. A bucket
// idle long enough to be full again is the same as no bucket and is
// dropped, so memory follows the clients active within the last
// burst/rate seconds, never the clients ever seen. It is safe for
// concurrent use.
type limiter struct {
	rate  float64
	burst float64
	// fill is how long an empty bucket takes to fill.
	fill time.Duration
	now  func() time.Time
	max  int

	mu sync.Mutex
	// lru orders buckets by last use, most recent at the front.
	lru     *list.List
	buckets map[string]*list.Element
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time
}

// newLimiter returns a limiter, or nil when rate is not positive (no
// limit).
func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	if rate <= 0 {
		return nil
	}
	burst = max(burst, 1)
	return &limiter{
		rate: rate, burst: float64(burst), fill: time.Duration(float64(burst) / rate * float64(time.Second)),
		now: now, max: maxBuckets, lru: list.New(), buckets: map[string]*list.Element{},
	}
}

// take spends one token of key's bucket. When the bucket is empty it
// reports false and how long until the next token.
func (l *limiter) take(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var b *bucket
	if e, ok := l.buckets[key]; ok {
		b = e.Value.(*bucket)
		if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
			b.tokens = math.Min(l.burst, b.tokens+elapsed*l.rate)
		}
		b.last = now
		l.lru.MoveToFront(e)
	} else {
		b = &bucket{key: key, tokens: l.burst, last: now}
		l.buckets[key] = l.lru.PushFront(b)
	}
	l.evict(now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// evict drops buckets from the least recently used end while they are
// full again, or while there are more than max.
func (l *limiter) evict(now time.Time) {
	for e := l.lru.Back(); e != nil; e = l.lru.Back() {
		b := e.Value.(*bucket)
		if l.lru.Len() <= l.max && now.Sub(b.last) < l.fill {
			return
		}
		l.lru.Remove(e)
		delete(l.buckets, b.key)
	}
}

// size returns the number of buckets held.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// rateLimit spends a token of the request's bucket (its key's, or in open
// mode its client address's) and answers 429 with Retry-After when there
// is none. It runs after auth, so a request with no valid key is refused
// before it costs any client a token.
func (s *Server) rateLimit(next http.Handler) http.Handler {
	if s.limiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := "addr:" + clientAddr(r)
		if c := callerFrom(r.Context()); c != nil {
			key = "key:" + c.name
		}
		ok, wait := s.limiter.take(key)
		if !ok {
			secs := max(int64(math.Ceil(wait.Seconds())), 1)
			w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
			s.writeError(w, r, &apiError{status: http.StatusTooManyRequests, Type: "rate_limited",
				Message: "rate limit exceeded: retry after " + strconv.FormatInt(secs, 10) + "s"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clientAddr is the peer address of a request, without the port. An IPv6
// peer is counted by its /64 network, since one host usually holds a
// whole /64. Forwarding headers are not trusted: behind a proxy every
// client shares the proxy's bucket.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() != nil {
		return ip.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
