// Package redistest starts throwaway redis-server processes for tests: a
// free loopback port, a temporary directory, no persistence, killed when
// the test ends. It never touches a Redis the machine already runs.
//
// It is for tests only and must not be imported by production code.
package redistest
