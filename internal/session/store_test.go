package session

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ragline/ragline/internal/schema"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// stores returns each implementation with a controllable clock.
func stores(t *testing.T) map[string]func(ttl time.Duration, c *clock) Store {
	return map[string]func(time.Duration, *clock) Store{
		"memory": func(ttl time.Duration, c *clock) Store {
			m := NewMemory(ttl)
			m.now = c.now
			return m
		},
		"sqlite": func(ttl time.Duration, c *clock) Store {
			s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "sessions.db"), ttl)
			if err != nil {
				t.Fatal(err)
			}
			s.now = c.now
			t.Cleanup(func() { s.Close() })
			return s
		},
		"postgres": postgresStore(t),
	}
}

func TestStores(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			c := &clock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			s := open(time.Hour, c)
			id := NewID()
			if _, err := s.Get(ctx, id); !errors.Is(err, ErrNotFound) {
				t.Fatalf("unknown session: %v", err)
			}
			for i, q := range []string{"first?", "second?"} {
				idx, err := s.Append(ctx, id, Turn{Question: q, Answer: "a" + q})
				if err != nil || idx != i {
					t.Fatalf("append %d: %d %v", i, idx, err)
				}
				c.t = c.t.Add(50 * time.Minute) // each turn renews the TTL
			}
			got, err := s.Get(ctx, id)
			if err != nil || len(got.Turns) != 2 || got.Turns[1].Question != "second?" || got.ID != id {
				t.Fatalf("get: %+v %v", got, err)
			}
			// A turn's trace is kept and given back.
			traced := NewID()
			trace := []schema.TraceStep{{Step: "retrieve", DurationMS: 1.5, Detail: map[string]any{"hits": 3.0}}, {Step: "generate", DurationMS: 20}}
			if _, err := s.Append(ctx, traced, Turn{Question: "why?", Answer: "because", Trace: trace}); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Get(ctx, traced); err != nil || len(got.Turns) != 1 || !reflect.DeepEqual(got.Turns[0].Trace, trace) {
				t.Errorf("trace not kept: %+v %v", got.Turns, err)
			}
			if err := s.AddFeedback(ctx, Feedback{SessionID: id, Turn: 1, Rating: "down", Comment: "wrong"}); err != nil {
				t.Fatal(err)
			}
			for _, f := range []Feedback{
				{SessionID: id, Turn: 2, Rating: "up"},
				{SessionID: id, Turn: 0, Rating: "meh"},
				{SessionID: "bad id!", Turn: 0, Rating: "up"},
			} {
				if err := s.AddFeedback(ctx, f); !errors.Is(err, ErrInvalid) {
					t.Errorf("feedback %+v: %v", f, err)
				}
			}
			if err := s.AddFeedback(ctx, Feedback{SessionID: NewID(), Turn: 0, Rating: "up"}); !errors.Is(err, ErrNotFound) {
				t.Errorf("feedback on unknown session: %v", err)
			}
			if _, err := s.Append(ctx, "../x", Turn{}); !errors.Is(err, ErrInvalid) {
				t.Errorf("bad id accepted: %v", err)
			}
			// Expiry: an hour and a minute after the last turn.
			c.t = c.t.Add(61 * time.Minute)
			if _, err := s.Get(ctx, id); !errors.Is(err, ErrNotFound) {
				t.Fatalf("expired session still there: %v", err)
			}
			if idx, err := s.Append(ctx, id, Turn{Question: "again"}); err != nil || idx != 0 {
				t.Fatalf("expired session should start over: %d %v", idx, err)
			}
			if err := s.Delete(ctx, id); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, id); !errors.Is(err, ErrNotFound) {
				t.Fatalf("second delete: %v", err)
			}
		})
	}
}

// TestSQLiteSharedAndDurable opens one session file twice, as two
// processes on one machine would, appends concurrently from both, and
// reopens it.
func TestSQLiteSharedAndDurable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sessions.db")
	a, err := OpenSQLite(ctx, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenSQLite(ctx, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	id := NewID()
	var wg sync.WaitGroup
	for i := range 20 {
		st := Store(a)
		if i%2 == 1 {
			st = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := st.Append(ctx, id, Turn{Question: "q"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	a.Close()
	b.Close()
	c, err := OpenSQLite(ctx, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := c.Get(ctx, id)
	if err != nil || len(got.Turns) != 20 {
		t.Fatalf("after reopen: %d turns, %v", len(got.Turns), err)
	}
}

func TestMemoryBounded(t *testing.T) {
	ctx := context.Background()
	c := &clock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	m := NewMemory(0)
	m.now = c.now
	m.max = 3
	var ids []string
	for range 5 {
		id := NewID()
		ids = append(ids, id)
		if _, err := m.Append(ctx, id, Turn{Question: "q"}); err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(time.Second)
	}
	if len(m.sessions) != 3 {
		t.Fatalf("%d sessions kept, want 3", len(m.sessions))
	}
	for i, id := range ids {
		_, err := m.Get(ctx, id)
		if kept := err == nil; kept != (i >= 2) {
			t.Errorf("session %d kept=%v", i, kept)
		}
	}
}
