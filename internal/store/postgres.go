package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// More sentinel errors callers branch on.
var (
	// ErrUnavailable is returned when the database cannot be reached; the
	// server answers 503 store_unavailable and keeps serving reads from
	// memory.
	ErrUnavailable = errors.New("store unavailable")
	// ErrSchemaTooNew is returned for a database migrated by a newer
	// ragline.
	ErrSchemaTooNew = errors.New("database schema is newer than this ragline")
	// ErrUnsupported is returned for a feature the store does not have.
	ErrUnsupported = errors.New("not supported by this store")
)

// IsURL reports whether a --data argument names a PostgreSQL database
// (postgres:// or postgresql://) rather than a directory or file.
func IsURL(data string) bool {
	return strings.HasPrefix(data, "postgres://") || strings.HasPrefix(data, "postgresql://")
}

// RedactURL hides the password of a database URL, for logs and errors.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if err != nil && IsURL(s) {
			return "postgres://<unparsable URL>"
		}
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// pgConnectTimeout bounds a connection attempt, so a write while the
// database is down fails fast instead of hanging.
const pgConnectTimeout = time.Second

// Postgres is the Store on a PostgreSQL database, shared by any number of
// replicas. Writes are atomic per call; concurrent writes of one document
// are serialised by an advisory lock on its id; every write appends to the
// change log and notifies listeners. It is safe for concurrent use.
type Postgres struct {
	pool     *pgxpool.Pool
	url      string // redacted
	readOnly bool
	logger   atomic.Pointer[slog.Logger]
	f        pgFollower
	cache    pgCache
}

var _ Store = (*Postgres)(nil)

// pgNotifyChannel is the LISTEN/NOTIFY channel of the change log; the
// payload is the committed sequence.
const pgNotifyChannel = "ragline_changes"

// OpenPostgres connects to the database at rawURL, creating or migrating
// the schema when writable, and checks the indexing-settings stamp as Open
// does. The password may come from the URL or PGPASSWORD.
func OpenPostgres(ctx context.Context, rawURL string, o Options) (*Postgres, error) {
	red := RedactURL(rawURL)
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open knowledge base %s: %s", red, redactErr(err, rawURL))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > pgConnectTimeout {
		cfg.ConnConfig.ConnectTimeout = pgConnectTimeout
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open knowledge base %s: %s", red, redactErr(err, rawURL))
	}
	s := &Postgres{pool: pool, url: red, readOnly: o.ReadOnly}
	s.logger.Store(o.Logger)
	if err := s.init(ctx, o); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// redactErr returns err's message without the password of rawURL.
func redactErr(err error, rawURL string) string { return RedactPassword(err.Error(), rawURL) }

// RedactPassword returns msg with the password of the database URL
// rawURL, if it has one, replaced by "xxxxx".
func RedactPassword(msg, rawURL string) string {
	if u, perr := url.Parse(rawURL); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}

func (s *Postgres) init(ctx context.Context, o Options) error {
	if err := migratePG(ctx, s.pool, !s.readOnly); err != nil {
		return fmt.Errorf("open knowledge base %s: %w", s.url, s.wrap(err))
	}
	if !s.readOnly {
		if _, err := s.pool.Exec(ctx, `INSERT INTO meta(key, value) VALUES('kb_id', $1) ON CONFLICT(key) DO NOTHING`, newID()); err != nil {
			return fmt.Errorf("open knowledge base %s: %w", s.url, s.wrap(err))
		}
	}
	return checkStamp(ctx, s, o.Stamp)
}

// wrap marks errors that mean the database cannot be reached with
// ErrUnavailable, keeping the cause.
func (s *Postgres) wrap(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	if unreachable(err) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

func unreachable(err error) bool {
	var ne net.Error
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &ce), errors.As(err, &ne):
		return true
	case errors.As(err, &pe):
		// Class 08: connection exception; 57P: operator intervention
		// (shutdown, crash recovery).
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P")
	case pgconn.SafeToRetry(err), pgconn.Timeout(err):
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "unexpected EOF") || strings.Contains(msg, "connection reset")
}

// ID returns the knowledge base's identity, set when the database was
// first opened writable ("" before that).
func (s *Postgres) ID(ctx context.Context) (string, error) {
	id, err := s.Meta(ctx, "kb_id")
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return id, err
}

// Path returns the database URL without its password.
func (s *Postgres) Path() string { return s.url }

// ReadOnly reports whether the store was opened read-only.
func (s *Postgres) ReadOnly() bool { return s.readOnly }

// Close stops the listener and closes the connection pool.
func (s *Postgres) Close() error {
	s.stopFollower()
	s.pool.Close()
	return nil
}

// SetLogger sends the listener's connection events (lost, restored) to
// l; nil logs nothing.
func (s *Postgres) SetLogger(l *slog.Logger) { s.logger.Store(l) }

func (s *Postgres) log(msg string, err error) {
	l := s.logger.Load()
	if l == nil {
		return
	}
	if err != nil {
		l.Warn(msg, "store", s.url, "err", redactErr(err, s.url))
		return
	}
	l.Info(msg, "store", s.url)
}

// Ping checks that the database answers.
func (s *Postgres) Ping(ctx context.Context) error { return s.wrap(s.pool.Ping(ctx)) }

// Meta returns a metadata value or ErrNotFound.
func (s *Postgres) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("meta %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("meta %s: %w", key, s.wrap(err))
	}
	return v, nil
}

// SetMeta stores a metadata value.
func (s *Postgres) SetMeta(ctx context.Context, key, value string) error {
	if s.readOnly {
		return ErrReadOnly
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO meta(key, value) VALUES($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("set meta %s: %w", key, s.wrap(err))
	}
	return nil
}

func (s *Postgres) countDocuments(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM documents`).Scan(&n)
	return n, s.wrap(err)
}

// Generation returns the sequence of the last committed change, as the
// listener last saw it: the query path never waits for the database, and
// keeps answering from memory while it is unreachable.
func (s *Postgres) Generation(ctx context.Context) (int64, error) {
	s.startFollower()
	return s.f.gen.Load(), nil
}

func (s *Postgres) readGeneration(ctx context.Context) (int64, error) {
	var g int64
	err := s.pool.QueryRow(ctx, `SELECT value::bigint FROM meta WHERE key = 'generation'`).Scan(&g)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return g, s.wrap(err)
}
