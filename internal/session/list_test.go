package session

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ragline/ragline/internal/redistest"
)

// firstPage returns the first page of owner's listing.
func firstPage(ctx context.Context, l Lister, owner string, limit int) ([]Summary, error) {
	p, err := l.List(ctx, owner, "", limit)
	return p.Sessions, err
}

// listCase runs the listing checks on one store; advance moves the
// store's clock (nil when the store keeps its own time, as Redis does).
func listCase(t *testing.T, s Store, advance func(time.Duration)) {
	t.Helper()
	ctx := context.Background()
	l, ok := s.(Lister)
	if !ok {
		t.Fatalf("%T does not list sessions", s)
	}
	got, err := firstPage(ctx, l, "alice", 0)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty store: %+v %v", got, err)
	}
	// Owning a session that does not exist fails (Redis cannot tell, and
	// drops the record on the next listing instead).
	if _, isRedis := s.(*Redis); !isRedis {
		if err := l.Own(ctx, "alice", "ref-missing", NewID()); !errors.Is(err, ErrNotFound) {
			t.Errorf("own unknown session: %v", err)
		}
	}
	a, b, c := NewID(), NewID(), NewID()
	for _, x := range []struct {
		id, owner, ref string
		qs             []string
	}{
		{a, "alice", "alice-one", []string{"first of a?", "second of a?"}},
		{b, "bob", "bob-one", []string{"bob asks?"}},
		{c, "alice", "alice-two", []string{"first of c?"}},
	} {
		for _, q := range x.qs {
			if _, err := s.Append(ctx, x.id, Turn{Question: q, Answer: "answer"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Own(ctx, x.owner, x.ref, x.id); err != nil {
			t.Fatal(err)
		}
		if advance != nil {
			advance(time.Minute)
		} else {
			time.Sleep(5 * time.Millisecond) // distinct update times
		}
	}
	got, err = firstPage(ctx, l, "alice", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "alice-two" || got[1].ID != "alice-one" {
		t.Fatalf("alice's sessions, newest first: %+v", got)
	}
	if got[1].Title != "first of a?" || got[1].Turns != 2 || got[0].Turns != 1 || got[1].Created.IsZero() || !got[0].Updated.After(got[1].Updated) {
		t.Errorf("summaries: %+v", got)
	}
	if got, err := firstPage(ctx, l, "alice", 1); err != nil || len(got) != 1 || got[0].ID != "alice-two" {
		t.Errorf("limit 1: %+v %v", got, err)
	}
	if got, err := firstPage(ctx, l, "bob", 10); err != nil || len(got) != 1 || got[0].ID != "bob-one" || got[0].Title != "bob asks?" {
		t.Errorf("bob's sessions: %+v %v", got, err)
	}
	if got, err := firstPage(ctx, l, "", 10); err != nil || len(got) != 0 {
		t.Errorf("another owner sees nothing: %+v %v", got, err)
	}
	// A deleted session leaves the listing.
	if err := s.Delete(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, err := firstPage(ctx, l, "alice", 0); err != nil || len(got) != 1 || got[0].ID != "alice-one" {
		t.Errorf("after delete: %+v %v", got, err)
	}
}

func TestListSessions(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			c := &clock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			s := open(time.Hour, c)
			listCase(t, s, func(d time.Duration) { c.t = c.t.Add(d) })
			// Expired sessions are not listed.
			c.t = c.t.Add(2 * time.Hour)
			if got, err := firstPage(context.Background(), s.(Lister), "alice", 0); err != nil || len(got) != 0 {
				t.Errorf("after expiry: %+v %v", got, err)
			}
		})
	}
	t.Run("redis", func(t *testing.T) {
		addr := redistest.Start(t)
		s := openTestRedis(t, addr, time.Hour)
		listCase(t, s, nil)
		// A session Redis dropped (here by hand, as expiry would) leaves
		// the listing and the owner's record.
		raw := rawRedis(t, addr)
		got, _ := firstPage(context.Background(), s, "bob", 0)
		if len(got) != 1 {
			t.Fatalf("bob: %+v", got)
		}
		keys, err := raw.Keys(context.Background(), redisKeyPrefix+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		if err := raw.Del(context.Background(), keys...).Err(); err != nil {
			t.Fatal(err)
		}
		if got, err := firstPage(context.Background(), s, "bob", 0); err != nil || len(got) != 0 {
			t.Errorf("after expiry: %+v %v", got, err)
		}
		if n, err := raw.ZCard(context.Background(), ownerKey("bob")).Result(); err != nil || n != 0 {
			t.Errorf("owner record keeps %d dropped sessions (%v)", n, err)
		}
	})
}
