// Package session owns conversation state: the turns of each session and
// the feedback given on them, behind a small Store contract with an
// in-memory and a SQLite implementation (a Redis one belongs here too).
// Sessions expire after a time to live measured from their last turn.
//
// It stores what it is given; it must not retrieve, generate or rewrite.
package session
