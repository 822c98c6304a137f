package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultListLimit is how many sessions List returns when asked for none
// or too many.
const DefaultListLimit = 100

// Summary is one session in a listing.
type Summary struct {
	// ID is the id the owner knows the session by.
	ID string `json:"id"`
	// Title is the session's first question.
	Title   string    `json:"title"`
	Turns   int       `json:"turns"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Lister is a Store that lists sessions per owner. An owner is the
// namespace a caller's sessions live in (an API key's name, or "" when
// the service has no keys); ref is the id the owner knows a session by,
// which may differ from the id it is stored under. Implementations are
// safe for concurrent use.
type Lister interface {
	// Own records that the session stored under id belongs to owner, who
	// knows it as ref. Call it once the session exists (after its first
	// Append); a session that expires and starts over must be owned again.
	Own(ctx context.Context, owner, ref, id string) error
	// List returns up to limit live sessions of owner, most recently
	// updated first.
	List(ctx context.Context, owner string, limit int) ([]Summary, error)
}

func listLimit(n int) int {
	if n <= 0 || n > DefaultListLimit {
		return DefaultListLimit
	}
	return n
}

// summarize builds the listing entry of a session.
func summarize(ref string, s Session) Summary {
	out := Summary{ID: ref, Turns: len(s.Turns), Created: s.Created, Updated: s.Updated}
	if len(s.Turns) > 0 {
		out.Title = s.Turns[0].Question
	}
	return out
}

// sortSummaries orders a listing newest first, ties by id, and cuts it.
func sortSummaries(out []Summary, limit int) []Summary {
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Updated.Equal(out[j].Updated) {
			return out[i].Updated.After(out[j].Updated)
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// Own records the owner of a session.
func (m *Memory) Own(ctx context.Context, owner, ref, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.live(id)
	if !ok {
		return fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	s.owner, s.ref, s.owned = owner, ref, true
	return nil
}

// List returns the live sessions of owner.
func (m *Memory) List(ctx context.Context, owner string, limit int) ([]Summary, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []Summary{}
	for id := range m.sessions {
		s, ok := m.live(id)
		if !ok || !s.owned || s.owner != owner {
			continue
		}
		out = append(out, summarize(s.ref, *s))
	}
	return sortSummaries(out, listLimit(limit)), nil
}

// Own records the owner of a session; the record goes with the session.
func (s *SQLite) Own(ctx context.Context, owner, ref, id string) error {
	res, err := s.db.ExecContext(ctx, `INSERT INTO session_owners(session_id, owner, ref)
		SELECT id, ?, ? FROM sessions WHERE id = ? AND updated >= ?
		ON CONFLICT(session_id) DO UPDATE SET owner = excluded.owner, ref = excluded.ref`, owner, ref, id, s.expired())
	if err != nil {
		return fmt.Errorf("session %s: own: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	return nil
}

// List returns the live sessions of owner.
func (s *SQLite) List(ctx context.Context, owner string, limit int) ([]Summary, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT o.ref, s.created, s.updated,
		  (SELECT count(*) FROM turns t WHERE t.session_id = s.id),
		  coalesce((SELECT turn FROM turns t WHERE t.session_id = s.id AND t.idx = 0), '')
		FROM session_owners o JOIN sessions s ON s.id = o.session_id
		WHERE o.owner = ? AND s.updated >= ?
		ORDER BY s.updated DESC, o.ref LIMIT ?`, owner, s.expired(), listLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	out := []Summary{}
	for rows.Next() {
		var sum Summary
		var created, first string
		var updated int64
		if err := rows.Scan(&sum.ID, &created, &updated, &sum.Turns, &first); err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		sum.Created, _ = time.Parse(time.RFC3339Nano, created)
		sum.Updated = time.Unix(0, updated).UTC()
		if first != "" {
			var t Turn
			if err := json.Unmarshal([]byte(first), &t); err != nil {
				return nil, fmt.Errorf("list sessions: session %s: stored turn: %w", sum.ID, err)
			}
			sum.Title = t.Question
		}
		out = append(out, sum)
	}
	return out, rows.Err()
}

// ownerKey is the Redis hash of an owner's sessions (stored id → ref).
// The owner name is hashed so that any name makes a well-formed key.
func ownerKey(owner string) string {
	sum := sha256.Sum256([]byte(owner))
	return "ragline:owner:" + hex.EncodeToString(sum[:16]) + ":sessions"
}

// Own records the owner of a session.
func (r *Redis) Own(ctx context.Context, owner, ref, id string) error {
	if !ValidID(id) {
		return fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	if err := r.client.HSet(ctx, ownerKey(owner), id, ref).Err(); err != nil {
		return fmt.Errorf("session %s: own: %w", id, err)
	}
	return nil
}

// List returns the live sessions of owner. Sessions that Redis has
// expired or that were deleted are dropped from the owner's record.
func (r *Redis) List(ctx context.Context, owner string, limit int) ([]Summary, error) {
	key := ownerKey(owner)
	refs, err := r.client.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	type probe struct {
		id, ref string
		meta    *redis.MapStringStringCmd
		n       *redis.IntCmd
		first   *redis.StringCmd
	}
	probes := make([]*probe, 0, len(refs))
	_, err = r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for id, ref := range refs {
			if !ValidID(id) {
				continue
			}
			k := keysFor(id)
			probes = append(probes, &probe{id: id, ref: ref,
				meta: p.HGetAll(ctx, k.meta), n: p.LLen(ctx, k.turns), first: p.LIndex(ctx, k.turns, 0)})
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := []Summary{}
	var gone []string
	for _, pr := range probes {
		if pr.n.Val() == 0 {
			gone = append(gone, pr.id)
			continue
		}
		sum := Summary{ID: pr.ref, Turns: int(pr.n.Val())}
		sum.Created, _ = time.Parse(time.RFC3339Nano, pr.meta.Val()["created"])
		sum.Updated, _ = time.Parse(time.RFC3339Nano, pr.meta.Val()["updated"])
		var t Turn
		if err := json.Unmarshal([]byte(pr.first.Val()), &t); err != nil {
			return nil, fmt.Errorf("list sessions: session %s: stored turn: %w", pr.id, err)
		}
		sum.Title = t.Question
		out = append(out, sum)
	}
	if len(gone) > 0 {
		if err := r.client.HDel(ctx, key, gone...).Err(); err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
	}
	return sortSummaries(out, listLimit(limit)), nil
}

var (
	_ Lister = (*Memory)(nil)
	_ Lister = (*SQLite)(nil)
	_ Lister = (*Redis)(nil)
)
