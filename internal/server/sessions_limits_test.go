package server

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ragline/ragline/internal/agent"
	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/pgtest"
	"github.com/ragline/ragline/internal/redistest"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/session"
)

// historyAgent answers every question and remembers how much history
// each one came with.
type historyAgent struct {
	mu   sync.Mutex
	seen []int
}

func (a *historyAgent) Run(ctx context.Context, req agent.Request) (schema.Response, error) {
	a.mu.Lock()
	a.seen = append(a.seen, len(req.History))
	a.mu.Unlock()
	return schema.Response{Answer: "an answer to " + req.Question, Trace: []schema.TraceStep{{Step: "retrieve", DurationMS: 1.5}}}, nil
}

func (a *historyAgent) last() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seen[len(a.seen)-1]
}

// sessionServer serves an empty knowledge base with store and a scripted
// agent, in open mode.
func sessionServer(t *testing.T, store session.Store, tune func(*config.Config)) (string, *historyAgent) {
	t.Helper()
	cfg := config.Default()
	if tune != nil {
		tune(cfg)
	}
	k, err := kb.Open(context.Background(), cfg, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	ag := &historyAgent{}
	return newHTTPTest(t, New(k, Options{Config: cfg, Sessions: store, Agent: ag})), ag
}

// TestStatelessChat checks that a stateless request reads and stores no
// session, so load and evaluation clients leave no conversations behind.
func TestStatelessChat(t *testing.T) {
	srv, ag := sessionServer(t, session.NewMemory(time.Hour), nil)
	for _, body := range []string{
		`{"message":"Is parking free?","stateless":true}`,
		`{"message":"Is parking free?","stateless":true,"stream":true}`,
	} {
		resp, out := send(t, srv, request{method: "POST", path: "/v1/chat", body: jsonBody(body)})
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", body, resp.StatusCode, out)
		}
		if _, has := out["session_id"]; has && !strings.Contains(body, "stream") {
			t.Errorf("%s: a stateless answer names a session: %v", body, out)
		}
	}
	if got := ag.last(); got != 0 {
		t.Errorf("stateless request came with %d history messages", got)
	}
	_, list := send(t, srv, request{method: "GET", path: "/v1/sessions"})
	if got := list["sessions"].([]any); len(got) != 0 {
		t.Errorf("stateless requests created sessions: %v", got)
	}
	resp, out := send(t, srv, request{method: "POST", path: "/v1/chat", body: jsonBody(`{"message":"Is parking free?","stateless":true,"session_id":"abcdefgh1234"}`)})
	if resp.StatusCode != 400 || out["error"].(map[string]any)["field"] != "session_id" {
		t.Errorf("stateless with a session id: %d %v", resp.StatusCode, out)
	}
}

// TestSessionListCursor pages through GET /v1/sessions with next_cursor:
// every conversation once, then no cursor; a bad cursor is a 400.
func TestSessionListCursor(t *testing.T) {
	srv, _ := sessionServer(t, session.NewMemory(time.Hour), nil)
	var made []string
	for i := range 7 {
		resp, out := send(t, srv, request{method: "POST", path: "/v1/chat", body: jsonBody(fmt.Sprintf(`{"message":"question %d?"}`, i))})
		if resp.StatusCode != 200 {
			t.Fatalf("chat: %d %v", resp.StatusCode, out)
		}
		made = append(made, out["session_id"].(string))
		time.Sleep(2 * time.Millisecond) // distinct update times
	}
	seen := map[string]bool{}
	var order []string
	path := "/v1/sessions?limit=3"
	for pages := 1; ; pages++ {
		resp, out := send(t, srv, request{method: "GET", path: path})
		if resp.StatusCode != 200 {
			t.Fatalf("page %d: %d %v", pages, resp.StatusCode, out)
		}
		for _, s := range out["sessions"].([]any) {
			id := s.(map[string]any)["id"].(string)
			if seen[id] {
				t.Fatalf("%s listed twice", id)
			}
			seen[id] = true
			order = append(order, id)
		}
		next, _ := out["next_cursor"].(string)
		if next == "" {
			if pages != 3 {
				t.Errorf("%d pages of 3 for 7 sessions, want 3", pages)
			}
			break
		}
		path = "/v1/sessions?limit=3&cursor=" + next
	}
	if len(order) != 7 || order[0] != made[6] || order[6] != made[0] {
		t.Errorf("listed %v, want the 7 sessions newest first (%v)", order, made)
	}
	resp, out := send(t, srv, request{method: "GET", path: "/v1/sessions?cursor=garbage!"})
	if resp.StatusCode != 400 || out["error"].(map[string]any)["field"] != "cursor" {
		t.Errorf("bad cursor: %d %v", resp.StatusCode, out)
	}
}

// TestSessionMaxTurns checks that a session stops at sessions.max_turns
// with 409 session_full, and that a follow-up question is read with at
// most sessions.history_turns earlier turns.
func TestSessionMaxTurns(t *testing.T) {
	srv, ag := sessionServer(t, session.NewMemory(time.Hour, session.MaxTurns(4)), func(c *config.Config) {
		c.Sessions.MaxTurns = 4
		c.Sessions.HistoryTurns = 2
	})
	const id = "long-conversation-1"
	for i := range 4 {
		resp, out := send(t, srv, request{method: "POST", path: "/v1/chat", body: jsonBody(fmt.Sprintf(`{"message":"question %d?","session_id":"%s"}`, i, id))})
		if resp.StatusCode != 200 || out["turn"] != float64(i) {
			t.Fatalf("turn %d: %d %v", i, resp.StatusCode, out)
		}
		if want := 2 * min(i, 2); ag.last() != want {
			t.Errorf("turn %d read with %d history messages, want %d", i, ag.last(), want)
		}
	}
	resp, out := send(t, srv, request{method: "POST", path: "/v1/chat", body: jsonBody(`{"message":"one more?","session_id":"` + id + `"}`)})
	e, _ := out["error"].(map[string]any)
	if resp.StatusCode != 409 || e["type"] != "session_full" {
		t.Fatalf("turn 5: %d %v, want 409 session_full", resp.StatusCode, out)
	}
	_, sess := send(t, srv, request{method: "GET", path: "/v1/sessions/" + id})
	turns := sess["turns"].([]any)
	if len(turns) != 4 {
		t.Errorf("session has %d turns, want 4", len(turns))
	}
	// Each stored turn keeps its trace, for a reopened conversation.
	if tr, _ := turns[0].(map[string]any)["trace"].([]any); len(tr) != 1 {
		t.Errorf("stored turn without its trace: %v", turns[0])
	}
}

// TestSessionsUnavailable freezes the Redis behind the session store
// (DEBUG SLEEP): a chat in a session answers 503 sessions_unavailable with
// Retry-After while Redis is still asleep, and /readyz reports it.
func TestSessionsUnavailable(t *testing.T) {
	ctx := context.Background()
	addr := redistest.Start(t, "--enable-debug-command", "yes")
	store, err := session.OpenRedis(ctx, "redis://"+addr+"/0", time.Hour, session.CallTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv, _ := sessionServer(t, store, nil)
	raw := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: -1}) // waits out the sleep
	defer raw.Close()
	asleep := make(chan error, 1)
	go func() { asleep <- raw.Do(ctx, "DEBUG", "SLEEP", "6").Err() }()
	time.Sleep(100 * time.Millisecond)

	for _, rq := range []request{
		{method: "POST", path: "/v1/chat", body: jsonBody(`{"message":"Is parking free?","session_id":"frozen-session-1"}`)},
		{method: "GET", path: "/v1/sessions"},
	} {
		resp, out := send(t, srv, rq)
		e, _ := out["error"].(map[string]any)
		if resp.StatusCode != 503 || e["type"] != "sessions_unavailable" || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s: %d %v (Retry-After %q), want 503 sessions_unavailable", rq.method, rq.path, resp.StatusCode, out, resp.Header.Get("Retry-After"))
		}
	}
	code, out := do(t, "GET", srv+"/readyz", "", nil)
	if failed, _ := out["failed"].(map[string]any); code != 503 || failed["sessions"] == nil {
		t.Errorf("readyz: %d %v", code, out)
	}
	select {
	case err := <-asleep:
		t.Fatalf("the requests waited for Redis to wake up (%v)", err)
	default:
	}
	<-asleep
	// Awake again: the same chat succeeds.
	resp, out := send(t, srv, request{method: "POST", path: "/v1/chat", body: jsonBody(`{"message":"Is parking free?","session_id":"frozen-session-1"}`)})
	if resp.StatusCode != 200 {
		t.Errorf("after Redis woke: %d %v", resp.StatusCode, out)
	}
}

// TestPostgresSessionsDown stops the PostgreSQL that keeps sessions: a new
// conversation is still answered (its turn is not kept), a conversation
// that goes on answers 503 sessions_unavailable rather than an answer
// without its history, and /readyz says degraded with 200, as for a
// PostgreSQL knowledge base. With the database back, the conversation
// goes on with its history.
func TestPostgresSessionsDown(t *testing.T) {
	ctx := context.Background()
	pg := pgtest.Start(t)
	store, err := session.OpenPostgres(ctx, pg.NewDatabase(t), time.Hour, session.CallTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv, ag := sessionServer(t, store, nil)
	resp, out := send(t, srv, request{method: "POST", path: "/v1/chat", body: jsonBody(`{"message":"Is parking free?"}`)})
	id, _ := out["session_id"].(string)
	if resp.StatusCode != 200 || id == "" {
		t.Fatalf("first turn: %d %v", resp.StatusCode, out)
	}

	pg.Stop(t)
	resp, out = send(t, srv, request{method: "POST", path: "/v1/chat", body: jsonBody(`{"message":"Is the gym free?"}`)})
	if resp.StatusCode != 200 || out["answer"] != "an answer to Is the gym free?" {
		t.Errorf("new conversation while the database is down: %d %v", resp.StatusCode, out)
	}
	resp, out = send(t, srv, request{method: "POST", path: "/v1/chat", body: jsonBody(`{"message":"And on weekends?","session_id":"` + id + `"}`)})
	e, _ := out["error"].(map[string]any)
	if resp.StatusCode != 503 || e["type"] != "sessions_unavailable" || resp.Header.Get("Retry-After") == "" {
		t.Errorf("conversation going on while the database is down: %d %v", resp.StatusCode, out)
	}
	code, ready := do(t, "GET", srv+"/readyz", "", nil)
	if degraded, _ := ready["degraded"].(map[string]any); code != 200 || ready["status"] != "degraded" || degraded["sessions"] == nil {
		t.Errorf("readyz while the database is down: %d %v", code, ready)
	}

	pg.Restart(t)
	for range 50 { // the pool reconnects on the next call
		if resp, out = send(t, srv, request{method: "POST", path: "/v1/chat", body: jsonBody(`{"message":"And on weekends?","session_id":"` + id + `"}`)}); resp.StatusCode == 200 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if resp.StatusCode != 200 || ag.last() != 2 {
		t.Fatalf("after the database is back: %d %v, history of %d messages, want 2", resp.StatusCode, out, ag.last())
	}
}
