// Package session owns conversation state: the turns of each session and
// the feedback given on them, behind a small Store contract with in-memory,
// SQLite (one machine) and Redis (shared by replicas) implementations.
// Sessions expire after a time to live measured from their last turn.
//
// It stores what it is given; it must not retrieve, generate or rewrite.
package session
