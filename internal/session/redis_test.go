package session

import (
	"context"
	"errors"
	"fmt"
	"github.com/ragline/ragline/internal/redistest"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

// openTestRedis opens a store on addr and closes it when the test ends.
func openTestRedis(t *testing.T, addr string, ttl time.Duration) *Redis {
	t.Helper()
	s, err := OpenRedis(context.Background(), "redis://"+addr+"/0", ttl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawRedis is a plain client for looking at the keys the store wrote.
func rawRedis(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	return c
}

// TestRedisStore runs the checks of TestStores against a real server.
// Expiry is left to TestRedisExpiry, since Redis keeps its own time.
func TestRedisStore(t *testing.T) {
	ctx := context.Background()
	s := openTestRedis(t, redistest.Start(t), time.Hour)
	c := &clock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s.now = c.now
	start := c.t

	id := NewID()
	if _, err := s.Get(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
	for i, q := range []string{"first?", "second?"} {
		idx, err := s.Append(ctx, id, Turn{Question: q, Answer: "a" + q})
		if err != nil || idx != i {
			t.Fatalf("append %d: %d %v", i, idx, err)
		}
		c.t = c.t.Add(50 * time.Minute)
	}
	got, err := s.Get(ctx, id)
	if err != nil || len(got.Turns) != 2 || got.Turns[1].Question != "second?" || got.Turns[1].Answer != "asecond?" || got.ID != id {
		t.Fatalf("get: %+v %v", got, err)
	}
	if !got.Created.Equal(start) || !got.Updated.Equal(start.Add(50*time.Minute)) || !got.Turns[0].Time.Equal(start) {
		t.Errorf("times: created %v updated %v turn 0 %v", got.Created, got.Updated, got.Turns[0].Time)
	}
	if err := s.AddFeedback(ctx, Feedback{SessionID: id, Turn: 1, Rating: "down", Comment: "wrong"}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Feedback{
		{SessionID: id, Turn: 2, Rating: "up"},
		{SessionID: id, Turn: 0, Rating: "meh"},
		{SessionID: id, Turn: -1, Rating: "up"},
		{SessionID: "bad id!", Turn: 0, Rating: "up"},
	} {
		if err := s.AddFeedback(ctx, f); !errors.Is(err, ErrInvalid) {
			t.Errorf("feedback %+v: %v", f, err)
		}
	}
	if err := s.AddFeedback(ctx, Feedback{SessionID: NewID(), Turn: 0, Rating: "up"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("feedback on unknown session: %v", err)
	}
	for _, bad := range []string{"../x", "abc}:turns{xyz", ""} {
		if _, err := s.Append(ctx, bad, Turn{}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad id %q accepted: %v", bad, err)
		}
		if _, err := s.Get(ctx, bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("get bad id %q: %v", bad, err)
		}
	}

	raw := rawRedis(t, s.client.Options().Addr)
	k := keysFor(id)
	if fb, err := raw.LRange(ctx, k.feedback, 0, -1).Result(); err != nil || len(fb) != 1 || !strings.Contains(fb[0], `"wrong"`) {
		t.Errorf("stored feedback: %q %v", fb, err)
	}
	if err := s.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if n, err := raw.Exists(ctx, k.turns, k.meta, k.feedback).Result(); err != nil || n != 0 {
		t.Errorf("after delete %d keys remain: %v", n, err)
	}
	if err := s.Delete(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.Get(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	if idx, err := s.Append(ctx, id, Turn{Question: "again"}); err != nil || idx != 0 {
		t.Fatalf("deleted session should start over: %d %v", idx, err)
	}
}

// TestRedisKeys checks the key layout and that every Append renews the
// time to live of all of a session's keys.
func TestRedisKeys(t *testing.T) {
	ctx := context.Background()
	addr := redistest.Start(t)
	raw := rawRedis(t, addr)
	id := NewID()
	k := keysFor(id)
	for _, key := range []string{k.turns, k.meta, k.feedback} {
		if !strings.HasPrefix(key, "ragline:session:{"+id+"}:") {
			t.Errorf("key %q lacks the session's hash tag", key)
		}
	}

	s := openTestRedis(t, addr, time.Hour)
	if _, err := s.Append(ctx, id, Turn{Question: "q"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddFeedback(ctx, Feedback{SessionID: id, Turn: 0, Rating: "up"}); err != nil {
		t.Fatal(err)
	}
	pttl := func(key string) time.Duration {
		t.Helper()
		d, err := raw.PTTL(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, key := range []string{k.turns, k.meta, k.feedback} {
		if d := pttl(key); d <= 59*time.Minute || d > time.Hour {
			t.Errorf("%s: ttl %v, want about an hour", key, d)
		}
	}
	keys, err := raw.Keys(ctx, "*").Result()
	if err != nil || len(keys) != 3 {
		t.Errorf("keys: %q %v", keys, err)
	}

	// As if most of the hour had passed: the next turn renews every key.
	for _, key := range []string{k.turns, k.meta, k.feedback} {
		if err := raw.PExpire(ctx, key, 5*time.Second).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if idx, err := s.Append(ctx, id, Turn{Question: "q2"}); err != nil || idx != 1 {
		t.Fatalf("append: %d %v", idx, err)
	}
	for _, key := range []string{k.turns, k.meta, k.feedback} {
		if d := pttl(key); d <= 59*time.Minute {
			t.Errorf("%s: ttl %v after append, want renewed to about an hour", key, d)
		}
	}

	// A rating given late expires with its session, not after it.
	if err := raw.PExpire(ctx, k.turns, 5*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	if err := raw.Del(ctx, k.feedback).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.AddFeedback(ctx, Feedback{SessionID: id, Turn: 1, Rating: "down"}); err != nil {
		t.Fatal(err)
	}
	if d := pttl(k.feedback); d <= 0 || d > 5*time.Second {
		t.Errorf("late feedback: ttl %v, want at most the session's 5s", d)
	}

	// Without a time to live nothing expires, even keys that had one.
	forever := openTestRedis(t, addr, 0)
	if _, err := forever.Append(ctx, id, Turn{Question: "q3"}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{k.turns, k.meta, k.feedback} {
		if d := pttl(key); d != -1 {
			t.Errorf("%s: ttl %v with no expiry, want none (-1)", key, d)
		}
	}
}

// TestRedisExpiry lets Redis expire a session with a short real time to
// live: the session, its turns and its feedback go, and the next turn
// starts it over at index 0.
func TestRedisExpiry(t *testing.T) {
	ctx := context.Background()
	addr := redistest.Start(t)
	s := openTestRedis(t, addr, time.Second)
	id := NewID()
	for i := range 2 {
		if idx, err := s.Append(ctx, id, Turn{Question: "q"}); err != nil || idx != i {
			t.Fatalf("append %d: %d %v", i, idx, err)
		}
	}
	if err := s.AddFeedback(ctx, Feedback{SessionID: id, Turn: 1, Rating: "up"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := s.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("session with a 1s time to live still there after 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	k := keysFor(id)
	if n, err := rawRedis(t, addr).Exists(ctx, k.turns, k.meta, k.feedback).Result(); err != nil || n != 0 {
		t.Errorf("after expiry %d keys remain: %v", n, err)
	}
	if err := s.AddFeedback(ctx, Feedback{SessionID: id, Turn: 0, Rating: "up"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("feedback on expired session: %v", err)
	}
	if err := s.Delete(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete of expired session: %v", err)
	}
	if idx, err := s.Append(ctx, id, Turn{Question: "again"}); err != nil || idx != 0 {
		t.Fatalf("expired session should start over: %d %v", idx, err)
	}
	got, err := s.Get(ctx, id)
	if err != nil || len(got.Turns) != 1 || got.Turns[0].Question != "again" {
		t.Fatalf("after starting over: %+v %v", got, err)
	}
}

// TestRedisSharedAndDurable appends concurrently through two clients, as
// two processes would, then closes them and reads the session through a
// third, as a restarted process would.
func TestRedisSharedAndDurable(t *testing.T) {
	ctx := context.Background()
	addr := redistest.Start(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // the server's own watchers are older

	a, err := OpenRedis(ctx, "redis://"+addr, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenRedis(ctx, "redis://"+addr, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id := NewID()
	const n = 20
	owner := make([]int, n) // turn index -> goroutine that appended it, plus one
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range n {
		st := Store(a)
		if g%2 == 1 {
			st = b
		}
		wg.Go(func() {
			idx, err := st.Append(ctx, id, Turn{Question: "q" + strconv.Itoa(g)})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if idx < 0 || idx >= n || owner[idx] != 0 {
				t.Errorf("goroutine %d got index %d, out of range or already taken", g, idx)
				return
			}
			owner[idx] = g + 1
		})
	}
	wg.Wait()
	a.Close()
	b.Close()
	if t.Failed() {
		return
	}

	c, err := OpenRedis(ctx, "redis://"+addr, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := c.Get(ctx, id)
	if err != nil || len(got.Turns) != n {
		t.Fatalf("after reopen: %d turns, %v", len(got.Turns), err)
	}
	for idx, tr := range got.Turns {
		if want := "q" + strconv.Itoa(owner[idx]-1); tr.Question != want {
			t.Errorf("turn %d is %q, but %q was given that index", idx, tr.Question, want)
		}
	}
	if idx, err := c.Append(ctx, id, Turn{Question: "after restart"}); err != nil || idx != n {
		t.Fatalf("append after restart: %d %v, want index %d", idx, err, n)
	}
}

// TestOpenRedisErrors checks that a bad URL or an unreachable or refusing
// server fails at open, promptly, naming the address but never the
// password.
func TestOpenRedisErrors(t *testing.T) {
	const password = "s3cret-pw"
	secured := redistest.Start(t, "--requirepass", password)
	refused := refusedAddr(t)

	// The right password opens.
	s, err := OpenRedis(context.Background(), fmt.Sprintf("redis://:%s@%s/0", password, secured), 0)
	if err != nil {
		t.Fatalf("right password: %v", err)
	}
	s.Close()

	for _, tc := range []struct {
		name, url, want string
	}{
		{"connection refused", fmt.Sprintf("redis://:%s@%s/0", password, refused), refused},
		{"wrong password", fmt.Sprintf("redis://:not-%s@%s/0", password, secured), secured},
		{"no password", "redis://" + secured + "/0", secured},
		{"bad scheme", fmt.Sprintf("http://:%s@%s/0", password, secured), "bad url"},
		{"bad port", fmt.Sprintf("redis://:%s@127.0.0.1:port/0", password), "bad url"},
		{"bad db", fmt.Sprintf("redis://:%s@%s/x", password, secured), "bad url"},
		{"unknown option", fmt.Sprintf("redis://:%s@%s/0?colour=blue", password, secured), "bad url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The store bounds its own ping; this only keeps a broken
			// bound from hanging the test run.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := OpenRedis(ctx, tc.url, time.Hour)
			if err == nil {
				s.Close()
				t.Fatal("opened")
			}
			if ctx.Err() != nil {
				t.Fatalf("open did not give up by itself: %v", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not mention %q", msg, tc.want)
			}
			if strings.Contains(msg, password) {
				t.Errorf("error %q reveals the password", msg)
			}
		})
	}
}

// refusedAddr returns a loopback address nothing listens on.
func refusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
