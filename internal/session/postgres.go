package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrUnavailable marks a failure to reach the session store's database:
// the server still answers, without the conversation's history, and says
// in its log that the turn was not kept.
var ErrUnavailable = errors.New("session store unavailable")

// unavailable wraps connection failures with ErrUnavailable.
func unavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), pgconn.SafeToRetry(err), pgconn.Timeout(err),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
	case errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P")):
	default:
		if !strings.Contains(err.Error(), "conn closed") {
			return err
		}
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// Postgres is a Store in a PostgreSQL database (by default the knowledge
// base's own), shared by every replica: a deployment needs one database
// instead of PostgreSQL plus Redis. It is safe for concurrent use.
type Postgres struct {
	pool *pgxpool.Pool
	ttl  time.Duration
	now  func() time.Time
}

// postgresSessionSchema lives beside the knowledge-base tables; every name
// starts with "session" so neither can clash with the other.
const postgresSessionSchema = `
CREATE TABLE IF NOT EXISTS sessions (
  id      TEXT PRIMARY KEY,
  created TEXT NOT NULL,
  updated BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS session_turns (
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  idx        INTEGER NOT NULL,
  turn       TEXT NOT NULL,
  PRIMARY KEY (session_id, idx)
);
CREATE TABLE IF NOT EXISTS session_feedback (
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  turn       INTEGER NOT NULL,
  rating     TEXT NOT NULL,
  comment    TEXT NOT NULL DEFAULT '',
  time       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS session_owners (
  session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
  owner      TEXT NOT NULL,
  ref        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS session_owners_owner ON session_owners(owner);
`

// sessionSchemaLock serialises replicas creating the tables at once.
const sessionSchemaLock = 0x7365737369006e73

// OpenPostgres connects to the database at rawURL (postgres://…; the
// password from the URL or PGPASSWORD) and creates the session tables.
// Errors never show the password.
func OpenPostgres(ctx context.Context, rawURL string, ttl time.Duration) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open postgres sessions: bad url: %s", hidePassword(err.Error(), rawURL))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > 2*time.Second {
		cfg.ConnConfig.ConnectTimeout = 2 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres sessions: %s", hidePassword(err.Error(), rawURL))
	}
	tx, err := pool.Begin(ctx)
	if err == nil {
		defer tx.Rollback(ctx)
		if _, err = tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(sessionSchemaLock)); err == nil {
			if _, err = tx.Exec(ctx, postgresSessionSchema); err == nil {
				err = tx.Commit(ctx)
			}
		}
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres sessions at %s: %s", cfg.ConnConfig.Host, hidePassword(err.Error(), rawURL))
	}
	return &Postgres{pool: pool, ttl: ttl, now: time.Now}, nil
}

// hidePassword removes the URL's password from a message.
func hidePassword(msg, rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}

func (p *Postgres) expired() int64 {
	if p.ttl <= 0 {
		return 0
	}
	return p.now().Add(-p.ttl).UnixNano()
}

// Get returns a session.
func (p *Postgres) Get(ctx context.Context, id string) (Session, error) {
	var out Session
	var created string
	var updated int64
	err := p.pool.QueryRow(ctx, `SELECT id, created, updated FROM sessions WHERE id = $1 AND updated >= $2`, id, p.expired()).
		Scan(&out.ID, &created, &updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return out, fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return out, fmt.Errorf("session %s: %w", id, unavailable(err))
	}
	out.Created, _ = time.Parse(time.RFC3339Nano, created)
	out.Updated = time.Unix(0, updated).UTC()
	rows, err := p.pool.Query(ctx, `SELECT turn FROM session_turns WHERE session_id = $1 ORDER BY idx`, id)
	if err != nil {
		return out, fmt.Errorf("session %s: %w", id, err)
	}
	defer rows.Close()
	out.Turns = []Turn{}
	for rows.Next() {
		var raw string
		var t Turn
		if err := rows.Scan(&raw); err != nil {
			return out, err
		}
		if err := json.Unmarshal([]byte(raw), &t); err != nil {
			return out, fmt.Errorf("session %s: stored turn: %w", id, err)
		}
		out.Turns = append(out.Turns, t)
	}
	return out, rows.Err()
}

