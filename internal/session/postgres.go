package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ragline/ragline/internal/store"
)

// unavailable wraps failures to reach the database, or to hear from it
// within the call timeout, with ErrUnavailable. A call its caller gave up
// on (context.Canceled) is returned as it is.
func unavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) || errors.Is(err, context.Canceled) {
		return err
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), pgconn.SafeToRetry(err), pgconn.Timeout(err),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
	case errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57")):
		// connection exceptions; operator intervention (shutdown, query
		// cancelled when the call ran out of time)
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
	opts options
	now  func() time.Time
}

// postgresSessionSchema lives beside the knowledge-base tables; every name
// starts with "session" so neither can clash with the other. A turn is
// stored whole as JSON (question, answer, citations, trace, time), so a
// field added to Turn needs no new column.
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
  ref        TEXT NOT NULL,
  updated    BIGINT NOT NULL DEFAULT 0
);
`

// postgresOwnerUpdated adds the listing order to session_owners (databases
// written before listings paged lack it) and fills it from the sessions.
const postgresOwnerUpdated = `
ALTER TABLE session_owners ADD COLUMN IF NOT EXISTS updated BIGINT NOT NULL DEFAULT 0;
UPDATE session_owners o SET updated = s.updated FROM sessions s WHERE s.id = o.session_id;
`

// postgresOwnerIndex reads an owner's page in listing order, newest first,
// whatever the number of sessions; it replaces the index on owner alone.
const postgresOwnerIndex = `
CREATE INDEX IF NOT EXISTS session_owners_page ON session_owners(owner, updated DESC, ref COLLATE "C");
DROP INDEX IF EXISTS session_owners_owner;
`

// sessionSchemaLock serialises replicas creating the tables at once.
const sessionSchemaLock = 0x7365737369006e73

// OpenPostgres connects to the database at rawURL (postgres://…; the
// password from the URL or PGPASSWORD) and creates the session tables, or
// adds what an older version's tables lack. Errors never show the
// password.
func OpenPostgres(ctx context.Context, rawURL string, ttl time.Duration, opts ...Option) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open postgres sessions: bad url: %s", store.RedactPassword(err.Error(), rawURL))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > 2*time.Second {
		cfg.ConnConfig.ConnectTimeout = 2 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres sessions: %s", store.RedactPassword(err.Error(), rawURL))
	}
	if err := createPostgresSchema(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres sessions at %s: %s", cfg.ConnConfig.Host, store.RedactPassword(err.Error(), rawURL))
	}
	return &Postgres{pool: pool, ttl: ttl, opts: buildOptions(opts), now: time.Now}, nil
}

// createPostgresSchema creates or upgrades the session tables in one
// transaction, under a lock that replicas starting together share.
func createPostgresSchema(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(sessionSchemaLock)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, postgresSessionSchema); err != nil {
		return err
	}
	var hasUpdated bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'session_owners' AND column_name = 'updated')`).Scan(&hasUpdated); err != nil {
		return err
	}
	if !hasUpdated {
		if _, err := tx.Exec(ctx, postgresOwnerUpdated); err != nil {
			return fmt.Errorf("add listing order: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, postgresOwnerIndex); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// expired is the oldest "updated" (unix nanoseconds) still alive.
func (p *Postgres) expired() int64 {
	return oldestAlive(p.now(), p.ttl)
}

// oldestAlive is the oldest "updated" (unix nanoseconds) of a session
// still alive at now with time to live ttl; 0 when sessions never expire.
func oldestAlive(now time.Time, ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return now.Add(-ttl).UnixNano()
}

// call bounds one call to the database by the store's call timeout.
func (p *Postgres) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, p.opts.callTimeout)
}

// rollback ends a transaction that was not committed; it is bounded too,
// so that a server that stopped answering cannot hold the caller.
func (p *Postgres) rollback(ctx context.Context, tx pgx.Tx) {
	ctx, cancel := p.call(context.WithoutCancel(ctx))
	defer cancel()
	_ = tx.Rollback(ctx)
}

// Get returns a session.
func (p *Postgres) Get(ctx context.Context, id string) (Session, error) {
	ctx, cancel := p.call(ctx)
	defer cancel()
	var out Session
	var created string
	var updated int64
	err := p.pool.QueryRow(ctx, `SELECT id, created, updated FROM sessions WHERE id = $1 AND updated >= $2`, id, p.expired()).
		Scan(&out.ID, &created, &updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("session %s: %w", id, unavailable(err))
	}
	out.Created, _ = time.Parse(time.RFC3339Nano, created)
	out.Updated = time.Unix(0, updated).UTC()
	rows, err := p.pool.Query(ctx, `SELECT turn FROM session_turns WHERE session_id = $1 ORDER BY idx`, id)
	if err != nil {
		return Session{}, fmt.Errorf("session %s: %w", id, unavailable(err))
	}
	defer rows.Close()
	if out.Turns, err = readTurns(rows, id, unavailable); err != nil {
		return Session{}, err
	}
	return out, nil
}

// readTurns reads the stored turns of session id, one JSON turn a row.
// wrap classifies the database's errors (Postgres marks the retryable
// ones).
func readTurns(rows queryRows, id string, wrap func(error) error) ([]Turn, error) {
	turns := []Turn{}
	for rows.Next() {
		var raw string
		var t Turn
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("session %s: %w", id, wrap(err))
		}
		if err := json.Unmarshal([]byte(raw), &t); err != nil {
			return nil, fmt.Errorf("session %s: stored turn: %w", id, err)
		}
		turns = append(turns, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("session %s: %w", id, wrap(err))
	}
	return turns, nil
}

// encodeTurn checks the id of the session a turn is appended to and
// encodes the turn as stored, stamped with now when it has no time.
func encodeTurn(id string, t Turn, now time.Time) ([]byte, error) {
	if !ValidID(id) {
		return nil, errors.Join(ErrInvalid, fmt.Errorf("session id %q", id))
	}
	if t.Time.IsZero() {
		t.Time = now
	}
	return json.Marshal(t)
}

// Append adds a turn in one transaction. Writing the session row locks it
// until the transaction ends, so turns appended by two replicas at once
// take their turn: each counts the turns the other committed, and the
// turn past MaxTurns is refused (ErrFull) with the session left as it was.
func (p *Postgres) Append(ctx context.Context, id string, t Turn) (int, error) {
	now := p.now().UTC()
	raw, err := encodeTurn(id, t, now)
	if err != nil {
		return 0, err
	}
	ctx, cancel := p.call(ctx)
	defer cancel()
	idx, err := p.append(ctx, id, now, raw)
	if err != nil && !errors.Is(err, ErrFull) {
		return 0, fmt.Errorf("session %s: append: %w", id, unavailable(err))
	}
	return idx, err
}

func (p *Postgres) append(ctx context.Context, id string, now time.Time, raw []byte) (int, error) {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer p.rollback(ctx, tx)
	// An expired session starts over.
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = $1 AND updated < $2`, id, p.expired()); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO sessions(id, created, updated) VALUES($1, $2, $3)
		ON CONFLICT(id) DO UPDATE SET updated = excluded.updated`, id, now.Format(time.RFC3339Nano), now.UnixNano()); err != nil {
		return 0, err
	}
	var idx int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM session_turns WHERE session_id = $1`, id).Scan(&idx); err != nil {
		return 0, err
	}
	if idx >= p.opts.maxTurns {
		return 0, FullError(id, idx)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO session_turns(session_id, idx, turn) VALUES($1, $2, $3)`, id, idx, string(raw)); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE session_owners SET updated = $1 WHERE session_id = $2`, now.UnixNano(), id); err != nil {
		return 0, err
	}
	return idx, tx.Commit(ctx)
}

// Delete removes a session with its turns and feedback.
func (p *Postgres) Delete(ctx context.Context, id string) error {
	ctx, cancel := p.call(ctx)
	defer cancel()
	tag, err := p.pool.Exec(ctx, `DELETE FROM sessions WHERE id = $1 AND updated >= $2`, id, p.expired())
	if err != nil {
		return fmt.Errorf("session %s: delete: %w", id, unavailable(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	return nil
}

// AddFeedback records a rating of an existing turn: one statement that
// inserts only when the session is alive and holds the turn.
func (p *Postgres) AddFeedback(ctx context.Context, f Feedback) error {
	if err := checkFeedback(f); err != nil {
		return err
	}
	if f.Time.IsZero() {
		f.Time = p.now().UTC()
	}
	ctx, cancel := p.call(ctx)
	defer cancel()
	var turns int
	var alive bool
	err := p.pool.QueryRow(ctx, `WITH s AS (
		  SELECT id, (SELECT count(*) FROM session_turns t WHERE t.session_id = sessions.id) AS turns
		  FROM sessions WHERE id = $1 AND updated >= $2
		), ins AS (
		  INSERT INTO session_feedback(session_id, turn, rating, comment, time)
		  SELECT id, $3::integer, $4, $5, $6 FROM s WHERE turns > $3::integer
		)
		SELECT coalesce((SELECT turns FROM s), 0), EXISTS (SELECT 1 FROM s)`,
		f.SessionID, p.expired(), f.Turn, f.Rating, f.Comment, f.Time.Format(time.RFC3339Nano)).Scan(&turns, &alive)
	if err != nil {
		return fmt.Errorf("session %s: feedback: %w", f.SessionID, unavailable(err))
	}
	if !alive {
		return fmt.Errorf("session %s: %w", f.SessionID, ErrNotFound)
	}
	if f.Turn >= turns {
		return errors.Join(ErrInvalid, fmt.Errorf("turn: session %s has %d turns", f.SessionID, turns))
	}
	return nil
}

// Own records the owner of a session and moves it to its place in the
// owner's listing (the session's last update); owning it again, as after
// every turn, only refreshes that place. The record goes with the session.
func (p *Postgres) Own(ctx context.Context, owner, ref, id string) error {
	ctx, cancel := p.call(ctx)
	defer cancel()
	tag, err := p.pool.Exec(ctx, `INSERT INTO session_owners(session_id, owner, ref, updated)
		SELECT id, $1, $2, updated FROM sessions WHERE id = $3 AND updated >= $4
		ON CONFLICT(session_id) DO UPDATE SET owner = excluded.owner, ref = excluded.ref, updated = excluded.updated`,
		owner, ref, id, p.expired())
	if err != nil {
		return fmt.Errorf("session %s: own: %w", id, unavailable(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	return nil
}

// List returns a page of the live sessions of owner, most recently updated
// first, read in the order of the (owner, updated, ref) index: a page
// reads that many index entries, however many sessions the owner has.
func (p *Postgres) List(ctx context.Context, owner, cursor string, limit int) (Page, error) {
	from, paged, err := decodeCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	limit = listLimit(limit)
	ctx, cancel := p.call(ctx)
	defer cancel()
	args := []any{owner, p.expired()}
	if paged {
		args = append(args, from.at, from.key)
	}
	args = append(args, limit+1)
	rows, err := p.pool.Query(ctx, postgresPageQuery(paged), args...)
	if err != nil {
		return Page{}, fmt.Errorf("list sessions: %w", unavailable(err))
	}
	defer rows.Close()
	return readPage(rows, limit, unavailable)
}

// postgresPageQuery reads a page of an owner's listing: $1 owner, $2 the
// oldest update still alive, then the cursor's ($3 update, $4 ref) when
// paged, and the number of rows last.
func postgresPageQuery(paged bool) string {
	after, limit := "", "$3"
	if paged {
		// "updated <= $3" bounds the index scan: the page starts at the
		// cursor instead of filtering out the newer entries.
		after, limit = ` AND o.updated <= $3 AND (o.updated < $3 OR (o.updated = $3 AND o.ref COLLATE "C" > $4))`, "$5"
	}
	return `SELECT o.ref, o.updated, s.created, s.updated,
		  (SELECT count(*) FROM session_turns t WHERE t.session_id = s.id),
		  coalesce((SELECT turn FROM session_turns t WHERE t.session_id = s.id AND t.idx = 0), '')
		FROM session_owners o JOIN sessions s ON s.id = o.session_id
		WHERE o.owner = $1 AND o.updated >= $2` + after + `
		ORDER BY o.updated DESC, o.ref COLLATE "C"
		LIMIT ` + limit
}

// Close closes the connection pool.
func (p *Postgres) Close() error {
	p.pool.Close()
	return nil
}

// Ping checks that the database answers within the call timeout, for
// readiness probes.
func (p *Postgres) Ping(ctx context.Context) error {
	ctx, cancel := p.call(ctx)
	defer cancel()
	return unavailable(p.pool.Ping(ctx))
}

var _ Lister = (*Postgres)(nil)
