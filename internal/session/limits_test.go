package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ragline/ragline/internal/redistest"
)

// limitedStores opens each implementation with opts: memory and SQLite
// with a test clock, Redis on a throwaway server.
func limitedStores(t *testing.T, opts ...Option) map[string]Store {
	t.Helper()
	m := NewMemory(time.Hour, opts...)
	sq, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "sessions.db"), time.Hour, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sq.Close() })
	r, err := OpenRedis(context.Background(), "redis://"+redistest.Start(t)+"/0", time.Hour, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return map[string]Store{"memory": m, "sqlite": sq, "redis": r, "postgres": openTestPostgres(t, time.Hour, opts...)}
}

// TestMaxTurns checks that a session stops growing at MaxTurns: the next
// turn is refused with ErrFull and the session keeps what it had.
func TestMaxTurns(t *testing.T) {
	ctx := context.Background()
	for name, s := range limitedStores(t, MaxTurns(3)) {
		t.Run(name, func(t *testing.T) {
			id := NewID()
			for i := range 3 {
				if idx, err := s.Append(ctx, id, Turn{Question: fmt.Sprintf("q%d?", i)}); err != nil || idx != i {
					t.Fatalf("append %d: %d %v", i, idx, err)
				}
			}
			if _, err := s.Append(ctx, id, Turn{Question: "one too many?"}); !errors.Is(err, ErrFull) {
				t.Fatalf("fourth turn: %v, want ErrFull", err)
			}
			got, err := s.Get(ctx, id)
			if err != nil || len(got.Turns) != 3 || got.Turns[2].Question != "q2?" {
				t.Fatalf("after the refused turn: %+v %v", got, err)
			}
			// Another session is not affected.
			if _, err := s.Append(ctx, NewID(), Turn{Question: "fresh?"}); err != nil {
				t.Errorf("another session: %v", err)
			}
		})
	}
	t.Run("default", func(t *testing.T) {
		m := NewMemory(0)
		id := NewID()
		for i := range DefaultMaxTurns {
			if _, err := m.Append(ctx, id, Turn{Question: "q?"}); err != nil {
				t.Fatalf("turn %d: %v", i, err)
			}
		}
		if _, err := m.Append(ctx, id, Turn{Question: "q?"}); !errors.Is(err, ErrFull) {
			t.Errorf("turn %d: %v, want ErrFull", DefaultMaxTurns, err)
		}
	})
}

// TestListPaging lists 23 sessions of one owner, some updated at the same
// instant, 5 at a time: every session comes exactly once, newest first,
// and the last page has no cursor. Sessions of another owner and a bad
// cursor are kept out.
func TestListPaging(t *testing.T) {
	ctx := context.Background()
	for name, s := range limitedStores(t) {
		t.Run(name, func(t *testing.T) {
			c := &clock{time.Now().UTC()}
			switch st := s.(type) {
			case *Memory:
				st.now = c.now
			case *SQLite:
				st.now = c.now
			case *Redis:
				st.now = c.now
			case *Postgres:
				st.now = c.now
			}
			l := s.(Lister)
			var want []string
			at := map[string]time.Time{}
			for i := range 23 {
				id, ref := NewID(), fmt.Sprintf("ref-%02d-x", i)
				if _, err := s.Append(ctx, id, Turn{Question: ref + "?"}); err != nil {
					t.Fatal(err)
				}
				if err := l.Own(ctx, "alice", ref, id); err != nil {
					t.Fatal(err)
				}
				other := NewID()
				if _, err := s.Append(ctx, other, Turn{Question: "bob?"}); err != nil {
					t.Fatal(err)
				}
				if err := l.Own(ctx, "bob", "bob-"+other[:8], other); err != nil {
					t.Fatal(err)
				}
				want = append(want, ref)
				at[ref] = c.t
				if i%3 != 0 { // every third pair shares its instant with the next
					c.t = c.t.Add(time.Second)
				}
			}
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatalf("listing does not end: %v", got)
				}
				p, err := l.List(ctx, "alice", cursor, 5)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Sessions) > 5 {
					t.Fatalf("page of %d sessions, want ≤ 5", len(p.Sessions))
				}
				for _, sum := range p.Sessions {
					got = append(got, sum.ID)
				}
				if p.Next == "" {
					break
				}
				cursor = p.Next
			}
			if len(got) != len(want) {
				t.Fatalf("listed %d sessions, want %d: %v", len(got), len(want), got)
			}
			seen := map[string]bool{}
			for _, id := range got {
				if seen[id] {
					t.Fatalf("%s listed twice: %v", id, got)
				}
				seen[id] = true
			}
			for i := 1; i < len(got); i++ {
				if at[got[i]].After(at[got[i-1]]) {
					t.Errorf("not newest first: %s after %s: %v", got[i], got[i-1], got)
				}
			}
			if _, err := l.List(ctx, "alice", "not a cursor!", 5); !errors.Is(err, ErrInvalid) {
				t.Errorf("bad cursor: %v, want ErrInvalid", err)
			}
		})
	}
}

