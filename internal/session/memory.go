package session

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// DefaultMaxSessions bounds an in-memory store: beyond it the session
// updated longest ago is dropped, so memory stays flat under load.
const DefaultMaxSessions = 10_000

// Memory is a Store in process memory: sessions are lost on restart and
// not shared between replicas. It holds at most max sessions.
type Memory struct {
	ttl  time.Duration
	max  int
	opts options
	now  func() time.Time

	mu       sync.Mutex
	sessions map[string]*Session
	feedback map[string][]Feedback
}

// NewMemory returns an in-memory store whose sessions expire ttl after
// their last turn (0: never).
func NewMemory(ttl time.Duration, opts ...Option) *Memory {
	return &Memory{ttl: ttl, max: DefaultMaxSessions, opts: buildOptions(opts), now: time.Now, sessions: map[string]*Session{}, feedback: map[string][]Feedback{}}
}

// evict makes room for a new session when the store is full: it drops
// expired sessions and then the oldest hundredth of the rest (by last
// update), so the scan is paid once per many new sessions.
func (m *Memory) evict() {
	if len(m.sessions) < m.max {
		return
	}
	type aged struct {
		id string
		t  time.Time
	}
	all := make([]aged, 0, len(m.sessions))
	for id, s := range m.sessions {
		if m.ttl > 0 && m.now().Sub(s.Updated) > m.ttl {
			delete(m.sessions, id)
			delete(m.feedback, id)
			continue
		}
		all = append(all, aged{id, s.Updated})
	}
	if len(m.sessions) < m.max {
		return
	}
	sort.Slice(all, func(i, j int) bool { return all[i].t.Before(all[j].t) })
	for _, a := range all[:max(1, m.max/100)] {
		delete(m.sessions, a.id)
		delete(m.feedback, a.id)
	}
}

func (m *Memory) live(id string) (*Session, bool) {
	s, ok := m.sessions[id]
	if !ok {
		return nil, false
	}
	if m.ttl > 0 && m.now().Sub(s.Updated) > m.ttl {
		delete(m.sessions, id)
		delete(m.feedback, id)
		return nil, false
	}
	return s, true
}

// Get returns a copy of a session.
func (m *Memory) Get(ctx context.Context, id string) (Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.live(id)
	if !ok {
		return Session{}, fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	out := *s
	out.Turns = append([]Turn(nil), s.Turns...)
	return out, nil
}

// Append adds a turn.
func (m *Memory) Append(ctx context.Context, id string, t Turn) (int, error) {
	if !ValidID(id) {
		return 0, errors.Join(ErrInvalid, fmt.Errorf("session id %q", id))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if t.Time.IsZero() {
		t.Time = now
	}
	s, ok := m.live(id)
	if !ok {
		m.evict()
		s = &Session{ID: id, Created: now}
		m.sessions[id] = s
	}
	if len(s.Turns) >= m.opts.maxTurns {
		return 0, FullError(id, len(s.Turns))
	}
	s.Turns = append(s.Turns, t)
	s.Updated = now
	return len(s.Turns) - 1, nil
}

// Delete removes a session.
func (m *Memory) Delete(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.live(id); !ok {
		return fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	delete(m.sessions, id)
	delete(m.feedback, id)
	return nil
}

// AddFeedback records a rating.
func (m *Memory) AddFeedback(ctx context.Context, f Feedback) error {
	if err := checkFeedback(f); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.live(f.SessionID)
	if !ok {
		return fmt.Errorf("session %s: %w", f.SessionID, ErrNotFound)
	}
	if f.Turn >= len(s.Turns) {
		return errors.Join(ErrInvalid, fmt.Errorf("turn: session %s has %d turns", f.SessionID, len(s.Turns)))
	}
	if f.Time.IsZero() {
		f.Time = m.now()
	}
	m.feedback[f.SessionID] = append(m.feedback[f.SessionID], f)
	return nil
}

// Close does nothing.
func (m *Memory) Close() error { return nil }
