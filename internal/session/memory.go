package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Memory is a Store in process memory: sessions are lost on restart and
// not shared between replicas.
type Memory struct {
	ttl time.Duration
	now func() time.Time

	mu       sync.Mutex
	sessions map[string]*Session
	feedback map[string][]Feedback
}

// NewMemory returns an in-memory store whose sessions expire ttl after
// their last turn (0: never).
func NewMemory(ttl time.Duration) *Memory {
	return &Memory{ttl: ttl, now: time.Now, sessions: map[string]*Session{}, feedback: map[string][]Feedback{}}
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
		s = &Session{ID: id, Created: now}
		m.sessions[id] = s
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