// TestRedisOwnerIndexExpires checks that an owner's index is a sorted set
// that lives as long as the owner's newest session, and that entries of
// sessions past their time to live are trimmed from it.
func TestRedisOwnerIndexExpires(t *testing.T) {
	ctx := context.Background()
	addr := redistest.Start(t)
	s := openTestRedis(t, addr, time.Hour)
	c := &clock{time.Now().UTC()}
	s.now = c.now
	raw := rawRedis(t, addr)
	// An owner record left by an earlier version (a hash) is ignored.
	legacy := strings.TrimSuffix(ownerKey("alice"), ":recent") + ":sessions"
	if err := raw.HSet(ctx, legacy, "0123456789abcdef", "legacy-ref").Err(); err != nil {
		t.Fatal(err)
	}
	old := NewID()
	if _, err := s.Append(ctx, old, Turn{Question: "old?"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Own(ctx, "alice", "old-session", old); err != nil {
		t.Fatal(err)
	}
	ttl, err := raw.PTTL(ctx, ownerKey("alice")).Result()
	if err != nil || ttl <= 0 || ttl > time.Hour {
		t.Fatalf("owner index time to live %v (%v), want within the sessions' hour", ttl, err)
	}
	c.t = c.t.Add(2 * time.Hour)
	fresh := NewID()
	if _, err := s.Append(ctx, fresh, Turn{Question: "new?"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Own(ctx, "alice", "new-session", fresh); err != nil {
		t.Fatal(err)
	}
	members, err := raw.ZRange(ctx, ownerKey("alice"), 0, -1).Result()
	if err != nil || len(members) != 1 || members[0] != fresh+"|new-session" {
		t.Errorf("owner index %v (%v), want only the new session", members, err)
	}
}

// TestRedisUnavailable checks that calls to a Redis that is frozen (DEBUG
// SLEEP) or gone fail with ErrUnavailable by themselves, while the frozen
// server is still asleep, instead of waiting for it.
func TestRedisUnavailable(t *testing.T) {
	ctx := context.Background()
	addr := redistest.Start(t, "--enable-debug-command", "yes")
	s, err := OpenRedis(ctx, "redis://"+addr+"/0", time.Hour, CallTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id := NewID()
	if _, err := s.Append(ctx, id, Turn{Question: "before?"}); err != nil {
		t.Fatal(err)
	}
	raw := rawRedis(t, addr)
	sleeper := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: -1}) // waits out the sleep
	defer sleeper.Close()
	asleep := make(chan error, 1)
	go func() { asleep <- sleeper.Do(ctx, "DEBUG", "SLEEP", "5").Err() }()
	time.Sleep(100 * time.Millisecond) // let the server fall asleep

	calls := map[string]func() error{
		"get":    func() error { _, err := s.Get(ctx, id); return err },
		"append": func() error { _, err := s.Append(ctx, id, Turn{Question: "during?"}); return err },
		"list":   func() error { _, err := s.List(ctx, "", "", 10); return err },
		"ping":   func() error { return s.Ping(ctx) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s on a frozen server: %v, want ErrUnavailable", name, err)
		}
		select {
		case err := <-asleep:
			t.Fatalf("%s waited for the server to wake up (%v)", name, err)
		default:
		}
	}
	if err := <-asleep; err != nil {
		t.Fatalf("DEBUG SLEEP: %v", err)
	}

	// A server that has gone away.
	gone, err := OpenRedis(ctx, "redis://"+addr+"/0", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer gone.Close()
	if err := raw.Do(ctx, "SHUTDOWN", "NOSAVE").Err(); err == nil {
		t.Fatal("shutdown answered")
	}
	for name, call := range map[string]func() error{
		"get":  func() error { _, err := gone.Get(ctx, id); return err },
		"ping": func() error { return gone.Ping(ctx) },
	} {
		if err := call(); !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s on a stopped server: %v, want ErrUnavailable", name, err)
		}
	}
}

// TestSQLiteListingOrderMigrates opens a session file written before
// listings paged (session_owners without "updated"): the column is added
// from the sessions' times and the old sessions are listed, newest first.
func TestSQLiteListingOrderMigrates(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sessions.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	turn := `{"question":"old?","answer":"a","no_answer":false,"time":"2026-01-01T00:00:00Z"}`
	now := time.Now()
	for _, stmt := range []string{
		sessionSchema,
		fmt.Sprintf(`INSERT INTO sessions VALUES ('aaaaaaaaaaaa', '2026-01-01T00:00:00Z', %d), ('bbbbbbbbbbbb', '2026-01-01T00:00:00Z', %d)`, now.Add(-time.Minute).UnixNano(), now.UnixNano()),
		`INSERT INTO turns VALUES ('aaaaaaaaaaaa', 0, '` + turn + `'), ('bbbbbbbbbbbb', 0, '` + turn + `')`,
		`INSERT INTO session_owners VALUES ('aaaaaaaaaaaa', 'alice', 'older'), ('bbbbbbbbbbbb', 'alice', 'newer')`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	db.Close()
	s, err := OpenSQLite(ctx, path, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	page, err := s.List(ctx, "alice", "", 10)
	if err != nil || len(page.Sessions) != 2 || page.Sessions[0].ID != "newer" || page.Sessions[1].ID != "older" {
		t.Fatalf("after migration: %+v %v", page, err)
	}
}
