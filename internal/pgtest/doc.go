// Package pgtest runs a throwaway PostgreSQL server for tests: initdb into
// a temporary directory and pg_ctl start on a free loopback port, using the
// machine's PostgreSQL binaries (Debian's /usr/lib/postgresql/*/bin). It
// never connects to a server it did not start.
//
// It must not be imported by non-test code.
package pgtest
