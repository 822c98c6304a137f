package store

import (
	"database/sql"
	"os"
)

// isSnapshot reports whether file is a snapshot written by Snapshot (its
// meta table says so). A snapshot is stamped with the digest of its
// content, so Open keeps it read-only whatever the caller asked: a write
// would leave the stamp lying. Only a database not in WAL mode can be
// one (live knowledge bases are WAL), so the probe costs nothing for
// them.
func isSnapshot(file string) bool {
	if _, err := os.Stat(file); err != nil || isWAL(file) {
		return false
	}
	db, err := sql.Open("sqlite", "file:"+file+"?mode=ro&immutable=1")
	if err != nil {
		return false
	}
	defer db.Close()
	var v string
	err = db.QueryRow(`SELECT value FROM meta WHERE key = 'snapshot'`).Scan(&v)
	return err == nil && v == "1"
}
