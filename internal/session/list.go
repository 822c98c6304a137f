package session

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
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

// Page is one page of a listing.
type Page struct {
	Sessions []Summary `json:"sessions"`
	// Next is the cursor of the following page; "" on the last one.
	Next string `json:"next_cursor,omitempty"`
}

// Lister is a Store that lists sessions per owner, a page at a time. An
// owner is the namespace a caller's sessions live in (an API key's name,
// or "" when the service has no keys); ref is the id the owner knows a
// session by, which may differ from the id it is stored under.
// Implementations are safe for concurrent use, and read a page in time
// that grows with the page, not with the owner's sessions.
type Lister interface {
	// Own records that the session stored under id belongs to owner, who
	// knows it as ref, and moves it to the top of the owner's listing.
	// Call it after every Append: the owner's index learns the session's
	// last update and lives as long as the owner's newest session.
	Own(ctx context.Context, owner, ref, id string) error
	// List returns up to limit live sessions of owner, most recently
	// updated first, starting after cursor ("" for the first page; a
	// malformed cursor is ErrInvalid).
	List(ctx context.Context, owner, cursor string, limit int) (Page, error)
}

func listLimit(n int) int {
	if n <= 0 || n > DefaultListLimit {
		return DefaultListLimit
	}
	return n
}

// position is where a page starts: after the entry with this sort value
// (the update time, or a store's score) and key, in descending order.
type position struct {
	at  int64
	key string
}

// encodeCursor makes the opaque cursor that follows p.
func encodeCursor(p position) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(p.at, 10) + "|" + p.key))
}

// decodeCursor reads a cursor; "" is the start of the listing.
func decodeCursor(c string) (position, bool, error) {
	if c == "" {
		return position{}, false, nil
	}
	bad := errors.Join(ErrInvalid, errors.New("cursor: not a cursor from a listing"))
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return position{}, false, bad
	}
	at, key, ok := strings.Cut(string(raw), "|")
	n, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil {
		return position{}, false, bad
	}
	return position{at: n, key: key}, true, nil
}

// before reports whether an entry (at, key) comes after p in a listing
// sorted by at descending, then key ascending.
func (p position) before(at int64, key string) bool {
	return at < p.at || (at == p.at && key > p.key)
}

// summarize builds the listing entry of a session.
func summarize(ref string, s Session) Summary {
	out := Summary{ID: ref, Turns: len(s.Turns), Created: s.Created, Updated: s.Updated}
	if len(s.Turns) > 0 {
		out.Title = s.Turns[0].Question
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

// List returns a page of the live sessions of owner. The in-memory store
// holds at most DefaultMaxSessions sessions, so it sorts them all.
func (m *Memory) List(ctx context.Context, owner, cursor string, limit int) (Page, error) {
	from, paged, err := decodeCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	limit = listLimit(limit)
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []Summary{}
	for id := range m.sessions {
		s, ok := m.live(id)
		if !ok || !s.owned || s.owner != owner {
			continue
		}
		if paged && !from.before(s.Updated.UnixNano(), s.ref) {
			continue
		}
		out = append(out, summarize(s.ref, *s))
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Updated.Equal(out[j].Updated) {
			return out[i].Updated.After(out[j].Updated)
		}
		return out[i].ID < out[j].ID
	})
	page := Page{Sessions: out}
	if len(out) > limit {
		page.Sessions = out[:limit]
		last := out[limit-1]
		page.Next = encodeCursor(position{at: last.Updated.UnixNano(), key: last.ID})
	}
	return page, nil
}

// Own records the owner of a session; the record goes with the session.
func (s *SQLite) Own(ctx context.Context, owner, ref, id string) error {
	res, err := s.db.ExecContext(ctx, `INSERT INTO session_owners(session_id, owner, ref, updated)
		SELECT id, ?, ?, updated FROM sessions WHERE id = ? AND updated >= ?
		ON CONFLICT(session_id) DO UPDATE SET owner = excluded.owner, ref = excluded.ref, updated = excluded.updated`, owner, ref, id, s.expired())
	if err != nil {
		return fmt.Errorf("session %s: own: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	return nil
}

// List returns a page of the live sessions of owner, read in the order of
// the (owner, updated, ref) index.
func (s *SQLite) List(ctx context.Context, owner, cursor string, limit int) (Page, error) {
	from, paged, err := decodeCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	limit = listLimit(limit)
	after := ""
	args := []any{owner, s.expired()}
	if paged {
		after = ` AND (o.updated < ? OR (o.updated = ? AND o.ref > ?))`
		args = append(args, from.at, from.at, from.key)
	}
	args = append(args, limit+1)
	rows, err := s.db.QueryContext(ctx, `SELECT o.ref, o.updated, s.created, s.updated,
		  (SELECT count(*) FROM turns t WHERE t.session_id = s.id),
		  coalesce((SELECT turn FROM turns t WHERE t.session_id = s.id AND t.idx = 0), '')
		FROM session_owners o JOIN sessions s ON s.id = o.session_id
		WHERE o.owner = ? AND o.updated >= ?`+after+`
		ORDER BY o.updated DESC, o.ref LIMIT ?`, args...)
	if err != nil {
		return Page{}, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	return readPage(rows, limit, func(err error) error { return err })
}

// queryRows is what readPage and readTurns need of a query's rows;
// database/sql's and pgx's rows both have it.
type queryRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// readPage reads one listing page of at most limit sessions from rows of
// (ref, listing order, created, updated, turns, first turn as JSON), read
// one past the page: that extra row only says a next page exists. wrap
// classifies the database's errors (Postgres marks the retryable ones).
func readPage(rows queryRows, limit int, wrap func(error) error) (Page, error) {
	page := Page{Sessions: []Summary{}}
	var last position
	for rows.Next() {
		var sum Summary
		var created, first string
		var at, updated int64
		if err := rows.Scan(&sum.ID, &at, &created, &updated, &sum.Turns, &first); err != nil {
			return Page{}, fmt.Errorf("list sessions: %w", wrap(err))
		}
		if len(page.Sessions) == limit {
			page.Next = encodeCursor(last)
			break
		}
		sum.Created, _ = time.Parse(time.RFC3339Nano, created)
		sum.Updated = time.Unix(0, updated).UTC()
		if first != "" {
			var t Turn
			if err := json.Unmarshal([]byte(first), &t); err != nil {
				return Page{}, fmt.Errorf("list sessions: session %s: stored turn: %w", sum.ID, err)
			}
			sum.Title = t.Question
		}
		page.Sessions = append(page.Sessions, sum)
		last = position{at: at, key: sum.ID}
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("list sessions: %w", wrap(err))
	}
	return page, nil
}

// ownerKey is the Redis sorted set of an owner's sessions: members
// "id|ref", scored by the session's last update in Unix milliseconds. The
// owner name is hashed so that any name makes a well-formed key. The set
// expires with the owner's newest session, and entries older than the
// sessions' time to live are trimmed whenever a session is owned. (Earlier
// versions kept a hash, "ragline:owner:HASH:sessions", that never expired;
// it is no longer read, and a session it held is listed again from its
// next turn.)
func ownerKey(owner string) string {
	sum := sha256.Sum256([]byte(owner))
	return "ragline:owner:" + hex.EncodeToString(sum[:16]) + ":recent"
}

// Own records the owner of a session and moves it to the top of the
// owner's index.
func (r *Redis) Own(ctx context.Context, owner, ref, id string) error {
	if !ValidID(id) || strings.Contains(ref, "|") {
		return fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	key := ownerKey(owner)
	now := r.now().UnixMilli()
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, key, redis.Z{Score: float64(now), Member: id + "|" + ref})
		if r.ttl > 0 {
			p.ZRemRangeByScore(ctx, key, "-inf", "("+strconv.FormatInt(now-r.ttl.Milliseconds(), 10))
			p.PExpire(ctx, key, time.Duration(ttlMillis(r.ttl))*time.Millisecond)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("session %s: own: %w", id, r.fault(err))
	}
	return nil
}

// List returns a page of the live sessions of owner, read from the owner's
// index: each page reads that many entries and sessions. Entries whose
// session Redis has expired or that was deleted are dropped on the way.
func (r *Redis) List(ctx context.Context, owner, cursor string, limit int) (Page, error) {
	from, paged, err := decodeCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	limit = listLimit(limit)
	ctx, cancel := r.call(ctx)
	defer cancel()
	key := ownerKey(owner)
	max := "+inf"
	if paged {
		max = strconv.FormatInt(from.at, 10)
	}
	page := Page{Sessions: []Summary{}}
	var last position
	// Read the index in windows until the page is full: entries tied with
	// the cursor or naming dropped sessions are skipped.
	for offset := int64(0); ; {
		entries, err := r.client.ZRevRangeByScoreWithScores(ctx, key, &redis.ZRangeBy{Min: "-inf", Max: max, Offset: offset, Count: int64(limit + 1)}).Result()
		if err != nil {
			return Page{}, fmt.Errorf("list sessions: %w", r.fault(err))
		}
		offset += int64(len(entries))
		type probe struct {
			id, ref, member string
			at              int64
			meta            *redis.MapStringStringCmd
			n               *redis.IntCmd
			first           *redis.StringCmd
		}
		var probes []*probe
		for _, e := range entries {
			member, _ := e.Member.(string)
			id, ref, ok := strings.Cut(member, "|")
			at := int64(e.Score)
			// Redis orders equal scores by member, descending.
			if !ok || !ValidID(id) || (paged && !(at < from.at || (at == from.at && member < from.key))) {
				continue
			}
			probes = append(probes, &probe{id: id, ref: ref, member: member, at: at})
		}
		if len(probes) > 0 {
			_, err = r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, pr := range probes {
					k := keysFor(pr.id)
					pr.meta, pr.n, pr.first = p.HGetAll(ctx, k.meta), p.LLen(ctx, k.turns), p.LIndex(ctx, k.turns, 0)
				}
				return nil
			})
			if err != nil && err != redis.Nil {
				return Page{}, fmt.Errorf("list sessions: %w", r.fault(err))
			}
		}
		var gone []any
		for _, pr := range probes {
			if pr.n.Val() == 0 {
				gone = append(gone, pr.member)
				continue
			}
			if len(page.Sessions) == limit {
				page.Next = encodeCursor(last)
				break
			}
			sum := Summary{ID: pr.ref, Turns: int(pr.n.Val())}
			sum.Created, _ = time.Parse(time.RFC3339Nano, pr.meta.Val()["created"])
			sum.Updated, _ = time.Parse(time.RFC3339Nano, pr.meta.Val()["updated"])
			var t Turn
			if err := json.Unmarshal([]byte(pr.first.Val()), &t); err != nil {
				return Page{}, fmt.Errorf("list sessions: session %s: stored turn: %w", pr.id, err)
			}
			sum.Title = t.Question
			page.Sessions = append(page.Sessions, sum)
			last = position{at: pr.at, key: pr.member}
		}
		if len(gone) > 0 {
			if err := r.client.ZRem(ctx, key, gone...).Err(); err != nil {
				return Page{}, fmt.Errorf("list sessions: %w", r.fault(err))
			}
			offset -= int64(len(gone))
		}
		if page.Next != "" || len(entries) < limit+1 {
			return page, nil
		}
	}
}

var (
	_ Lister = (*Memory)(nil)
	_ Lister = (*SQLite)(nil)
	_ Lister = (*Redis)(nil)
)
