package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// SQLite is a Store in a SQLite file: sessions survive restarts and can be
// shared by processes on one machine.
type SQLite struct {
	db   *sql.DB
	ttl  time.Duration
	opts options
	now  func() time.Time
}

const sessionSchema = `
CREATE TABLE IF NOT EXISTS sessions (
  id      TEXT PRIMARY KEY,
  created TEXT NOT NULL,
  updated INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  idx        INTEGER NOT NULL,
  turn       TEXT NOT NULL,
  PRIMARY KEY (session_id, idx)
);
CREATE TABLE IF NOT EXISTS feedback (
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

// ownerUpdatedSchema adds the listing order to session_owners (files
// written before listings paged lack it): an owner's page is then read
// from the index, newest first, whatever the number of sessions.
const ownerUpdatedSchema = `
ALTER TABLE session_owners ADD COLUMN updated INTEGER NOT NULL DEFAULT 0;
UPDATE session_owners SET updated = coalesce((SELECT s.updated FROM sessions s WHERE s.id = session_owners.session_id), 0);
`

const ownerUpdatedIndex = `CREATE INDEX IF NOT EXISTS session_owners_page ON session_owners(owner, updated DESC, ref)`

// OpenSQLite opens (creating) a session database file.
func OpenSQLite(ctx context.Context, path string, ttl time.Duration, opts ...Option) (*SQLite, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open sessions: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sessions %s: %w", path, err)
	}
	if err := createSQLiteSchema(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sessions %s: %w", path, err)
	}
	return &SQLite{db: db, ttl: ttl, opts: buildOptions(opts), now: time.Now}, nil
}

// createSQLiteSchema creates the session tables, or adds what an older
// version's tables lack.
func createSQLiteSchema(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, sessionSchema); err != nil {
		return err
	}
	var hasUpdated int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('session_owners') WHERE name = 'updated'`).Scan(&hasUpdated); err != nil {
		return err
	}
	if hasUpdated == 0 {
		if _, err := db.ExecContext(ctx, ownerUpdatedSchema); err != nil {
			return fmt.Errorf("add listing order: %w", err)
		}
	}
	_, err := db.ExecContext(ctx, ownerUpdatedIndex)
	return err
}

// expired is the oldest "updated" (unix nanoseconds) still alive.
func (s *SQLite) expired() int64 {
	return oldestAlive(s.now(), s.ttl)
}

// Get returns a session.
func (s *SQLite) Get(ctx context.Context, id string) (Session, error) {
	var out Session
	var created string
	var updated int64
	err := s.db.QueryRowContext(ctx, `SELECT id, created, updated FROM sessions WHERE id = ? AND updated >= ?`, id, s.expired()).
		Scan(&out.ID, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return out, fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return out, fmt.Errorf("session %s: %w", id, err)
	}
	out.Created, _ = time.Parse(time.RFC3339Nano, created)
	out.Updated = time.Unix(0, updated).UTC()
	rows, err := s.db.QueryContext(ctx, `SELECT turn FROM turns WHERE session_id = ? ORDER BY idx`, id)
	if err != nil {
		return out, fmt.Errorf("session %s: %w", id, err)
	}
	defer rows.Close()
	if out.Turns, err = readTurns(rows, id, func(err error) error { return err }); err != nil {
		return Session{}, err
	}
	return out, nil
}

// Append adds a turn in one transaction.
func (s *SQLite) Append(ctx context.Context, id string, t Turn) (int, error) {
	now := s.now().UTC()
	raw, err := encodeTurn(id, t, now)
	if err != nil {
		return 0, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	// An expired session starts over.
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ? AND updated < ?`, id, s.expired()); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions(id, created, updated) VALUES(?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET updated = excluded.updated`, id, now.Format(time.RFC3339Nano), now.UnixNano()); err != nil {
		return 0, err
	}
	var idx int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM turns WHERE session_id = ?`, id).Scan(&idx); err != nil {
		return 0, err
	}
	if idx >= s.opts.maxTurns {
		return 0, FullError(id, idx)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO turns(session_id, idx, turn) VALUES(?, ?, ?)`, id, idx, string(raw)); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE session_owners SET updated = ? WHERE session_id = ?`, now.UnixNano(), id); err != nil {
		return 0, err
	}
	return idx, tx.Commit()
}

// Delete removes a session with its turns and feedback.
func (s *SQLite) Delete(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id = ? AND updated >= ?`, id, s.expired())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	return nil
}

// AddFeedback records a rating of an existing turn.
func (s *SQLite) AddFeedback(ctx context.Context, f Feedback) error {
	if err := checkFeedback(f); err != nil {
		return err
	}
	sess, err := s.Get(ctx, f.SessionID)
	if err != nil {
		return err
	}
	if f.Turn >= len(sess.Turns) {
		return errors.Join(ErrInvalid, fmt.Errorf("turn: session %s has %d turns", f.SessionID, len(sess.Turns)))
	}
	if f.Time.IsZero() {
		f.Time = s.now().UTC()
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO feedback(session_id, turn, rating, comment, time) VALUES(?, ?, ?, ?, ?)`,
		f.SessionID, f.Turn, f.Rating, f.Comment, f.Time.Format(time.RFC3339Nano))
	return err
}

// Close closes the database.
func (s *SQLite) Close() error { return s.db.Close() }

// Ping checks that the database answers, for readiness probes.
func (s *SQLite) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }
