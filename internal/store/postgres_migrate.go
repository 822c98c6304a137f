package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/postgres/*.sql
var pgMigrations embed.FS

// pgMigration is one numbered schema step.
type pgMigration struct {
	version int
	name    string
	sql     string
}

// loadPGMigrations reads the embedded NNNN_name.sql files in order.
func loadPGMigrations() ([]pgMigration, error) {
	files, err := fs.Glob(pgMigrations, "migrations/postgres/*.sql")
	if err != nil {
		return nil, err
	}
	var out []pgMigration
	for _, f := range files {
		base := f[strings.LastIndex(f, "/")+1:]
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", base)
		}
		b, err := pgMigrations.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, pgMigration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// PGSchemaVersion is the newest schema version this binary knows.
func PGSchemaVersion() int {
	m, err := loadPGMigrations()
	if err != nil || len(m) == 0 {
		return 0
	}
	return m[len(m)-1].version
}

// pgMigrateLock is the advisory lock that serialises schema migrations of
// replicas starting at once.
const pgMigrateLock = 0x7261676c696e65 // "ragline"

// migratePG brings the database schema up to date in one transaction per
// step, under an advisory lock, and refuses a schema newer than this
// binary knows. With apply false it only checks (read-only opens).
func migratePG(ctx context.Context, pool *pgxpool.Pool, apply bool) error {
	steps, err := loadPGMigrations()
	if err != nil {
		return err
	}
	known := steps[len(steps)-1].version
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if apply {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(pgMigrateLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create schema_version: %w", err)
		}
	}
	var have int
	err = tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&have)
	if err != nil {
		return fmt.Errorf("read schema version (not a ragline database?): %w", err)
	}
	if have > known {
		return fmt.Errorf("%w: the database schema is version %d, this ragline knows up to version %d: upgrade ragline", ErrSchemaTooNew, have, known)
	}
	if !apply {
		if have < known {
			return fmt.Errorf("database schema is version %d, this ragline needs %d: open it once writable (any ragline ingest or serve) to migrate", have, known)
		}
		return nil
	}
	for _, m := range steps {
		if m.version <= have {
			continue
		}
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version(version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return tx.Commit(ctx)
}