// Append adds a turn in one transaction; the session row lock orders
// turns appended by two replicas at once.
func (p *Postgres) Append(ctx context.Context, id string, t Turn) (int, error) {
	if !ValidID(id) {
		return 0, errors.Join(ErrInvalid, fmt.Errorf("session id %q", id))
	}
	now := p.now().UTC()
	if t.Time.IsZero() {
		t.Time = now
	}
	raw, err := json.Marshal(t)
	if err != nil {
		return 0, err
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return 0, unavailable(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = $1 AND updated < $2`, id, p.expired()); err != nil {
		return 0, unavailable(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO sessions(id, created, updated) VALUES($1, $2, $3)
		ON CONFLICT(id) DO UPDATE SET updated = excluded.updated`, id, now.Format(time.RFC3339Nano), now.UnixNano()); err != nil {
		return 0, err
	}
	var idx int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM session_turns WHERE session_id = $1`, id).Scan(&idx); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO session_turns(session_id, idx, turn) VALUES($1, $2, $3)`, id, idx, string(raw)); err != nil {
		return 0, err
	}
	return idx, tx.Commit(ctx)
}

// Delete removes a session with its turns and feedback.
func (p *Postgres) Delete(ctx context.Context, id string) error {
	tag, err := p.pool.Exec(ctx, `DELETE FROM sessions WHERE id = $1 AND updated >= $2`, id, p.expired())
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	return nil
}

// AddFeedback records a rating of an existing turn.
func (p *Postgres) AddFeedback(ctx context.Context, f Feedback) error {
	if err := checkFeedback(f); err != nil {
		return err
	}
	sess, err := p.Get(ctx, f.SessionID)
	if err != nil {
		return err
	}
	if f.Turn >= len(sess.Turns) {
		return errors.Join(ErrInvalid, fmt.Errorf("turn: session %s has %d turns", f.SessionID, len(sess.Turns)))
	}
	if f.Time.IsZero() {
		f.Time = p.now().UTC()
	}
	_, err = p.pool.Exec(ctx, `INSERT INTO session_feedback(session_id, turn, rating, comment, time) VALUES($1, $2, $3, $4, $5)`,
		f.SessionID, f.Turn, f.Rating, f.Comment, f.Time.Format(time.RFC3339Nano))
	return err
}

// Own records the owner of a session; the record goes with the session.
func (p *Postgres) Own(ctx context.Context, owner, ref, id string) error {
	tag, err := p.pool.Exec(ctx, `INSERT INTO session_owners(session_id, owner, ref)
		SELECT id, $1, $2 FROM sessions WHERE id = $3 AND updated >= $4
		ON CONFLICT(session_id) DO UPDATE SET owner = excluded.owner, ref = excluded.ref`, owner, ref, id, p.expired())
	if err != nil {
		return fmt.Errorf("session %s: own: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	return nil
}

// List returns the live sessions of owner, most recently updated first.
func (p *Postgres) List(ctx context.Context, owner string, limit int) ([]Summary, error) {
	rows, err := p.pool.Query(ctx, `SELECT o.ref, s.created, s.updated,
		  (SELECT count(*) FROM session_turns t WHERE t.session_id = s.id),
		  coalesce((SELECT turn FROM session_turns t WHERE t.session_id = s.id AND t.idx = 0), '')
		FROM session_owners o JOIN sessions s ON s.id = o.session_id
		WHERE o.owner = $1 AND s.updated >= $2
		ORDER BY s.updated DESC, o.ref COLLATE "C" LIMIT $3`, owner, p.expired(), listLimit(limit))
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

// Close closes the connection pool.
func (p *Postgres) Close() error {
	p.pool.Close()
	return nil
}

// Ping checks that the database answers, for readiness probes.
func (p *Postgres) Ping(ctx context.Context) error { return unavailable(p.pool.Ping(ctx)) }

var _ Lister = (*Postgres)(nil)
