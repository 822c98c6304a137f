package session

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ragline/ragline/internal/pgtest"
)

// postgresStore opens Postgres session stores on a throwaway PostgreSQL
// started at the first call (one database per store).
func postgresStore(t *testing.T) func(ttl time.Duration, c *clock) Store {
	var once sync.Once
	var srv *pgtest.Server
	return func(ttl time.Duration, c *clock) Store {
		once.Do(func() { srv = pgtest.Start(t) })
		s, err := OpenPostgres(context.Background(), srv.NewDatabase(t), ttl)
		if err != nil {
			t.Fatal(err)
		}
		s.now = c.now
		t.Cleanup(func() { s.Close() })
		return s
	}
}

// TestPostgresSessionsShared: two stores on one database (two replicas)
// see each other's turns, and a bad password never shows in errors.
func TestPostgresSessionsShared(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	ctx := context.Background()
	a, err := OpenPostgres(ctx, url, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenPostgres(ctx, url, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	id := NewID()
	if _, err := a.Append(ctx, id, Turn{Question: "q1?"}); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Append(ctx, id, Turn{Question: "q2?"}); err != nil || n != 1 {
		t.Fatalf("append on the other replica: %d %v", n, err)
	}
	got, err := a.Get(ctx, id)
	if err != nil || len(got.Turns) != 2 {
		t.Fatalf("get: %+v %v", got, err)
	}
	_, err = OpenPostgres(ctx, "postgres://ragline:hunter22@127.0.0.1:1/x?sslmode=disable", time.Hour)
	if err == nil || strings.Contains(err.Error(), "hunter22") {
		t.Fatalf("unreachable: %v", err)
	}
}
