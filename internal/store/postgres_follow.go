package store

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ChangeNotifier is implemented by stores that push notice of committed
// changes (PostgreSQL LISTEN/NOTIFY), so a follower of the change log
// wakes at once instead of polling. The channel returned is closed at the
// next change (or reconnection, after which changes may have been missed:
// read the log from the last applied sequence either way).
type ChangeNotifier interface {
	ChangeSignal() <-chan struct{}
}

// pgHeartbeat is how long the listener waits for a notification before it
// checks the connection and re-reads the generation (the catch-up that
// makes a lost notification harmless).
const pgHeartbeat = 500 * time.Millisecond

// pgFollower keeps the store's generation current from LISTEN/NOTIFY on a
// dedicated connection, so the query path never asks the database, and
// tells whether the database is reachable.
type pgFollower struct {
	once    sync.Once
	started atomic.Bool // true once startFollower has set the fields below
	gen     atomic.Int64
	up      atomic.Bool
	mu      sync.Mutex
	signal  chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}
}

var _ ChangeNotifier = (*Postgres)(nil)

// ChangeSignal returns a channel closed at the next committed change seen
// by this process's listener (which it starts).
func (s *Postgres) ChangeSignal() <-chan struct{} {
	s.startFollower()
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	return s.f.signal
}

// Available reports whether the listener's connection is up (true before
// it has started).
func (s *Postgres) Available() bool {
	if !s.f.started.Load() {
		return true
	}
	return s.f.up.Load()
}

func (f *pgFollower) broadcast() {
	f.mu.Lock()
	close(f.signal)
	f.signal = make(chan struct{})
	f.mu.Unlock()
}

func (f *pgFollower) setGen(g int64) {
	for {
		old := f.gen.Load()
		if g <= old {
			return
		}
		if f.gen.CompareAndSwap(old, g) {
			f.broadcast()
			return
		}
	}
}

// startFollower starts the listener once, with the generation read now
// (so Generation is current from the first call).
func (s *Postgres) startFollower() {
	s.f.once.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		s.f.cancel, s.f.done, s.f.signal = cancel, make(chan struct{}), make(chan struct{})
		if g, err := s.readGeneration(ctx); err == nil {
			s.f.gen.Store(g)
			s.f.up.Store(true)
		}
		go s.listen(ctx)
		s.f.started.Store(true)
	})
}

func (s *Postgres) stopFollower() {
	if s.f.started.Load() {
		s.f.cancel()
		<-s.f.done
	}
}

// listen holds a LISTEN connection, reconnecting with backoff, and keeps
// the generation current; after every (re)connection it reads the
// generation again, so nothing committed meanwhile is missed.
func (s *Postgres) listen(ctx context.Context) {
	defer close(s.f.done)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if s.f.up.Swap(false) {
			s.log("PostgreSQL connection lost; serving reads from memory, writes fail until it returns", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func (s *Postgres) listenOnce(ctx context.Context) error {
	cfg := s.pool.Config().ConnConfig.Copy()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgNotifyChannel); err != nil {
		return err
	}
	catchUp := func() error {
		cctx, cancel := context.WithTimeout(ctx, pgConnectTimeout)
		defer cancel()
		var g int64
		if err := conn.QueryRow(cctx, `SELECT value::bigint FROM meta WHERE key = 'generation'`).Scan(&g); err != nil {
			return err
		}
		s.f.setGen(g)
		return nil
	}
	if err := catchUp(); err != nil {
		return err
	}
	if !s.f.up.Swap(true) {
		s.log("PostgreSQL connection up; following the change log", nil)
		s.f.broadcast()
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, pgHeartbeat)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if g, perr := strconv.ParseInt(n.Payload, 10, 64); perr == nil {
				s.f.setGen(g)
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded):
			if err := catchUp(); err != nil {
				return err
			}
		default:
			return err
		}
	}
}
