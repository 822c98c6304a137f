package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ragline/ragline/internal/pgtest"
)

// sharedPG is one throwaway PostgreSQL cluster for this package's tests,
// started by the first test that needs it; each store gets its own
// database. Tests that stop the server start their own.
var sharedPG struct {
	once sync.Once
	root string
	srv  *pgtest.Server
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedPG.srv != nil {
		_ = sharedPG.srv.Close()
	}
	if sharedPG.root != "" {
		os.RemoveAll(sharedPG.root)
	}
	os.Exit(code)
}

// pgServer returns the shared cluster.
func pgServer(t *testing.T) *pgtest.Server {
	t.Helper()
	sharedPG.once.Do(func() {
		if sharedPG.root, sharedPG.err = os.MkdirTemp("", "ragline-session-pg-"); sharedPG.err != nil {
			return
		}
		sharedPG.srv, sharedPG.err = pgtest.StartIn(sharedPG.root, pgtest.Options{})
	})
	if sharedPG.err != nil {
		t.Fatal(sharedPG.err)
	}
	return sharedPG.srv
}

// openTestPostgres opens a Postgres store on a new database of the shared
// cluster.
func openTestPostgres(t *testing.T, ttl time.Duration, opts ...Option) *Postgres {
	t.Helper()
	s, err := OpenPostgres(context.Background(), pgServer(t).NewDatabase(t), ttl, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// postgresStore opens Postgres session stores, one database each.
func postgresStore(t *testing.T) func(ttl time.Duration, c *clock) Store {
	return func(ttl time.Duration, c *clock) Store {
		s := openTestPostgres(t, ttl)
		s.now = c.now
		return s
	}
}

// TestPostgresSessionsShared: two stores on one database (two replicas)
// see each other's turns, and a bad password never shows in errors.
func TestPostgresSessionsShared(t *testing.T) {
	url := pgServer(t).NewDatabase(t)
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

// TestPostgresMaxTurnsConcurrent appends to one session from two replicas
// at once: exactly MaxTurns turns are kept, numbered 0…MaxTurns-1, and
// every other append is refused with ErrFull.
func TestPostgresMaxTurnsConcurrent(t *testing.T) {
	url := pgServer(t).NewDatabase(t)
	ctx := context.Background()
	var replicas []*Postgres
	for range 2 {
		s, err := OpenPostgres(ctx, url, time.Hour, MaxTurns(5), CallTimeout(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		replicas = append(replicas, s)
	}
	id := NewID()
	var mu sync.Mutex
	idx := map[int]bool{}
	full := 0
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := replicas[i%2].Append(ctx, id, Turn{Question: fmt.Sprintf("q%d?", i)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, ErrFull):
				full++
			case err != nil:
				t.Error(err)
			case idx[n]:
				t.Errorf("turn index %d given twice", n)
			default:
				idx[n] = true
			}
		}()
	}
	wg.Wait()
	if len(idx) != 5 || full != 11 {
		t.Fatalf("%d turns kept (%v), %d refused; want 5 and 11", len(idx), idx, full)
	}
	got, err := replicas[0].Get(ctx, id)
	if err != nil || len(got.Turns) != 5 {
		t.Fatalf("get: %d turns, %v", len(got.Turns), err)
	}
}

// TestPostgresUnavailable checks that a call that cannot finish within the
// call timeout (here an append waiting on a row another connection holds
// locked, as with a stuck database) and calls to a stopped server fail
// with ErrUnavailable, and that the store recovers with the server.
func TestPostgresUnavailable(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	ctx := context.Background()
	s, err := OpenPostgres(ctx, url, time.Hour, CallTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id := NewID()
	if _, err := s.Append(ctx, id, Turn{Question: "before?"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Own(ctx, "alice", "ref-1", id); err != nil {
		t.Fatal(err)
	}

	locker, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close(ctx)
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE`, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, id, Turn{Question: "during?"}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("append to a locked session: %v, want ErrUnavailable", err)
	}
	// The lock is still held: the append gave up by itself.
	if _, err := tx.Exec(ctx, `SELECT 1`); err != nil {
		t.Fatalf("lock holder: %v", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Append(ctx, id, Turn{Question: "after?"}); err != nil || n != 1 {
		t.Fatalf("append after the lock: %d %v", n, err)
	}

	srv.Stop(t)
	calls := map[string]func() error{
		"get":      func() error { _, err := s.Get(ctx, id); return err },
		"append":   func() error { _, err := s.Append(ctx, id, Turn{Question: "down?"}); return err },
		"delete":   func() error { return s.Delete(ctx, id) },
		"feedback": func() error { return s.AddFeedback(ctx, Feedback{SessionID: id, Turn: 0, Rating: "up"}) },
		"own":      func() error { return s.Own(ctx, "alice", "ref-1", id) },
		"list":     func() error { _, err := s.List(ctx, "alice", "", 10); return err },
		"ping":     func() error { return s.Ping(ctx) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s on a stopped server: %v, want ErrUnavailable", name, err)
		}
	}
	srv.Restart(t)
	var got Session
	for range 50 { // the pool reconnects on the next call
		if got, err = s.Get(ctx, id); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || len(got.Turns) != 2 {
		t.Fatalf("after restart: %+v %v", got, err)
	}
}

// TestPostgresListingMigrates opens a database written before listings
// paged (session_owners without "updated", indexed by owner alone): the
// column is added from the sessions' times, the old sessions are listed
// newest first, and a page is read from the (owner, updated, ref) index
// without sorting.
func TestPostgresListingMigrates(t *testing.T) {
	ctx := context.Background()
	url := pgServer(t).NewDatabase(t)
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	turn := `{"question":"old?","answer":"a","no_answer":false,"time":"2026-01-01T00:00:00Z"}`
	now := time.Now()
	for _, stmt := range []string{
		`CREATE TABLE sessions (id TEXT PRIMARY KEY, created TEXT NOT NULL, updated BIGINT NOT NULL)`,
		`CREATE TABLE session_turns (session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, idx INTEGER NOT NULL, turn TEXT NOT NULL, PRIMARY KEY (session_id, idx))`,
		`CREATE TABLE session_feedback (session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, turn INTEGER NOT NULL, rating TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '', time TEXT NOT NULL)`,
		`CREATE TABLE session_owners (session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE, owner TEXT NOT NULL, ref TEXT NOT NULL)`,
		`CREATE INDEX session_owners_owner ON session_owners(owner)`,
		fmt.Sprintf(`INSERT INTO sessions VALUES ('aaaaaaaaaaaa', '2026-01-01T00:00:00Z', %d), ('bbbbbbbbbbbb', '2026-01-01T00:00:00Z', %d)`, now.Add(-time.Minute).UnixNano(), now.UnixNano()),
		`INSERT INTO session_turns VALUES ('aaaaaaaaaaaa', 0, '` + turn + `'), ('bbbbbbbbbbbb', 0, '` + turn + `')`,
		`INSERT INTO session_owners VALUES ('aaaaaaaaaaaa', 'alice', 'older'), ('bbbbbbbbbbbb', 'alice', 'newer')`,
	} {
		if _, err := db.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	s, err := OpenPostgres(ctx, url, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	page, err := s.List(ctx, "alice", "", 10)
	if err != nil || len(page.Sessions) != 2 || page.Sessions[0].ID != "newer" || page.Sessions[1].ID != "older" {
		t.Fatalf("after migration: %+v %v", page, err)
	}
	// A second open (another replica) finds the tables as they are.
	again, err := OpenPostgres(ctx, url, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	again.Close()

	// The plan of a following page, with sequential scans ruled out so
	// that the tiny table does not hide a missing index: the owner's
	// entries read from the cursor on, in listing order, with no sort.
	if _, err := db.Exec(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(ctx, "EXPLAIN "+postgresPageQuery(true), "alice", int64(0), now.UnixNano(), "newer", 6)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	bounded := false
	for _, l := range lines {
		if strings.Contains(l, "Index Cond") && strings.Contains(l, "owner =") && strings.Contains(l, "updated <=") {
			bounded = true
		}
	}
	if !strings.Contains(plan, "using session_owners_page on session_owners") || strings.Contains(plan, "Sort") || !bounded {
		t.Errorf("page plan does not read the listing index from the cursor in order:\n%s", plan)
	}
}
