package config

import "strings"

// StoreConfig selects the knowledge base's system of record when it is
// not the SQLite file under data.
type StoreConfig struct {
	// URL is a PostgreSQL connection URL (postgres://user:pass@host/db);
	// when set it replaces data. A secret: its password may be a
	// ${VAR} reference, and it is never printed.
	URL Secret `yaml:"url" json:"url"`
}

// validateStore checks the store section and the sessions that depend on
// it.
func (c *Config) validateStore(add func(field, format string, args ...any)) {
	u := c.Store.URL.Value()
	if u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		add("store.url", "must be a postgres:// or postgresql:// URL")
	}
	if c.Sessions.Store == "postgres" && c.Sessions.URL.IsSet() {
		su := c.Sessions.URL.Value()
		if !strings.HasPrefix(su, "postgres://") && !strings.HasPrefix(su, "postgresql://") {
			add("sessions.url", "must be a postgres:// or postgresql:// URL when sessions.store is postgres")
		}
	}
}
